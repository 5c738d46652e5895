//! Hostile input: what the fuzz targets (`fuzz/`, see docs/FUZZING.md) check,
//! pinned on inputs that once broke it and on hand-made nasty ones.
//!
//! Each input goes through the library call the fuzz target drives and must
//! come back as a result or as diagnostics that each name a real place on
//! one line, and (checked with `DETENTE_SLOW_TESTS=1`, since the default
//! suite depends on no clock) in well under the time a person would wait. The files in
//! `tests/data/fuzz/<target>/` are reproducers: any crash, timeout or
//! out-of-memory the fuzzer finds is minimised into one and listed here.
//! Bigger inputs are generated, so the repository does not carry megabytes.

use std::path::Path;
use std::time::{Duration, Instant};

use detente::reference::{ReferenceError, ReferencePath};
use detente::scenario::{self, Diagnostic, ScenarioError};

use crate::workdir::{data, slow_tests_enabled, Workdir};

/// Generous: the fixed loader takes well under a second on each of these,
/// the broken one took minutes or ran out of memory. CI machines are busy.
const QUICK: Duration = Duration::from_secs(20);

/// Fails when `took` is not [`QUICK`], in the slow suite only: the default
/// suite depends on no clock (a loader that regressed to minutes still shows
/// there as a suite that takes minutes).
#[track_caller]
fn assert_quick(took: Duration) {
    if slow_tests_enabled() {
        assert!(took < QUICK, "took {took:?}");
    }
}

/// The loader's cap on errors collected from one file's syntax and types.
const CAP: usize = 200;

/// Parses `text` as `scenario::parse` does for a file, checks the invariants
/// of the `scenario` fuzz target and the time, and returns the diagnostics.
fn scenario_diags(text: &str) -> Vec<Diagnostic> {
    let start = Instant::now();
    let result = scenario::parse(Path::new("hostile.toml"), text.to_string());
    assert_quick(start.elapsed());
    match result {
        Ok(_) => Vec::new(),
        Err(ScenarioError::Invalid(diags)) => {
            check_diags(text, &diags.0);
            diags.0
        }
        Err(other) => panic!("{other}"),
    }
}

/// Every diagnostic names a line of the file and a column from 1, and prints
/// on one line; they come sorted, and at least one explains an error.
fn check_diags(text: &str, diags: &[Diagnostic]) {
    assert!(!diags.is_empty(), "an error with no diagnostic");
    let lines = text.split('\n').count();
    for d in diags {
        assert!(d.line >= 1 && d.line <= lines, "line outside the file: {d}");
        assert!(d.col >= 1, "column 0: {d}");
        assert!(!d.message.trim().is_empty() && !d.message.contains(['\n', '\r']), "{d:?}");
        assert!(!d.key.is_empty() && !d.key.contains(['\n', '\r']), "{d:?}");
    }
    assert!(diags.windows(2).all(|w| (w[0].line, w[0].col) <= (w[1].line, w[1].col)), "unsorted");
}

/// Reads reference CSV bytes as the `reference` fuzz target does and
/// returns the problems as printed (empty when the history is valid).
fn reference_problems(bytes: &[u8]) -> Vec<String> {
    let start = Instant::now();
    let result = ReferencePath::parse("hostile", bytes, Path::new("hostile.csv"), 8);
    assert_quick(start.elapsed());
    match result {
        Ok(path) => {
            assert!(!path.rows.is_empty());
            assert!(path.rows.windows(2).all(|w| w[0].date < w[1].date));
            Vec::new()
        }
        Err(ReferenceError::Invalid { problems }) => {
            assert!(!problems.is_empty());
            problems
                .iter()
                .map(|p| {
                    let shown = p.to_string();
                    assert!(p.line >= 1 && !shown.contains(['\n', '\r']), "{shown:?}");
                    shown
                })
                .collect()
        }
        Err(other) => panic!("{other}"),
    }
}

fn messages(diags: &[Diagnostic]) -> String {
    diags.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")
}

const HEAD: &str = "[scenario]\nname = \"x\"\nstart = \"2000-01\"\nend = \"2001-01\"\n";

#[test]
fn every_scenario_reproducer_loads_quickly_with_sane_diagnostics() {
    let dir = data("fuzz/scenario");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let diags = scenario_diags(&text);
        assert!(!diags.is_empty(), "{} should be rejected", path.display());
        seen += 1;
    }
    assert!(seen >= 3, "reproducers missing from {}", dir.display());
}

#[test]
fn every_reference_reproducer_loads_quickly_with_sane_problems() {
    for entry in std::fs::read_dir(data("fuzz/reference")).unwrap() {
        let path = entry.unwrap().path();
        let problems = reference_problems(&std::fs::read(&path).unwrap());
        assert!(!problems.is_empty(), "{} should be rejected", path.display());
    }
}

