//! Bad scenario files: every problem reported, in place, and nothing run.
//!
//! Each file in `tests/data/bad/` is a small complete scenario with one or
//! more defects whose exact positions are listed in [`CORPUS`]. For each
//! file the loader (library) and `detente validate` (binary) must report
//! exactly those diagnostics as `file:line:col: key: message`, exit with 2,
//! never panic, and `detente run` must leave no output behind.

use std::path::Path;

use proptest::prelude::*;

use crate::workdir::{data, Workdir};
use detente::scenario::{self, ScenarioError};

/// One expected diagnostic: line, column, key path, and a fragment of the message.
type Expect = (usize, usize, &'static str, &'static str);

/// Every bad file and the diagnostics it must produce, in file order.
const CORPUS: &[(&str, &[Expect])] = &[
    ("syntax_error.toml", &[(12, 9, "(file)", "invalid table header")]),
    ("unknown_key_top.toml", &[(2, 1, "colour", "unknown key `colour`")]),
    (
        "unknown_key_actor.toml",
        &[(10, 1, "actors[0].capabilty", "unknown key `capabilty`, expected one of `id`")],
    ),
    ("unknown_key_view.toml", &[(22, 1, "relations[0].views.b.trsut", "unknown key `trsut`")]),
    ("unknown_key_event.toml", &[(27, 1, "events[0].sauce", "unknown key `sauce`")]),
    ("wrong_type.toml", &[(14, 14, "actors[1].capability", "invalid type: string \"high\"")]),
    ("fractional_stage.toml", &[(18, 9, "relations[0].stage", "invalid type: floating point `2.5`")]),
    (
        "trust_out_of_range.toml",
        &[(20, 9, "relations[0].views.a.trust", "expected a number within [0, 1], got 1.5")],
    ),
    ("negative_capability.toml", &[(14, 14, "actors[1].capability", "got -0.5")]),
    ("nan_weight.toml", &[(16, 12, "actors[1].goals.security", "expected a finite number, got NaN")]),
    ("inf_weight.toml", &[(17, 11, "actors[1].goals.economy", "expected a finite number, got inf")]),
    ("unknown_actor_in_relation.toml", &[(17, 14, "relations[0].pair[1]", "no actor with id `c`")]),
    (
        "unknown_actor_in_event.toml",
        &[(27, 34, "events[0].add.\"relations.a.zz.trust\"", "no actor with id `zz`")],
    ),
    ("duplicate_actor.toml", &[(17, 6, "actors[2].id", "duplicate actor id `a`")]),
    ("bad_month.toml", &[(4, 9, "scenario.start", "\"1995-13\" is not a calendar date")]),
    ("bad_date_word.toml", &[(25, 8, "events[0].date", "expected a month YYYY-MM or a date YYYY-MM-DD")]),
    (
        "event_outside_horizon.toml",
        &[(25, 8, "events[0].date", "2003-06 is outside the scenario's horizon 2000-01 to 2001-12")],
    ),
    (
        "calibration_histories.toml",
        &[
            (28, 9, "calibration.until", "\"2001-13\" is not a calendar date"),
            (30, 1, "calibration.histories", "not both"),
        ],
    ),
    ("empty_actors.toml", &[(2, 10, "actors", "expected at least two [[actors]], got none")]),
    (
        "many_defects.toml",
        &[
            (10, 1, "actors[0].capabilty", "did you mean `capability`?"),
            (14, 14, "actors[1].capability", "got -0.5"),
            (15, 18, "actors[1].outside_option", "invalid type: string \"lots\""),
            (18, 6, "actors[2].id", "duplicate actor id `b`"),
            (24, 9, "relations[0].views.a.trust", "got 1.5"),
            (26, 1, "relations[0].views.b.trsut", "unknown key `trsut`"),
            (29, 14, "relations[1].pair[1]", "no actor with id `zed`"),
            (32, 8, "events[0].date", "outside the scenario's horizon"),
            (36, 8, "events[1].date", "got \"soon\""),
            (37, 1, "events[1].sauce", "unknown key `sauce`"),
        ],
    ),
];

