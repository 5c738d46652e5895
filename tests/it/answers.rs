//! The analyst's answers (issue 12): probabilities by calendar date with
//! their intervals, the reasons behind each path, and two results folders
//! side by side.

use std::collections::BTreeMap;

use crate::workdir::{afghanistan, data, raiders_sweep, vietnam, Table, Workdir};
use detente::engine::ladder::{Decision, SideTerms, Verdict};
use detente::engine::{Cause, Happening, Recorder, Simulator};
use detente::model::Setup;
use detente::stats::proportion::{share_cell, wilson};

/// `--by 2030` on the Afghanistan scenario: the terminal prints, per
/// variant, the chance of each stage by the end of 2030 with its interval,
/// and `summary.csv` carries the same numbers, which are the share of runs
/// whose first-reach date in `runs.csv` is on or before 2030-12-31.
#[test]
fn by_2030_the_headline_and_summary_give_the_same_chances_with_intervals() {
    let Some(afg) = afghanistan() else { return };
    let w = Workdir::new();
    let out = w.run(&["run", afg.to_str().unwrap(), "-n", "60", "--by", "2030", "--out", "afg"]).ok();
    let summary = Table::parse(&w.read("afg/summary.csv"));
    let runs = Table::parse(&w.read("afg/runs.csv"));
    assert!(out.stdout.contains("chance of reaching each stage by the end of 2030 (95 % interval)"), "{out}");
    assert!(out.stdout.contains("2021-09 to 2050-12"), "the horizon is named: {out}");
    let top = summary.header.iter().filter(|h| h.ends_with("_share")).count();
    for row in &summary.rows {
        let get = |name: &str| row[summary.col(name)].clone();
        let (variant, dyad) = (get("variant"), get("dyad"));
        assert!(out.stdout.contains(&variant), "{variant} in the headline");
        let n: u64 = get("runs").parse().unwrap();
        for s in get("initial_stage").parse::<usize>().unwrap() + 1..=top {
            let p: f64 = get(&format!("stage_{s}_p_by_2030")).parse().unwrap();
            let k = (p * n as f64).round() as u64;
            // The meaning of "by": the first-reach date is on or before the end of 2030.
            let by_date = runs
                .rows
                .iter()
                .filter(|r| r[runs.col("variant")] == variant && r[runs.col("dyad")] == dyad)
                .filter(|r| {
                    let d = &r[runs.col(&format!("stage_{s}_date"))];
                    !d.is_empty() && d.as_str() <= "2030-12-31"
                })
                .count() as u64;
            assert_eq!(k, by_date, "{variant} {dyad} stage {s}");
            let (low, high) = wilson(k, n);
            let cell = |name: &str| get(name).parse::<f64>().unwrap();
            assert!((cell(&format!("stage_{s}_p_by_2030_low")) - low).abs() < 1e-6);
            assert!((cell(&format!("stage_{s}_p_by_2030_high")) - high).abs() < 1e-6);
            assert!(
                out.stdout.contains(&share_cell(k, n)),
                "{variant} {dyad} stage {s}: {} in {out}",
                share_cell(k, n)
            );
        }
    }
    // Stage names, not bare numbers.
    assert!(out.stdout.contains("5 de facto recognition"), "{out}");
}

/// The sum of one side's terms and its gain, as the engine logs them.
fn net(t: &SideTerms) -> f64 {
    t.goods.iter().sum::<f64>() + t.values + t.distrust + t.war
}

