//! Scenario exploration end to end: `sweep`, `sensitivity` and `discover` on
//! the tiny scenario, their files, seeds and determinism, the `[sweep]`
//! table, and bad input.

use std::collections::BTreeMap;

use crate::workdir::{assert_no_partials, data, Table, Workdir};

const STRENGTH: &str = "actors.raiders.group.strength";
const PRAGMATISM: &str = "actors.north.pragmatism";

fn tiny(w: &Workdir) -> String {
    w.copy(&data("tiny.toml"), "tiny.toml").display().to_string()
}

fn sweep_args<'a>(file: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "sweep",
        file,
        "--param",
        "actors.raiders.group.strength=0.1:0.9",
        "--param",
        "actors.north.pragmatism=0.2:0.8",
        "--points",
        "5",
        "-n",
        "3",
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn sweep_writes_one_row_per_point_and_point_keyed_runs() {
    let w = Workdir::new();
    let file = tiny(&w);
    let out = w.run(&sweep_args(&file, &["--out", "s"])).ok();
    assert!(out.stdout.contains("5 points x 3 replications"), "{out}");
    let points = Table::parse(&w.read("s/points.csv"));
    assert_eq!(points.rows.len(), 5);
    assert_eq!(points.column("point"), ["0", "1", "2", "3", "4"]);
    for col in [
        STRENGTH,
        PRAGMATISM,
        "n",
        "north-south_final_stage_mean",
        "north-south_final_stage_sd",
        "north-south_final_stage_ci95_low",
        "north-south_final_stage_ci95_high",
        "north-south_stage_3_p_by_2000",
        "north-south_stage_3_p_by_2001",
        "north-south_stage_3_months_median",
        "raiders_attacks_mean",
        "raiders_peak_strength_mean",
    ] {
        points.col(col);
    }
    assert!(points.column("n").iter().all(|n| *n == "3"));
    // LHS: every point's strength lies in the range, in a different fifth.
    let mut fifths: Vec<usize> = points
        .column(STRENGTH)
        .iter()
        .map(|v| ((v.parse::<f64>().unwrap() - 0.1) / 0.8 * 5.0) as usize)
        .collect();
    fifths.sort_unstable();
    assert_eq!(fifths, [0, 1, 2, 3, 4]);

    let runs = Table::parse(&w.read("s/runs.csv"));
    assert_eq!(runs.rows.len(), 15, "5 points x 3 replicates x 1 dyad");
    assert_eq!(&runs.header[..5], ["scenario", "variant", "point", "replicate", "run_seed"]);
    assert_eq!(runs.column("point")[..4], ["0", "0", "0", "1"]);
    // Each run row carries its point's parameter values.
    let by_point: BTreeMap<&str, &str> =
        points.column("point").into_iter().zip(points.column(STRENGTH)).collect();
    for (p, v) in runs.column("point").iter().zip(runs.column(STRENGTH)) {
        assert_eq!(by_point[p], v);
    }
    let manifest = w.read("s/manifest.json");
    for needle in ["\"design\": \"lhs\"", "\"design_seed\"", "\"common_random_numbers\": true", STRENGTH] {
        assert!(manifest.contains(needle), "manifest lacks {needle}:\n{manifest}");
    }
    assert_no_partials(&w);
}

/// Seeds of each replicate at each point, from runs.csv.
fn seeds(w: &Workdir, dir: &str) -> BTreeMap<(String, String), String> {
    let runs = Table::parse(&w.read(&format!("{dir}/runs.csv")));
    let (p, r, s) = (runs.col("point"), runs.col("replicate"), runs.col("run_seed"));
    runs.rows.iter().map(|row| ((row[p].clone(), row[r].clone()), row[s].clone())).collect()
}

