//! The documents stay true to the code: every parameter and every output
//! column named in the code is documented.

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

#[test]
fn every_fixed_output_column_is_documented() {
    let outputs = read("docs/OUTPUTS.md");
    for column in [
        "run_seed",
        "initial_stage",
        "max_stage",
        "final_trust_ab",
        "armed_group_peak_strength",
        "final_stage_mean",
        "stage_mean",
        "net_cooperation",
        "stage_from",
    ] {
        assert!(outputs.contains(column), "docs/OUTPUTS.md does not mention `{column}`");
    }
}

#[test]
fn the_readme_gives_the_two_commands_ci_runs() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    assert!(readme.contains("cargo run --release") && readme.contains("cargo test"));
    assert!(ci.contains("cargo test") && ci.contains("cargo run --release"));
}
