//! End-to-end tests of the `detente` binary on the shipped scenarios.
//!
//! Runs stay small (`-n 20` or fewer) so the suite stays fast; what is
//! checked is the contract with users: file names, column headers, one row
//! per run and tracked dyad, ISO dates beside month indices, empty cells for
//! "never", exit codes, messages, and the manifest's provenance fields.

use sha2::{Digest, Sha256};

use crate::workdir::{
    afghanistan, assert_no_partials, data, is_iso_date, month_date, vietnam, Table, Workdir,
};

const VIETNAM_START: &str = "1975-05";
/// Months from 1975-05 to 2023-12, both included.
const VIETNAM_MONTHS: usize = 584;

fn s(p: &std::path::Path) -> String {
    p.display().to_string()
}

/// Runs Vietnam with `extra` arguments into `out/` and returns the workdir.
fn run_vietnam(extra: &[&str]) -> Workdir {
    let w = Workdir::new();
    let mut args = vec!["run".to_string(), s(&vietnam()), "-o".into(), "out".into()];
    args.extend(extra.iter().map(|a| a.to_string()));
    w.run(&args).ok();
    assert_no_partials(&w);
    w
}

#[test]
fn run_writes_the_documented_files() {
    let w = run_vietnam(&["-n", "20", "--threads", "2"]);
    assert_eq!(
        w.files(),
        ["out/groups.csv", "out/manifest.json", "out/runs.csv", "out/summary.csv", "out/why.csv"]
    );

    let runs = w.read("out/runs.csv");
    assert!(
        runs.starts_with(
            "scenario,variant,replicate,run_seed,dyad,actor_a,actor_b,initial_stage,\
             stage_1_month,stage_1_date,stage_2_month,stage_2_date,"
        ),
        "runs.csv header: {}",
        runs.lines().next().unwrap_or_default()
    );
    assert!(runs.lines().next().unwrap().contains(",max_stage,final_stage,final_trust_ab,final_trust_ba,"));
    let groups = w.read("out/groups.csv");
    assert!(
        groups.starts_with("scenario,variant,replicate,run_seed,group,attacks,peak_strength,final_strength"),
        "groups.csv header: {groups}"
    );
    assert_eq!(groups.lines().count(), 1, "Vietnam has no armed group: header only");
    let summary = w.read("out/summary.csv");
    assert!(
        summary.starts_with(
            "scenario,variant,dyad,actor_a,actor_b,runs,initial_stage,start_date,horizon_date,\
             stage_1_share,stage_1_share_low,stage_1_share_high,stage_1_p_by_1980-05,stage_1_p_by_1980-05_low,"
        ),
        "summary.csv header: {}",
        summary.lines().next().unwrap_or_default()
    );
    let summary = Table::parse(&summary);
    assert_eq!(summary.column("variant"), ["baseline", "no_doi_moi"]);
    assert_eq!(summary.column("runs"), ["20", "20"]);
    assert_eq!(summary.column("dyad"), ["us-vietnam", "us-vietnam"]);
    for cell in summary.column("stage_2_date_median") {
        assert!(cell.is_empty() || is_iso_date(cell), "stage_2_date_median {cell:?}");
    }
}