#[test]
fn common_random_numbers_by_default_and_independent_with_no_crn() {
    let w = Workdir::new();
    let file = tiny(&w);
    w.run(&sweep_args(&file, &["--out", "crn"])).ok();
    w.run(&sweep_args(&file, &["--out", "indep", "--no-crn"])).ok();
    let crn = seeds(&w, "crn");
    let indep = seeds(&w, "indep");
    for r in ["0", "1", "2"] {
        let at = |m: &BTreeMap<(String, String), String>, p: &str| m[&(p.to_string(), r.to_string())].clone();
        let crn_seeds: Vec<String> = (0..5).map(|p| at(&crn, &p.to_string())).collect();
        assert!(crn_seeds.iter().all(|s| *s == crn_seeds[0]), "replicate {r}: {crn_seeds:?}");
        let indep_seeds: Vec<String> = (0..5).map(|p| at(&indep, &p.to_string())).collect();
        for (i, s) in indep_seeds.iter().enumerate() {
            assert_eq!(indep_seeds.iter().filter(|t| *t == s).count(), 1, "replicate {r}, point {i}");
        }
    }
    assert!(w.read("indep/manifest.json").contains("\"common_random_numbers\": false"));
}

#[test]
fn sweep_files_do_not_depend_on_the_thread_count() {
    let w = Workdir::new();
    let file = tiny(&w);
    for (dir, threads) in [("t1", "1"), ("t2", "2")] {
        w.run(&sweep_args(&file, &["--out", dir, "--threads", threads, "--design", "sobol"])).ok();
    }
    assert_eq!(w.read("t1/points.csv"), w.read("t2/points.csv"));
    assert_eq!(w.read("t1/runs.csv"), w.read("t2/runs.csv"));
    // Two points with more replications than one parallel round holds, so
    // each point arrives in several chunks.
    for (dir, threads) in [("r1", "1"), ("r2", "2")] {
        w.run(&[
            "sweep",
            &file,
            "--design",
            "zip",
            "--values",
            "actors.raiders.group.strength=0.2,0.7",
            "-n",
            "4200",
            "--threads",
            threads,
            "--out",
            dir,
        ])
        .ok();
    }
    let points = w.read("r1/points.csv");
    assert_eq!(points, w.read("r2/points.csv"));
    assert_eq!(Table::parse(&points).column("n"), ["4200", "4200"]);
    assert_eq!(w.read("r1/runs.csv"), w.read("r2/runs.csv"));
}

#[test]
fn factorial_and_zip_designs_cover_their_levels() {
    let w = Workdir::new();
    let file = tiny(&w);
    let out = w.run(&sweep_args(&file, &["--design", "factorial", "--out", "f"]));
    assert_eq!(out.code, Some(2), "ranges without --levels:\n{out}");
    assert!(out.stderr.contains("--levels"), "{out}");
    w.run(&sweep_args(&file, &["--design", "factorial", "--levels", "3", "--out", "f"])).ok();
    let points = Table::parse(&w.read("f/points.csv"));
    assert_eq!(points.rows.len(), 9);
    assert_eq!(points.column(STRENGTH), ["0.1", "0.1", "0.1", "0.5", "0.5", "0.5", "0.9", "0.9", "0.9"]);
    w.run(&[
        "sweep",
        &file,
        "--design",
        "zip",
        "--values",
        "actors.raiders.group.strength=0.1,0.4,0.7",
        "--values",
        "actors.north.pragmatism=0.3,0.5,0.9",
        "-n",
        "2",
        "--out",
        "z",
    ])
    .ok();
    let points = Table::parse(&w.read("z/points.csv"));
    assert_eq!(points.column(STRENGTH), ["0.1", "0.4", "0.7"]);
    assert_eq!(points.column(PRAGMATISM), ["0.3", "0.5", "0.9"]);
}