/// Checks one decision against the rules of docs/MODEL.md §3.3.7, from its
/// logged terms alone.
fn check(setup: &Setup, d: &Decision) {
    let p = &setup.world.params;
    let eps = 1e-9;
    let up = d.target > d.stage;
    for t in &d.sides {
        if matches!(d.verdict, Verdict::Moved(Cause::War)) {
            continue;
        }
        let expected = if up { net(t) + p.consent_bias } else { net(t) - p.exit_cost };
        assert!((t.gain - expected).abs() < 1e-9, "{d:?}: the gain is the sum of the terms");
    }
    let consenting: Vec<&SideTerms> = d.sides.iter().filter(|t| t.consents).collect();
    let smallest = consenting.iter().map(|t| t.gain).fold(f64::INFINITY, f64::min);
    let hazard = || {
        let rising = 1.0 - (-p.gate_sharpness * smallest.max(0.0)).exp();
        p.step_rate * rising * p.leap_discount.powi(i32::from(d.target) - i32::from(d.stage) - 1)
    };
    let acceptable = || consenting.iter().all(|t| t.gain > -eps && t.trust >= t.threshold - eps);
    match d.verdict {
        Verdict::Moved(Cause::StepUp) => {
            assert!(acceptable(), "{d:?}");
            assert!((d.hazard - hazard()).abs() < 1e-9 && d.draw < d.hazard, "{d:?}");
        }
        Verdict::NotYet => {
            assert!(acceptable(), "{d:?}");
            assert!((d.hazard - hazard()).abs() < 1e-9 && d.draw >= d.hazard, "{d:?}");
        }
        Verdict::Deliberating => assert!(acceptable(), "{d:?}"),
        Verdict::Refused(k) => {
            assert!(d.sides[k].gain < eps, "{d:?}: the refusing side does not gain");
            assert!(consenting.iter().any(|t| t.gain > -eps), "{d:?}: the other side wanted it");
        }
        Verdict::Unwanted => assert!(consenting.iter().all(|t| t.gain < eps), "{d:?}"),
        Verdict::Distrusted(k) => {
            assert!(d.sides[k].gain > -eps && d.sides[k].trust < d.sides[k].threshold + eps, "{d:?}")
        }
        Verdict::Moved(Cause::Downgrade) => {
            let k = d.side.expect("a downgrade has a deciding side");
            let margin = d.sides[k].gain;
            let hazard = p.fall_rate * (1.0 - (-p.gate_sharpness * margin).exp());
            assert!(margin > -eps && (d.hazard - hazard).abs() < 1e-9 && d.draw < d.hazard, "{d:?}");
        }
        Verdict::Moved(Cause::LowTrust) => {
            // The pair drops to the highest rung the side's trust still supports (rung 1 at least).
            let k = d.side.expect("a side lost trust");
            assert!(d.target == 1 || d.sides[k].trust >= d.sides[k].threshold - eps, "{d:?}");
        }
        Verdict::Moved(_) => {}
    }
}

/// Every decision the engine records adds up to what it did: the terms to
/// the gain, the gains, trusts and draw to the verdict, and every move to
/// the stage change the run logged.
#[test]
fn every_recorded_decision_is_recomputed_from_its_terms() {
    let mut files = vec![data("tiny.toml"), vietnam()];
    files.extend(afghanistan());
    let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
    for file in files {
        let scenario = detente::scenario::load(&file).unwrap();
        for variant in &scenario.variants {
            let setup = &variant.setup;
            let mut sim = Simulator::new();
            for seed in 0..8 {
                let mut rec = Recorder::new(false, true).with_decisions();
                sim.run(setup, seed, &mut rec);
                let decisions = rec.decisions.clone().unwrap();
                let fired = rec.fired.clone().unwrap();
                for d in &decisions {
                    check(setup, d);
                    let name = match d.verdict {
                        Verdict::Moved(c) => c.as_str(),
                        Verdict::Refused(_) => "refused",
                        Verdict::Distrusted(_) => "distrusted",
                        Verdict::Deliberating => "deliberating",
                        Verdict::NotYet => "not_yet",
                        Verdict::Unwanted => "unwanted",
                    };
                    *seen.entry(name).or_default() += 1;
                    if let Verdict::Moved(cause) = d.verdict {
                        let logged = Happening::Stage(d.pair, d.stage, d.target, cause);
                        assert!(
                            fired.iter().any(|f| f.month == d.month && f.what == logged),
                            "{d:?}: the move is in the run's log"
                        );
                    }
                }
                // And every move of a tracked pair by the ladder has its decision.
                for f in &fired {
                    if let Happening::Stage(pair, from, to, cause) = f.what {
                        if cause == Cause::Scripted || !setup.tracked.iter().any(|t| t.pair == pair) {
                            continue;
                        }
                        assert!(
                            decisions.iter().any(|d| d.month == f.month
                                && d.pair == pair
                                && (d.stage, d.target) == (from, to)
                                && d.verdict == Verdict::Moved(cause)),
                            "{f:?} has its decision"
                        );
                    }
                }
            }
        }
    }
    for condition in ["step_up", "not_yet", "deliberating", "refused", "unwanted"] {
        assert!(seen.get(condition).is_some_and(|n| *n > 0), "{condition} occurs: {seen:?}");
    }
}