#[test]
fn corpus_lists_every_bad_file() {
    let mut on_disk: Vec<String> = std::fs::read_dir(data("bad"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CORPUS.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "tests/data/bad/ and CORPUS must list the same files");
}

#[test]
fn loader_reports_each_defect_at_its_place() {
    for (file, expected) in CORPUS {
        let path = data(&format!("bad/{file}"));
        let diags = match scenario::load(&path) {
            Ok(_) => panic!("{file}: loaded, but it has {} defect(s)", expected.len()),
            Err(ScenarioError::Invalid(d)) => d.0,
            Err(e) => panic!("{file}: {e}"),
        };
        let got: Vec<String> =
            diags.iter().map(|d| format!("{}:{}: {}: {}", d.line, d.col, d.key, d.message)).collect();
        assert_eq!(
            diags.len(),
            expected.len(),
            "{file}: expected {} diagnostics, got {got:#?}",
            expected.len()
        );
        for (d, (line, col, key, message)) in diags.iter().zip(expected.iter()) {
            assert_eq!((d.line, d.col, d.key.as_str()), (*line, *col, *key), "{file}: got {got:#?}");
            assert!(d.message.contains(message), "{file}: {:?} should contain {message:?}", d.message);
            assert_eq!(d.file, path);
        }
    }
}

#[test]
fn validate_prints_every_diagnostic_and_exits_2() {
    let w = Workdir::new();
    for (file, expected) in CORPUS {
        w.copy(&data(&format!("bad/{file}")), file);
        let out = w.run(&["validate", file]).code(2);
        let lines = out.diagnostics(file);
        assert_eq!(lines.len(), expected.len(), "{file}: every problem, once:\n{out}");
        for (line, (l, c, key, message)) in lines.iter().zip(expected.iter()) {
            let prefix = format!("{file}:{l}:{c}: {key}: ");
            assert!(line.starts_with(&prefix), "{file}: expected {prefix:?}, got {line:?}");
            assert!(line.contains(message), "{file}: {line:?} should contain {message:?}");
        }
        assert!(out.stderr.contains(&format!("{} problem(s) found", expected.len())), "{out}");
        assert!(out.stdout.is_empty(), "{out}");
    }
}

#[test]
fn validate_reports_all_files_at_once() {
    let w = Workdir::new();
    let mut args = vec!["validate".to_string()];
    let mut total = 0;
    for (file, expected) in CORPUS {
        w.copy(&data(&format!("bad/{file}")), file);
        args.push(file.to_string());
        total += expected.len();
    }
    w.copy(&data("tiny.toml"), "tiny.toml");
    args.push("tiny.toml".into());
    let out = w.run(&args).code(2);
    assert!(out.stdout.contains("ok tiny.toml"), "good files are still checked: {out}");
    assert!(out.stderr.contains(&format!("\n{total} problem(s) found")), "{out}");
}

#[test]
fn run_on_a_bad_file_writes_nothing() {
    let w = Workdir::new();
    for (file, expected) in CORPUS {
        w.copy(&data(&format!("bad/{file}")), file);
        let out = w.run(&["run", file, "-o", "out", "-n", "2"]).code(2);
        assert_eq!(out.diagnostics(file).len(), expected.len(), "{out}");
        assert!(out.stderr.contains("nothing was run"), "{out}");
        // Without -o the default folder is results/<name>: not created either.
        w.run(&["run", file, "-n", "2"]).code(2);
        let mut files = w.files();
        files.retain(|f| !f.ends_with(".toml"));
        assert!(files.is_empty(), "{file}: run left {files:?}");
        assert!(!w.join("out").exists() && !w.join("results").exists(), "{file}: output folder created");
    }
}

#[test]
fn one_bad_file_stops_a_batch_of_good_ones() {
    let w = Workdir::new();
    w.copy(&data("bad/trust_out_of_range.toml"), "bad.toml");
    w.copy(&data("tiny.toml"), "tiny.toml");
    let out = w.run(&["run", "tiny.toml", "bad.toml", "-o", "out", "-n", "2"]).code(2);
    assert!(out.stderr.contains("bad.toml:20:9: relations[0].views.a.trust: "), "{out}");
    assert!(!w.join("out").exists());
}

#[test]
fn non_utf8_file_is_a_diagnostic() {
    let w = Workdir::new();
    let mut bytes = std::fs::read(data("tiny.toml")).unwrap();
    let at = bytes.windows(7).position(|x| x == b"\"north\"").unwrap();
    bytes[at + 1] = 0xff;
    std::fs::write(w.join("latin.toml"), &bytes).unwrap();
    let out = w.run(&["validate", "latin.toml"]).code(2);
    let lines = out.diagnostics("latin.toml");
    assert_eq!(lines.len(), 1, "{out}");
    assert!(lines[0].contains(": (file): expected UTF-8 text"), "{out}");
}

#[test]
fn missing_file_exits_2() {
    let w = Workdir::new();
    let out = w.run(&["validate", "nope.toml"]).code(2);
    assert!(out.stderr.contains("nope.toml: cannot read"), "{out}");
}

#[test]
fn a_file_cut_after_an_equals_sign_gets_a_message() {
    let w = Workdir::new();
    w.write("cut.toml", "[scenario]\nname = \"x\"\nend =");
    let out = w.run(&["validate", "cut.toml"]).code(2);
    let lines = out.diagnostics("cut.toml");
    assert_eq!(lines.len(), 1, "{out}");
    assert!(lines[0].starts_with("cut.toml:3:6: (file): "), "{out}");
    let message = &lines[0]["cut.toml:3:6: (file): ".len()..];
    assert!(!message.trim().is_empty(), "the diagnostic says what is wrong: {out}");
}

/// A valid file's text with one line replaced by `junk`, or cut short at `cut`.
fn mangle(text: &str, line: usize, junk: &str, cut: Option<usize>) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let k = line % lines.len();
    lines[k] = junk;
    let mut out = lines.join("\n");
    if let Some(c) = cut {
        let mut c = c % (out.len() + 1);
        while !out.is_char_boundary(c) {
            c -= 1;
        }
        out.truncate(c);
    }
    out
}