#[test]
fn sensitivity_ranks_parameters_per_outcome() {
    let w = Workdir::new();
    let file = tiny(&w);
    for method in ["sobol", "morris"] {
        let dir = format!("sens_{method}");
        let out = w
            .run(&[
                "sensitivity",
                &file,
                "--method",
                method,
                "--param",
                "actors.raiders.group.strength=0.1:0.9",
                "--param",
                "actors.raiders.group.recruitment=0:0.2",
                "--param",
                "actors.north.pragmatism=0.2:0.8",
                "--points",
                "8",
                "-n",
                "4",
                "--stage",
                "3",
                "--year",
                "2001",
                "--out",
                &dir,
            ])
            .ok();
        assert!(out.stdout.contains("raiders_peak_strength"), "{out}");
        let table = Table::parse(&w.read(&format!("{dir}/sensitivity.csv")));
        assert_eq!(
            table.header,
            [
                "outcome",
                "parameter",
                "rank",
                "method",
                "mu_star",
                "mu_star_ci_low",
                "mu_star_ci_high",
                "sigma",
                "first_order",
                "first_order_ci_low",
                "first_order_ci_high",
                "total",
                "total_ci_low",
                "total_ci_high",
                "mu",
                "spearman",
                "direction",
                "outcome_mean",
                "positive_runs",
                "runs",
                "warning"
            ]
        );
        // Each index says which way the parameter moves the outcome and what
        // the outcome rests on: a stronger group peaks higher.
        let row = |o: &str, p: &str| {
            table.rows.iter().find(|r| r[0] == o && r[1] == p).unwrap_or_else(|| panic!("{o} {p}")).clone()
        };
        let peak_by_strength = row("raiders_peak_strength", STRENGTH);
        assert_eq!(peak_by_strength[table.col("direction")], "raises", "{peak_by_strength:?}");
        assert!(peak_by_strength[table.col("spearman")].parse::<f64>().unwrap() > 0.05);
        assert_eq!(peak_by_strength[table.col("positive_runs")], "", "peak strength is not yes/no");
        let by_year = row("north-south_p_stage_3_by_2001", STRENGTH);
        let runs: u64 = by_year[table.col("runs")].parse().unwrap();
        let positive: u64 = by_year[table.col("positive_runs")].parse().unwrap();
        let mean: f64 = by_year[table.col("outcome_mean")].parse().unwrap();
        assert!((mean - positive as f64 / runs as f64).abs() < 1e-6, "base rate {mean} vs {positive}/{runs}");
        assert!(out.stdout.contains("base rate"), "{out}");
        if positive < 50 {
            assert!(by_year[table.col("warning")].contains("fewer than 50"), "{by_year:?}");
            assert!(out.stdout.contains("warning: only"), "{out}");
        }
        let outcomes: Vec<&str> = table.column("outcome");
        for o in [
            "north-south_months_to_stage_3",
            "north-south_p_stage_3_by_2001",
            "north-south_p_stage_3_by_horizon",
            "raiders_peak_strength",
        ] {
            assert_eq!(outcomes.iter().filter(|x| **x == o).count(), 3, "{o} in {outcomes:?}");
        }
        assert!(table.column("method").iter().all(|m| *m == method));
        // The group's peak strength is driven by its own parameters (initial
        // strength and recruitment), not by a state's pragmatism.
        let peak: Vec<&Vec<String>> = table.rows.iter().filter(|r| r[0] == "raiders_peak_strength").collect();
        assert!(peak[0][1].starts_with("actors.raiders.group.") && peak[0][2] == "1", "{peak:?}");
        assert_eq!(peak[2][1], PRAGMATISM);
        let main = if method == "sobol" { "total" } else { "mu_star" };
        let other = if method == "sobol" { "mu_star" } else { "total" };
        let k = table.col(main);
        assert!(peak.iter().all(|r| !r[k].is_empty()), "{peak:?}");
        assert!(table.column(other).iter().all(|c| c.is_empty()));
        assert!(w.read(&format!("{dir}/manifest.json")).contains(&format!("\"design\": \"{method}\"")));
    }
}