/// One row of `decisions.csv` recomputed from its logged terms gives the
/// decision the engine took; `why.csv` counts the same months.
#[test]
fn decisions_csv_rows_add_up_and_why_csv_counts_their_months() {
    let w = Workdir::new();
    let file = vietnam();
    w.run(&["run", file.to_str().unwrap(), "-n", "20", "--events", "--out", "v"]).ok();
    let decisions = Table::parse(&w.read("v/decisions.csv"));
    let why = Table::parse(&w.read("v/why.csv"));
    let params = detente::scenario::load(&file).unwrap().base.world.params;
    let num = |r: &Vec<String>, c: &str| r[decisions.col(c)].parse::<f64>().unwrap();
    let goods = |r: &Vec<String>, x: &str| -> f64 {
        detente::model::ladder::GOODS.iter().map(|g| num(r, &format!("{x}_goods_{g}"))).sum()
    };
    let mut checked = BTreeMap::new();
    for r in &decisions.rows {
        let condition = r[decisions.col("condition")].as_str();
        if condition == "war" {
            continue;
        }
        let up = num(r, "target") > num(r, "stage");
        for x in ["a", "b"] {
            let terms = goods(r, x)
                + num(r, &format!("{x}_values"))
                + num(r, &format!("{x}_distrust"))
                + num(r, &format!("{x}_war"));
            let gain = if up { terms + params.consent_bias } else { terms - params.exit_cost };
            // Six decimals are written for each of up to eight terms.
            assert!((num(r, &format!("{x}_gain")) - gain).abs() < 1e-5, "{condition}: {r:?}");
        }
        let side = if r[decisions.col("side")] == r[decisions.col("dyad")].split('-').next().unwrap() {
            "a"
        } else {
            "b"
        };
        match condition {
            "step_up" => {
                for x in ["a", "b"] {
                    if num(r, &format!("{x}_consents")) == 1.0 {
                        assert!(num(r, &format!("{x}_gain")) > -1e-6, "{r:?}");
                        assert!(num(r, &format!("{x}_trust")) >= num(r, &format!("{x}_threshold")) - 1e-6);
                    }
                }
                assert!(num(r, "draw") < num(r, "hazard"), "a step up is drawn: {r:?}");
            }
            "refused" => assert!(num(r, &format!("{side}_gain")) <= 1e-6, "{r:?}"),
            "not_yet" => assert!(num(r, "draw") >= num(r, "hazard") - 1e-6, "{r:?}"),
            _ => {}
        }
        *checked.entry(condition.to_string()).or_insert(0) += 1;
    }
    assert!(checked.contains_key("step_up") && checked.contains_key("refused"), "{checked:?}");
    // why.csv: the months of each cell are the months of its spells.
    let key = |t: &Table, r: &Vec<String>| {
        ["variant", "dyad", "stage", "target", "condition", "side"].map(|c| r[t.col(c)].clone())
    };
    let mut spells: BTreeMap<[String; 6], u64> = BTreeMap::new();
    for r in &decisions.rows {
        *spells.entry(key(&decisions, r)).or_default() += r[decisions.col("months")].parse::<u64>().unwrap();
    }
    let cells: BTreeMap<[String; 6], u64> =
        why.rows.iter().map(|r| (key(&why, r), r[why.col("months")].parse().unwrap())).collect();
    assert_eq!(spells, cells);
}

/// The exemplars are runs that reach the stage, and their timelines give
/// the reasons in words.
#[test]
fn exemplars_reach_the_stage_and_cite_their_reasons() {
    let w = Workdir::new();
    let file = vietnam();
    w.run(&[
        "run",
        file.to_str().unwrap(),
        "-n",
        "40",
        "--events",
        "--out",
        "v",
        "--report",
        "--exemplar-stage",
        "3",
    ])
    .ok();
    let md = w.read("v/exemplars.md");
    assert!(md.contains("of the runs that reach it"), "{md}");
    assert!(!md.contains("never reaches stage 3"), "{md}");
    assert!(md.contains("step up to "), "moves cite their reason: {md}");
    assert!(md.contains(" refused by ") || md.contains("no step wanted"), "refusals in words: {md}");
    let page = w.read("v/report.html");
    assert!(page.contains("step up to "), "the page has the reasons too");
}