fn check_never_panics(path: &Path, text: String) -> Result<(), TestCaseError> {
    let lines = text.lines().count().max(1);
    match scenario::parse(path, text) {
        Ok(_) => {}
        Err(ScenarioError::Invalid(d)) => {
            prop_assert!(!d.0.is_empty());
            for x in &d.0 {
                prop_assert!(x.line >= 1 && x.line <= lines + 1, "line {} of {lines}: {x}", x.line);
                prop_assert!(x.col >= 1, "{x}");
                // An empty message is a known bug, pinned by
                // `a_file_cut_after_an_equals_sign_gets_a_message`.
                prop_assert!(!x.key.is_empty(), "{x}");
            }
        }
        Err(e) => prop_assert!(false, "unexpected error {e}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any line of a valid scenario replaced by junk (or the file cut short)
    /// gives diagnostics with sane positions, never a panic.
    #[test]
    fn loader_never_panics_on_mangled_files(
        line in 0usize..200,
        junk in prop_oneof![
            Just("capability = nan".to_string()),
            Just("trust = -1e308".to_string()),
            Just("[[actors]]".to_string()),
            Just("[[relations]]".to_string()),
            Just("[relations.views.north]".to_string()),
            Just("pair = [\"north\", \"north\"]".to_string()),
            Just("stage = 99".to_string()),
            Just("date = \"2000-02-30\"".to_string()),
            Just("x = { a = [1, {b = 2}] }".to_string()),
            "[a-z_]{1,12} = [0-9.e+-]{1,8}",
            "[ -~]{0,30}",
        ],
        cut in proptest::option::weighted(0.2, 0usize..4000),
    ) {
        let text = std::fs::read_to_string(data("tiny.toml")).unwrap();
        check_never_panics(Path::new("m.toml"), mangle(&text, line, &junk, cut))?;
    }
}