#[test]
fn sensitivity_runs_several_variants_into_one_folder_each() {
    let w = Workdir::new();
    let file = tiny(&w);
    let args = |variant: &str, out: &str| {
        [
            "sensitivity",
            &file,
            "--method",
            "morris",
            "--param",
            "actors.raiders.group.recruitment=0:0.2",
            "--param",
            "actors.north.pragmatism=0.2:0.8",
            "--points",
            "3",
            "-n",
            "2",
            "--stage",
            "3",
            "--year",
            "2001",
            "--variant",
            variant,
            "--out",
            out,
        ]
        .map(String::from)
        .to_vec()
    };
    let out = w.run(&args("baseline,calm", "both")).ok();
    assert!(out.stdout.contains("== variant baseline") && out.stdout.contains("== variant calm"), "{out}");
    // Each variant's folder holds what a one-variant command writes.
    w.run(&args("calm", "calm_only")).ok();
    assert_eq!(w.read("both/calm/sensitivity.csv"), w.read("calm_only/sensitivity.csv"));
    assert!(w.read("both/baseline/manifest.json").contains("\"baseline\""));
    let out = w.run(&args("calm,calm", "twice"));
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("named twice"), "{out}");
}

#[test]
fn discover_warns_when_few_runs_have_the_outcome() {
    let w = Workdir::new();
    let file = tiny(&w);
    // 20 runs in all: whatever the share, fewer than 50 runs have it.
    let out = w
        .run(&[
            "discover",
            &file,
            "--outcome",
            "group:raiders:peak_above:0.6",
            "--param",
            "actors.raiders.group.strength=0.1:0.9",
            "--points",
            "10",
            "-n",
            "2",
            "--out",
            "d",
        ])
        .ok();
    assert!(out.stdout.contains("warning: only"), "{out}");
    let table = Table::parse(&w.read("d/discovery.csv"));
    assert!(table.column("warning").iter().all(|c| c.contains("fewer than 50")));
    let positive: u64 = table.column("positive_runs")[0].parse().unwrap();
    let rate: f64 = table.column("base_rate")[0].parse().unwrap();
    assert!((rate - positive as f64 / 20.0).abs() < 1e-6);
}

#[test]
fn discover_states_the_box_as_rules() {
    let w = Workdir::new();
    let file = tiny(&w);
    let out = w
        .run(&[
            "discover",
            &file,
            "--outcome",
            "group:raiders:peak_above:0.6",
            "--param",
            "actors.raiders.group.strength=0.1:0.9",
            "--param",
            "actors.north.pragmatism=0.2:0.8",
            "--points",
            "60",
            "-n",
            "2",
            "--out",
            "d",
        ])
        .ok();
    assert!(out.stdout.contains("`group:raiders:peak_above:0.6` happens in"), "{out}");
    assert!(out.stdout.contains(&format!("when {STRENGTH} >= ")), "{out}");
    let table = Table::parse(&w.read("d/discovery.csv"));
    for col in ["step", "chosen", "coverage", "density", "mass", "n_inside", "restricted"] {
        table.col(col);
    }
    table.col(&format!("{STRENGTH}_low"));
    table.col(&format!("{PRAGMATISM}_high"));
    assert_eq!(table.column("chosen").iter().filter(|c| **c == "1").count(), 1);
    assert_eq!(table.column("step")[0], "0");
    assert_eq!(table.column("n_inside")[0], "120");

    let out = w.run(&[
        "discover",
        &file,
        "--outcome",
        "stage:north-south:9:by:2001",
        "--param",
        "actors.raiders.group.strength=0.1:0.9",
    ]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("stage must be in"), "{out}");
    let out = w.run(&[
        "discover",
        &file,
        "--outcome",
        "stage:north-east:3:by:2001",
        "--param",
        "actors.raiders.group.strength=0.1:0.9",
    ]);
    assert!(out.stderr.contains("no tracked dyad `north-east`"), "{out}");
}

#[test]
fn bad_params_exit_2_with_a_clear_message() {
    let w = Workdir::new();
    let file = tiny(&w);
    for (arg, message) in [
        ("actors.nobody.goals.values=0:1", "--param actors.nobody.goals.values=0:1: "),
        ("actors.raiders.group.strength=0.5", "expected KEY=LOW:HIGH"),
        ("actors.raiders.group.strength=0.9:0.1", "expected low < high"),
        ("actors.raiders.group.strength=a:1", "\"a\" is not a number"),
        ("relations.north.south.trust=0:2", "must be within [0, 1]"),
    ] {
        let out = w.run(&["sweep", &file, "--param", arg, "--out", "bad"]).code(2);
        assert!(out.stderr.contains(message), "{arg}: {out}");
    }
    let out = w.run(&["sweep", &file, "--out", "bad"]).code(2);
    assert!(out.stderr.contains("nothing to sweep"), "{out}");
    assert!(!w.join("bad").exists(), "nothing is written on bad input");
}