#[test]
fn runs_csv_has_one_row_per_run_and_dyad_with_dates_beside_months() {
    let w = run_vietnam(&["-n", "20"]);
    let t = Table::parse(&w.read("out/runs.csv"));
    // 2 variants x 20 replications x 1 tracked dyad.
    assert_eq!(t.rows.len(), 40);
    let variants = t.column("variant");
    let replicates = t.column("replicate");
    for (k, (v, r)) in variants.iter().zip(&replicates).enumerate() {
        assert_eq!(*v, if k < 20 { "baseline" } else { "no_doi_moi" });
        assert_eq!(*r, (k % 20).to_string(), "replicates in order");
    }
    let mut seeds = t.column("run_seed");
    seeds.sort_unstable();
    seeds.dedup();
    assert_eq!(seeds.len(), 40, "every run has its own seed");

    let rungs = t.header.iter().filter(|h| h.ends_with("_month") && h.starts_with("stage_")).count();
    assert_eq!(rungs, 7, "default ladder: stages 1..=7");
    let mut never = 0;
    for row in &t.rows {
        let max_stage: usize = row[t.col("max_stage")].parse().expect("max_stage is an integer");
        let initial: usize = row[t.col("initial_stage")].parse().expect("initial_stage is an integer");
        for stage in 1..=rungs {
            let month = &row[t.col(&format!("stage_{stage}_month"))];
            let date = &row[t.col(&format!("stage_{stage}_date"))];
            if stage > max_stage {
                assert!(
                    month.is_empty() && date.is_empty(),
                    "stage {stage} never reached: empty cells, got {row:?}"
                );
                never += 1;
                continue;
            }
            let m: u32 = month.parse().unwrap_or_else(|_| panic!("stage_{stage}_month {month:?} in {row:?}"));
            assert!(is_iso_date(date), "stage_{stage}_date {date:?}");
            assert_eq!(*date, month_date(VIETNAM_START, m), "date of month index {m}");
            if stage <= initial {
                assert_eq!(m, 0, "stages at or below the initial one are reached at month 0");
            }
        }
        for col in ["final_trust_ab", "final_trust_ba"] {
            let x: f64 = row[t.col(col)].parse().expect("a plain decimal");
            assert!((0.0..=1.0).contains(&x), "{col} = {x}");
        }
        assert_eq!(row[t.col("attacks")], "", "no armed group: empty attacks cell");
    }
    assert!(never > 0, "some runs should leave the top stages unreached in no_doi_moi");
    // Every other cell is empty or a plain decimal: no NaN, inf or exponent.
    for row in &t.rows {
        for (h, cell) in t.header.iter().zip(row) {
            let text = ["scenario", "variant", "dyad", "actor_a", "actor_b"].contains(&h.as_str())
                || h.ends_with("_date");
            if !text && !cell.is_empty() {
                assert!(is_plain_decimal(cell), "{h} = {cell:?} is not a plain decimal");
            }
        }
    }
}

fn is_plain_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

#[test]
fn timeseries_summary_has_a_row_per_variant_and_month() {
    let w = run_vietnam(&["-n", "10", "--timeseries", "summary"]);
    let text = w.read("out/timeseries.csv");
    assert!(
        text.starts_with(
            "scenario,variant,dyad,month,date,runs,stage_mean,stage_p10,stage_median,stage_p90,"
        ),
        "timeseries.csv header: {}",
        text.lines().next().unwrap_or_default()
    );
    let t = Table::parse(&text);
    assert_eq!(t.rows.len(), 2 * VIETNAM_MONTHS);
    for (k, row) in t.rows.iter().enumerate() {
        let m = k % VIETNAM_MONTHS;
        assert_eq!(row[t.col("month")], m.to_string());
        assert_eq!(row[t.col("date")], month_date(VIETNAM_START, m as u32));
        assert_eq!(row[t.col("runs")], "10");
    }
    assert!(!w.files().contains(&"out/events.csv".to_string()));
}