/// `run --report` takes the report's options; `--variant` a comma list.
#[test]
fn run_takes_the_report_options_and_a_comma_list_of_variants() {
    let w = Workdir::new();
    w.copy(&data("tiny.toml"), "tiny.toml");
    w.copy(&data("tiny_reference.csv"), "reference.csv");
    let out = w
        .run(&[
            "run",
            "tiny.toml",
            "--variant",
            "baseline,calm",
            "--timeseries",
            "summary",
            "--report",
            "--reference",
            "reference.csv",
            "--out",
            "t",
        ])
        .ok();
    assert!(out.stdout.contains("baseline") && out.stdout.contains("calm"), "{out}");
    assert!(
        w.read("t/charts/fan_stage_tiny_north-south.svg").contains("reference"),
        "the reference is drawn"
    );
    let bad = w.run(&["run", "tiny.toml", "--reference", "reference.csv", "--out", "u"]).code(2);
    assert!(bad.stderr.contains("add --report"), "{bad}");
}

/// Every command's help has an example and the document to read.
#[test]
fn every_help_page_teaches_with_an_example_and_a_document() {
    let w = Workdir::new();
    for command in [
        "run",
        "calibrate",
        "compare",
        "diff",
        "hindcast",
        "validate",
        "list",
        "merge",
        "params",
        "report",
        "sweep",
        "sensitivity",
        "discover",
    ] {
        let out = w.run(&[command, "--help"]).ok();
        assert!(out.stdout.contains("Example"), "{command} --help has an example");
        assert!(
            out.stdout.contains("docs/") || out.stdout.contains(".md"),
            "{command} --help names a document"
        );
    }
}

/// Two runs of one scenario that differ only in their seed: nothing beyond
/// noise. Two variants that differ: flagged. Folders that do not match:
/// refused with what each holds.
#[test]
fn diff_flags_real_differences_and_not_noise() {
    let w = Workdir::new();
    let file = vietnam();
    let file = file.to_str().unwrap();
    for seed in ["1", "2"] {
        w.run(&["run", file, "-n", "150", "--seed", seed, "--out", &format!("s{seed}")]).ok();
    }
    let noise = w.run(&["diff", "s1", "s2", "--out", "d"]).ok();
    let table = Table::parse(&w.read("d/diff.csv"));
    assert!(table.column("flagged").iter().all(|f| *f == "0"), "{noise}");
    assert!(noise.stdout.contains("0 of "), "{noise}");
    let tests = table.column("p_value").iter().filter(|p| !p.is_empty()).count();
    assert!(tests > 10, "{tests} tests");

    let real = w.run(&["diff", "s1", "s1", "--variant", "baseline:no_doi_moi", "--out", "e"]).ok();
    let table = Table::parse(&w.read("e/diff.csv"));
    assert!(table.column("flagged").contains(&"1"), "{real}");
    assert!(real.stdout.contains('*'), "{real}");
    assert_eq!(table.column("variant_b")[0], "no_doi_moi");

    let itself = w.run(&["diff", "s1", "s1", "--out", "f"]).code(2);
    assert!(itself.stderr.contains("compared with itself"), "{itself}");
    let unknown = w.run(&["diff", "s1", "s2", "--variant", "nope", "--out", "f"]).code(2);
    assert!(unknown.stderr.contains("no variant `nope`") && unknown.stderr.contains("baseline"), "{unknown}");
    w.copy(&data("tiny.toml"), "tiny.toml");
    w.run(&["run", "tiny.toml", "--out", "t"]).ok();
    let other = w.run(&["diff", "s1", "t", "--out", "f"]).code(2);
    assert!(
        other.stderr.contains("ladders differ") || other.stderr.contains("nothing to compare"),
        "{other}"
    );
    w.run(&raiders_sweep("tiny.toml", "2", "1", &["--out", "sw"])).ok();
    let sweep = w.run(&["diff", "t", "sw", "--out", "f"]).code(2);
    assert!(sweep.stderr.contains("detente sweep"), "{sweep}");
}