/// Found by review while writing the fuzz targets and confirmed by measuring:
/// each variant copies the whole world, so a few kilobytes of repeated
/// tables compiled into gigabytes. Now the file is refused with a
/// diagnostic at the first variant past the budget.
#[test]
fn actors_times_variants_is_refused_not_expanded() {
    let text = std::fs::read_to_string(data("fuzz/scenario/actors_times_variants.toml")).unwrap();
    let diags = scenario_diags(&text);
    assert!(messages(&diags).contains("would expand to more than"), "{}", messages(&diags));
}

#[test]
fn monthly_elections_and_long_ramps_are_refused_not_expanded() {
    for (file, what) in [
        ("elections_times_variants.toml", "the elections would expand"),
        ("ramps_times_variants.toml", "would expand to more than"),
    ] {
        let text = std::fs::read_to_string(data("fuzz/scenario").join(file)).unwrap();
        let diags = scenario_diags(&text);
        assert!(messages(&diags).contains(what), "{file}: {}", messages(&diags));
    }
}

#[test]
fn too_many_actors_is_one_diagnostic() {
    let text = format!("{HEAD}{}", "[[actors]]\n".repeat(5000));
    let diags = scenario_diags(&text);
    assert_eq!(diags.len(), 1, "{}", messages(&diags));
    assert!(diags[0].message.contains("expected at most 1024 [[actors]], got 5000"), "{}", diags[0]);
}

/// Each unknown key used to cost a parse of the whole file: 100,000 of them
/// took minutes. Unknown siblings are now found in one pass, and at most
/// the cap is reported.
#[test]
fn a_hundred_thousand_unknown_keys_finish_quickly_at_the_cap() {
    let text: String = (0..100_000).map(|i| format!("key{i} = {i}\n")).collect();
    let diags = scenario_diags(&text);
    assert_eq!(diags.len(), CAP);
    assert_eq!((diags[0].line, diags[0].col, diags[0].key.as_str()), (1, 1, "key0"));
    assert!(diags[0].message.starts_with("unknown key `key0`, expected one of `scenario`"), "{}", diags[0]);
    assert_eq!((diags[CAP - 1].line, diags[CAP - 1].key.as_str()), (CAP, "key199"));
}

/// Finding the extent of every table compared each header with all the
/// headers before it, on every pass: quadratic in the number of tables.
#[test]
fn a_hundred_thousand_unknown_tables_finish_quickly_at_the_cap() {
    let text: String = (0..100_000).map(|i| format!("[table{i}]\nx = 1\n")).collect();
    let diags = scenario_diags(&text);
    assert_eq!(diags.len(), CAP);
    assert_eq!((diags[0].line, diags[0].col, diags[0].key.as_str()), (1, 2, "table0"));
}

/// Wrong types are found one per pass; the passes stop at a budget of bytes
/// parsed, so a huge file reports its first errors instead of hanging.
#[test]
fn many_type_errors_in_a_huge_file_stop_early() {
    let text = format!("{HEAD}{}", "[[actors]]\ncapability = \"high\"\n".repeat(50_000));
    let diags = scenario_diags(&text);
    assert!((1..=CAP).contains(&diags.len()), "{}", diags.len());
    assert!(diags[0].message.contains("invalid type: string \"high\""), "{}", diags[0]);
    assert_eq!(diags[0].key, "actors[0].capability");
}

/// Placing each of a thousand problems used to parse the file again.
#[test]
fn a_thousand_bad_ids_are_each_placed() {
    let text = format!("{HEAD}{}", "[[actors]]\nid = \"Bad Id\"\n".repeat(1000));
    let diags = scenario_diags(&text);
    let bad: Vec<_> = diags.iter().filter(|d| d.message.contains("expected an id")).collect();
    assert_eq!(bad.len(), 1000);
    assert_eq!((bad[999].line, bad[999].col, bad[999].key.as_str()), (5 + 2 * 999 + 1, 6, "actors[999].id"));
}

#[test]
fn deep_nesting_is_a_syntax_error_not_a_stack_overflow() {
    let n = 50_000;
    for text in [
        format!("x = {}{}\n", "[".repeat(n), "]".repeat(n)),
        format!("x = {}1{}\n", "{a = ".repeat(n), "}".repeat(n)),
        format!("{} = 1\n", vec!["a"; n].join(".")),
        format!("[{}]\n", vec!["a"; n].join(".")),
        format!("[[{}]]\n", vec!["actors"; n].join(".")),
        format!("{HEAD}[[actors]]\ngoals = {}\n", "[".repeat(n)),
    ] {
        scenario_diags(&text);
    }
}