#[test]
fn timeseries_full_and_events_are_written_and_stale_ones_removed() {
    let w = run_vietnam(&["-n", "3", "--timeseries", "full", "--events"]);
    let series = w.read("out/timeseries.csv");
    assert!(
        series.starts_with(
            "scenario,variant,replicate,run_seed,dyad,month,date,stage,trust_ab,trust_ba,net_cooperation"
        ),
        "timeseries.csv header: {}",
        series.lines().next().unwrap_or_default()
    );
    let t = Table::parse(&series);
    assert_eq!(t.rows.len(), 2 * 3 * VIETNAM_MONTHS, "one row per variant, run and month");
    for row in &t.rows {
        let m: u32 = row[t.col("month")].parse().unwrap();
        assert_eq!(row[t.col("date")], month_date(VIETNAM_START, m));
        let stage: u8 = row[t.col("stage")].parse().unwrap();
        assert!(stage <= 7);
    }

    let events = w.read("out/events.csv");
    assert!(
        events.starts_with(
            "scenario,variant,replicate,run_seed,month,date,kind,name,actor,target,stage_from,stage_to"
        ),
        "events.csv header: {}",
        events.lines().next().unwrap_or_default()
    );
    let e = Table::parse(&events);
    assert!(e.rows.iter().any(|r| r[e.col("name")] == "Vietnam invades Cambodia"));
    assert!(e.rows.iter().any(|r| r[e.col("kind")] == "stage_change" && r[e.col("name")] == "step_up"));
    for row in &e.rows {
        let kind = row[e.col("kind")].as_str();
        assert!(["event", "process", "election", "attack", "stage_change"].contains(&kind), "kind {kind}");
        let m: u32 = row[e.col("month")].parse().unwrap();
        assert_eq!(row[e.col("date")], month_date(VIETNAM_START, m));
    }

    // Running again into the same folder needs --replace, and replaces the
    // folder as a whole: no file of the earlier run is left.
    let o = w.run(&["run", &s(&vietnam()), "-n", "3", "-o", "out"]).code(2);
    assert!(o.stderr.contains("--replace") && o.stderr.contains("events.csv"), "{o}");
    w.run(&["run", &s(&vietnam()), "-n", "3", "-o", "out", "--replace"]).ok();
    assert_eq!(
        w.files(),
        ["out/groups.csv", "out/manifest.json", "out/runs.csv", "out/summary.csv", "out/why.csv"]
    );
}

#[test]
fn variant_option_selects_variants() {
    let w = run_vietnam(&["-n", "5", "--variant", "no_doi_moi"]);
    let t = Table::parse(&w.read("out/runs.csv"));
    assert_eq!(t.rows.len(), 5);
    assert!(t.column("variant").iter().all(|v| *v == "no_doi_moi"));
    let manifest: serde_json::Value = serde_json::from_str(&w.read("out/manifest.json")).unwrap();
    assert_eq!(manifest["scenarios"][0]["variants"], serde_json::json!(["no_doi_moi"]));

    // A variant's rows do not depend on which other variants ran with it.
    let both = run_vietnam(&["-n", "5"]);
    let all = Table::parse(&both.read("out/runs.csv"));
    let only: Vec<_> = all.rows.iter().filter(|r| r[all.col("variant")] == "no_doi_moi").cloned().collect();
    assert_eq!(only, t.rows);
}

#[test]
fn unknown_variant_exits_2_and_writes_nothing() {
    let w = Workdir::new();
    let out = w.run(&["run", &s(&vietnam()), "-n", "5", "-o", "out", "--variant", "nope"]).code(2);
    assert!(out.stderr.contains("no variant `nope`"), "{out}");
    assert!(out.stderr.contains("baseline, no_doi_moi"), "lists the variants: {out}");
    assert!(w.files().is_empty(), "nothing written: {:?}", w.files());
}

#[test]
fn default_output_folder_is_results_slash_name() {
    let w = Workdir::new();
    w.run(&["run", &s(&vietnam()), "-n", "2"]).ok();
    assert_eq!(
        w.files(),
        [
            "results/us_vietnam_1975/groups.csv",
            "results/us_vietnam_1975/manifest.json",
            "results/us_vietnam_1975/runs.csv",
            "results/us_vietnam_1975/summary.csv",
            "results/us_vietnam_1975/why.csv"
        ]
    );
}