#[test]
fn the_sweep_table_is_read_and_validated() {
    let w = Workdir::new();
    let text = std::fs::read_to_string(data("tiny.toml")).unwrap();
    let good = format!(
        "{text}\n[sweep]\ndesign = \"factorial\"\nlevels = 2\nreplications = 2\n\
         [sweep.parameters]\n\"{STRENGTH}\" = [0.2, 0.8]\n[sweep.values]\n\"{PRAGMATISM}\" = [0.3, 0.6, 0.9]\n"
    );
    let file = w.write("good.toml", &good).display().to_string();
    w.run(&["sweep", &file, "--out", "g"]).ok();
    let points = Table::parse(&w.read("g/points.csv"));
    assert_eq!(points.rows.len(), 6);
    assert!(points.column("n").iter().all(|n| *n == "2"));

    let typo = format!("{text}\n[sweep]\ncolour = 1\n");
    let file = w.write("typo.toml", &typo).display().to_string();
    let out = w.run(&["validate", &file]).code(2);
    assert!(out.stderr.contains("sweep.colour: unknown key `colour`"), "{out}");

    let bad = format!(
        "{text}\n[sweep]\ndesign = \"grid\"\nreplications = 0\n\
         [sweep.parameters]\n\"actors.nobody.pragmatism\" = [0.2, 0.8]\n\"{STRENGTH}\" = [0.8]\n\
         [sweep.values]\n\"{PRAGMATISM}\" = [0.5, 2.0]\n"
    );
    let file = w.write("bad.toml", &bad).display().to_string();
    let out = w.run(&["validate", &file]).code(2);
    for needle in [
        "sweep.design: expected one of factorial, zip, lhs, sobol, morris",
        "sweep.replications: expected at least 1",
        "sweep.parameters.\"actors.nobody.pragmatism\": ",
        &format!("sweep.parameters.\"{STRENGTH}\": expected [low, high]"),
        &format!("sweep.values.\"{PRAGMATISM}\": must be within [0, 1], got 2"),
    ] {
        assert!(out.stderr.contains(needle), "{needle}: {out}");
    }
}

/// A dyad is found by its label in either order (`taliban-us` is
/// `us-taliban`), by `sensitivity` and `discover` as by `compare` and
/// `calibrate`, which share the one lookup.
#[test]
fn a_dyad_is_named_in_either_order_by_every_command() {
    let w = Workdir::new();
    let file = tiny(&w);
    let sens = |dyad: &str, out: &str| {
        w.run(&[
            "sensitivity",
            &file,
            "--dyad",
            dyad,
            "--param",
            "actors.raiders.group.strength=0.1:0.9",
            "--points",
            "2",
            "-n",
            "1",
            "--stage",
            "3",
            "--year",
            "2001",
            "--out",
            out,
        ])
    };
    sens("north-south", "ab").ok();
    sens("south-north", "ba").ok();
    assert_eq!(w.read("ab/sensitivity.csv"), w.read("ba/sensitivity.csv"));
    let out = sens("south-east", "bad").code(2);
    assert!(out.stderr.contains("no tracked dyad `south-east`"), "{out}");
    let outcome = "stage:south-north:3:by:2001";
    let param = "actors.raiders.group.strength=0.1:0.9";
    let out = w.run(&[
        "discover",
        &file,
        "--outcome",
        outcome,
        "--param",
        param,
        "--points",
        "8",
        "-n",
        "2",
        "--out",
        "d",
    ]);
    assert!(!out.stderr.contains("no tracked dyad"), "a reversed dyad in an outcome is found: {out}");
}
