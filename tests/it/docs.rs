//! The documents stay true to the code: every parameter is described, the
//! parameter table is the one `detente params --markdown` prints, and every
//! column of every output file is documented in `docs/OUTPUTS.md`.

use crate::workdir::{assert_text_eq, repo_root, Workdir};
use detente::model::PARAM_SPECS;

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!("{}/{rel}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn every_parameter_is_in_the_model_description() {
    let model = read("docs/MODEL.md");
    for spec in PARAM_SPECS {
        let key = format!("params.{}", spec.key);
        assert!(model.contains(&key), "docs/MODEL.md does not describe {key}");
    }
}

/// The header of every CSV file the golden tests pin: the real columns of
/// every output, kept real by `golden.rs`.
fn output_headers() -> Vec<(String, Vec<String>)> {
    let data = repo_root().join("tests/data");
    let mut files: Vec<std::path::PathBuf> = vec![data.join("tiny.runs.csv"), data.join("tiny.summary.csv")];
    for entry in std::fs::read_dir(data.join("golden")).expect("tests/data/golden is readable") {
        let path = entry.expect("readable").path();
        if path.extension().is_some_and(|e| e == "csv") {
            files.push(path);
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let header = text.lines().next().unwrap_or_default().split(',').map(String::from).collect();
            (path.file_name().unwrap_or_default().to_string_lossy().into_owned(), header)
        })
        .collect()
}

/// A column of the tiny scenario's outputs as the documentation writes it:
/// its dyad, armed group, stage numbers and years as placeholders.
fn doc_name(column: &str) -> String {
    let mut name = column.replace("north-south", "<dyad>");
    if let Some(rest) = name.strip_prefix("raiders_") {
        name = format!("<group>_{rest}");
    }
    let mut out = String::new();
    let mut rest = name.as_str();
    // Numbers after `stage_` are stages, after `by_` cut-offs (2030, 2030-06, 2030-06-15).
    while let Some((i, tag)) =
        ["stage_", "by_"].iter().filter_map(|t| rest.find(t).map(|i| (i, *t))).min_by_key(|(i, _)| *i)
    {
        let after = i + tag.len();
        let digits = if tag == "by_" {
            rest[after..].chars().take_while(|c| c.is_ascii_digit() || *c == '-').count()
        } else {
            rest[after..].chars().take_while(char::is_ascii_digit).count()
        };
        out.push_str(&rest[..after]);
        if digits > 0 {
            out.push_str(if tag == "by_" { "<date>" } else { "<s>" });
        }
        rest = &rest[after + digits..];
    }
    out.push_str(rest);
    out
}

/// Whether `docs` documents the column: by its name, as one of a family
/// written `` `stem_mean`, `_sd` `` or `` `stem_…` ``, or, for a key path, as
/// the column named after a key path.
fn documented(docs: &str, column: &str) -> bool {
    let name = doc_name(column);
    if docs.contains(&format!("`{name}`")) {
        return true;
    }
    if column.contains('.') {
        let bound = ["_low", "_high"].iter().find(|b| column.ends_with(*b));
        return match bound {
            Some(b) => docs.contains(&format!("`<key>{b}`")),
            None => docs.contains("key path"),
        };
    }
    let stats = ["_ci95_low", "_ci95_high", "_mean", "_sd", "_p10", "_median", "_p90"];
    stats.iter().any(|suffix| {
        name.strip_suffix(suffix)
            .is_some_and(|stem| docs.contains(&format!("`{stem}_")) && docs.contains(suffix))
    })
}

#[test]
fn every_output_column_is_documented() {
    let outputs = read("docs/OUTPUTS.md");
    let mut missing = Vec::new();
    for (file, header) in output_headers() {
        assert!(header.len() > 1, "{file}: no header");
        for column in header {
            if !documented(&outputs, &column) {
                missing.push(format!("{file}: `{column}` (as `{}`)", doc_name(&column)));
            }
        }
    }
    assert!(missing.is_empty(), "docs/OUTPUTS.md does not document:\n{}", missing.join("\n"));
}

#[test]
fn column_names_become_the_documented_patterns() {
    assert_eq!(doc_name("north-south_stage_3_p_by_2001"), "<dyad>_stage_<s>_p_by_<date>");
    assert_eq!(doc_name("stage_3_p_by_2001-06-15_low"), "stage_<s>_p_by_<date>_low");
    assert_eq!(doc_name("raiders_peak_strength_mean"), "<group>_peak_strength_mean");
    assert_eq!(doc_name("stage_12_months_p10"), "stage_<s>_months_p10");
    assert!(!documented("`stage_<s>_share`", "stage_3_months_p10"));
    let outputs = read("docs/OUTPUTS.md");
    for unknown in ["bogus", "north-south_bogus_mean", "stage_3_bogus"] {
        assert!(!documented(&outputs, unknown), "{unknown}");
    }
}

#[test]
fn the_parameter_table_in_the_model_description_is_what_detente_params_prints() {
    let model = read("docs/MODEL.md");
    let begin = "<!-- BEGIN PARAMS";
    let end = "<!-- END PARAMS";
    let start = model.find(begin).expect("docs/MODEL.md has a BEGIN PARAMS marker");
    let start = start + model[start..].find('\n').expect("a line after the marker") + 1;
    let stop = model.find(end).expect("docs/MODEL.md has an END PARAMS marker");
    let table = model[start..stop].trim();
    let printed = Workdir::new().run(&["params", "--markdown"]).ok().stdout;
    assert_text_eq(
        printed.trim(),
        table,
        "the parameter table of docs/MODEL.md (regenerate it with `detente params --markdown`)",
    );
}

#[test]
fn the_readme_gives_the_two_commands_ci_runs() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    assert!(readme.contains("cargo run --release") && readme.contains("cargo test"));
    assert!(ci.contains("cargo test") && ci.contains("cargo run --release"));
}