#[test]
fn manifest_records_version_hash_seed_and_threads() {
    let w = run_vietnam(&["-n", "4", "--seed", "77", "--threads", "1"]);
    let m: serde_json::Value = serde_json::from_str(&w.read("out/manifest.json")).expect("valid JSON");
    assert_eq!(m["tool"], "detente");
    assert_eq!(m["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["command"], "run");
    assert_eq!(m["threads"], 1);
    assert_eq!(m["runs"], 8);
    let entry = &m["scenarios"][0];
    assert_eq!(entry["name"], "us_vietnam_1975");
    assert_eq!(entry["seed"], 77);
    assert_eq!(entry["replications"], 4);
    let bytes = std::fs::read(vietnam()).unwrap();
    let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(entry["sha256"], sha.as_str());
    let files: Vec<&str> = m["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(files, ["runs.csv", "groups.csv", "summary.csv", "why.csv"]);

    // Without --seed, the file's [run] seed is used.
    let d = run_vietnam(&["-n", "1"]);
    let m: serde_json::Value = serde_json::from_str(&d.read("out/manifest.json")).unwrap();
    assert_eq!(m["scenarios"][0]["seed"], 19750430);
}

#[test]
fn validate_accepts_the_shipped_scenarios() {
    let w = Workdir::new();
    let mut files = vec![s(&vietnam()), s(&data("tiny.toml"))];
    files.extend(afghanistan().map(|p| s(&p)));
    let mut args = vec!["validate".to_string()];
    args.extend(files.iter().cloned());
    let out = w.run(&args).ok();
    for f in &files {
        assert!(out.stdout.contains(&format!("ok {f}")), "{out}");
    }
    assert!(out.stderr.is_empty(), "{out}");
}

#[test]
fn list_shows_scenarios_and_variants() {
    let w = Workdir::new();
    w.copy(&vietnam(), "scenarios/reference-class/us_vietnam_1975.toml");
    w.copy(&data("tiny.toml"), "scenarios/tiny.toml");
    let out = w.run(&["list"]).ok();
    for needle in ["us_vietnam_1975", "no_doi_moi", "tiny", "calm", "baseline", "1975-05 to 2023-12"] {
        assert!(out.stdout.contains(needle), "`list` should mention {needle}:\n{out}");
    }

    // An invalid file is flagged and makes the exit code 2.
    w.copy(&data("bad/trust_out_of_range.toml"), "scenarios/broken.toml");
    let out = w.run(&["list"]).code(2);
    assert!(out.stdout.contains("broken.toml: invalid"), "{out}");
    assert!(out.stdout.contains("us_vietnam_1975"), "valid files are still listed: {out}");
}

#[test]
fn list_shows_the_shipped_scenarios() {
    let w = Workdir::new();
    let out = w.run(&["list", &s(&crate::workdir::repo_root().join("scenarios"))]).ok();
    assert!(out.stdout.contains("us_vietnam_1975"), "{out}");
    assert!(out.stdout.contains("- no_doi_moi"), "{out}");
    if afghanistan().is_some() {
        assert!(out.stdout.contains("afghanistan"), "{out}");
    }
}

#[test]
fn params_lists_every_key() {
    let w = Workdir::new();
    let out = w.run(&["params"]).ok();
    for spec in detente::model::PARAM_SPECS {
        assert!(
            out.stdout.contains(&format!("params.{} ", spec.key)),
            "`params` misses {}:\n{out}",
            spec.key
        );
    }
    let md = w.run(&["params", "--markdown"]).ok();
    assert!(md.stdout.starts_with("| key | default |"), "{md}");
    let rows = md.stdout.lines().filter(|l| l.starts_with("| `params.")).count();
    assert_eq!(rows, detente::model::PARAM_SPECS.len());
}

#[test]
fn set_overrides_a_value_and_records_it() {
    let w = run_vietnam(&["-n", "3", "--set", "params.trust.learn_up=0.07"]);
    let t = Table::parse(&w.read("out/runs.csv"));
    assert_eq!(t.header.last().map(String::as_str), Some("params.trust.learn_up"));
    assert!(t.column("params.trust.learn_up").iter().all(|v| *v == "0.07"));
    let m: serde_json::Value = serde_json::from_str(&w.read("out/manifest.json")).unwrap();
    assert_eq!(m["details"]["set"], serde_json::json!(["params.trust.learn_up=0.07"]));
}

#[test]
fn set_with_a_bad_key_or_value_exits_2_with_a_clear_message() {
    let w = Workdir::new();
    let cases = [
        ("params.trust.nope=1", "unknown parameter `trust.nope`"),
        ("actors.nobody.capability=1", "no actor with id `nobody`"),
        ("relations.us.vietnam.colour=1", "unknown relation field `colour`"),
        ("params.trust.learn_up=abc", "is not a number"),
        ("relations.us.vietnam.trust=1.5", "must be within [0, 1], got 1.5"),
        ("params.trust.learn_up", "expected KEY=VALUE"),
    ];
    for (set, message) in cases {
        let out = w.run(&["run", &s(&vietnam()), "-n", "2", "-o", "out", "--set", set]).code(2);
        assert!(out.stderr.contains(&format!("--set {set}")), "names the option: {out}");
        assert!(out.stderr.contains(message), "expected {message:?}: {out}");
        assert!(w.files().is_empty(), "nothing written for --set {set}: {:?}", w.files());
    }
}

#[test]
fn bad_command_lines_exit_2() {
    let w = Workdir::new();
    let out = w.run(&["run", "missing.toml", "-o", "out"]).code(2);
    assert!(out.stderr.contains("missing.toml: cannot read"), "{out}");
    let out = w.run(&["run", &s(&vietnam()), "-n", "0", "-o", "out"]).code(2);
    assert!(out.stderr.contains("at least 1"), "{out}");
    w.run(&["run", &s(&vietnam()), "--timeseries", "sometimes"]).code(2);
    w.run(&["validate"]).code(2);
    assert!(w.files().is_empty(), "{:?}", w.files());
}

#[test]
fn several_files_run_into_one_batch() {
    let w = Workdir::new();
    w.run(&["run", &s(&vietnam()), &s(&data("tiny.toml")), "-n", "2", "-o", "out"]).ok();
    let t = Table::parse(&w.read("out/runs.csv"));
    let names: Vec<&str> = t.column("scenario");
    assert_eq!(names.iter().filter(|n| **n == "us_vietnam_1975").count(), 4);
    assert_eq!(names.iter().filter(|n| **n == "tiny").count(), 4);
    let g = Table::parse(&w.read("out/groups.csv"));
    assert_eq!(g.rows.len(), 4, "tiny's armed group: one row per run");
    assert!(g.column("group").iter().all(|x| *x == "raiders"));
}

#[test]
fn afghanistan_runs_when_present() {
    let Some(afg) = afghanistan() else { return };
    let w = Workdir::new();
    w.run(&["run", &s(&afg), "-n", "3", "-o", "out", "--variant", "baseline"]).ok();
    assert_no_partials(&w);
    let t = Table::parse(&w.read("out/runs.csv"));
    assert_eq!(t.rows.len(), 3 * t.column("dyad").iter().collect::<std::collections::BTreeSet<_>>().len());
    let g = Table::parse(&w.read("out/groups.csv"));
    assert!(!g.rows.is_empty(), "the Afghanistan scenario has an armed group");
}

#[test]
fn runs_csv_max_stage_agrees_with_stage_months_when_an_event_fires_in_the_start_month() {
    let w = Workdir::new();
    let tiny = std::fs::read_to_string(data("tiny.toml")).unwrap();
    let text = format!(
        "{tiny}\n[[variants.events]]\ndate = \"2000-01\"\nname = \"war at the start\"\n\
         set = {{ \"relations.north.south.stage\" = 0 }}\n"
    );
    w.write("start_event.toml", &text);
    w.run(&["validate", "start_event.toml"]).ok();
    w.run(&["run", "start_event.toml", "-n", "5", "-o", "out", "--variant", "calm"]).ok();
    let t = Table::parse(&w.read("out/runs.csv"));
    for row in &t.rows {
        let max_stage: usize = row[t.col("max_stage")].parse().unwrap();
        for stage in 1..=max_stage {
            let month = &row[t.col(&format!("stage_{stage}_month"))];
            assert!(!month.is_empty(), "max_stage {max_stage} but stage {stage} never reached: {row:?}");
        }
    }
}