#[test]
fn huge_and_odd_numbers_are_reported_in_place() {
    let cases = [
        ("[[actors]]\nid = \"a\"\ncapability = 1e999\n", "invalid floating-point number"),
        ("[[actors]]\nid = \"a\"\ncapability = -nan\n", "expected a finite number"),
        ("[defaults]\nstage = 99999999999999999999\n", ""),
        ("[defaults]\nstage = -9223372036854775808\n", "expected a number within"),
        ("[[events]]\ndate = \"2000-02\"\nramp_months = 9223372036854775807\n", "expected 1 to 1200 months"),
        (
            "[[elections]]\nactor = \"a\"\nfirst = \"2000-01\"\nevery_months = -9223372036854775808\n",
            "1 to 1200",
        ),
        ("[run]\nreplications = 18446744073709551616\n", ""),
        ("[scenario]\nreport_years = [4294967296]\n", ""),
    ];
    for (body, fragment) in cases {
        let text = format!("{HEAD}[[actors]]\nid = \"b\"\n{body}");
        let diags = scenario_diags(&text);
        assert!(messages(&diags).contains(fragment), "{body}: {}", messages(&diags));
    }
}

#[test]
fn calendar_edges_are_reported_in_place() {
    for (start, end) in
        [("0001-01", "9999-12"), ("0000-01", "2000-01"), ("9999-12", "0001-01"), ("2000-00", "2000-13")]
    {
        let text = format!(
            "[scenario]\nname = \"x\"\nstart = \"{start}\"\nend = \"{end}\"\n[[actors]]\nid = \"a\"\n[[actors]]\nid = \"b\"\n\
             [[elections]]\nactor = \"a\"\nfirst = \"0001-01\"\nevery_months = 1\n[[events]]\ndate = \"9999-12-31\"\n"
        );
        scenario_diags(&text);
    }
}

#[test]
fn control_characters_and_odd_line_ends_are_syntax_errors_in_place() {
    for text in [
        "\0",
        "[scenario]\nname = \"a\0b\"\n",
        "a = 1\r\rb = 2\r",
        "\u{feff}[scenario]\nname = 3\n",
        "\u{feff}\u{feff}x = 1\n",
        "[scenario]\r\nname = \"\u{1F600}\" zz\r\n",
        "x = \"\u{202e}\"\n\u{2028}\n",
        "=",
        "[",
        "[[",
        "\"",
        "'''",
    ] {
        scenario_diags(text);
    }
}

/// `scenario::load` refuses bytes that are not UTF-8 before parsing, with the
/// place of the first bad byte; a byte-order mark in front must not shift it.
#[test]
fn invalid_utf8_after_a_byte_order_mark_is_placed() {
    let dir = Workdir::new();
    let path = dir.join("bom.toml");
    std::fs::write(&path, b"\xef\xbb\xbf[scenario]\nname = \"\xff\xfe\"\n").unwrap();
    match scenario::load(&path) {
        Err(ScenarioError::Invalid(diags)) => {
            assert_eq!(diags.0.len(), 1);
            let d = &diags.0[0];
            assert_eq!((d.line, d.col, d.message.as_str()), (2, 9, "expected UTF-8 text"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn reference_hostile_bytes_are_problems_with_lines() {
    let cases: &[&[u8]] = &[
        b"",
        b"\xef\xbb\xbf",
        b"\0\0\0",
        b"date,stage\n\0,\0\n",
        b"\xef\xbb\xbfdate,stage\n\xff\xfe,1\n",
        b"date,stage\n2000-01-01,99999999999999999999999\n",
        b"date,stage\n2000-01-01,-0\n",
        b"date,stage\n\"2000-01-01,1\n",
        b"date,stage\r\r\r2000-01-01,1\r",
        b"date,date,stage,stage\n2000-01-01,2000-01-01,1,1\n",
        b"date,stage,note\n2000-01-01,1,alt_formal_stage=\xff\n",
        b"date,stage,note\n2000-01-01,1,alt_effective_stage=1 alt_effective_stage=2\n",
    ];
    for bytes in cases {
        reference_problems(bytes);
    }
}

#[test]
fn a_hundred_thousand_bad_reference_rows_finish_quickly() {
    let mut text = String::from("date,stage,note\n");
    for i in 0..100_000 {
        text.push_str(&format!("2000-13-{i},{s},alt_formal_stage={s}\n", s = i + 8));
    }
    let problems = reference_problems(text.as_bytes());
    assert_eq!(problems.len(), 3 * 100_000);
    assert!(problems[0].starts_with("hostile.csv:2: date:"), "{}", problems[0]);
}
