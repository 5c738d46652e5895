//! `detente compare`: simulated paths against a reference history.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context, Result};

use super::common::{load_all, progress};
use super::run::{Plan, Select};
use crate::batch::effective_threads;
use crate::calendar::Date;
use crate::compare::{run_and_compare, Alignment, CompareSpec, JobComparison};
use crate::output::compare::{write, CompareKey};
use crate::output::manifest::Manifest;
use crate::reference::ReferencePath;

/// Arguments of `detente compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario file (TOML) to run and compare, or a results folder written
    /// with `--timeseries full` whose paths are compared as they are.
    pub scenario: PathBuf,
    /// Reference history (CSV: date,stage,event,note,source).
    #[arg(long, short = 'r')]
    pub reference: PathBuf,
    /// Tracked dyad to compare, `a-b` (default: the scenario's only tracked dyad).
    #[arg(long)]
    pub dyad: Option<String>,
    /// `calendar` (hindcast on dates) or `origin` (elapsed time from each path's origin).
    #[arg(long, value_enum, default_value_t = AlignArg::Calendar)]
    pub align: AlignArg,
    /// Reference date simulated month 0 stands for, with `--align origin` (default: the reference's first row).
    #[arg(long)]
    pub origin: Option<String>,
    /// Stages to score, comma-separated (default: every stage the reference reaches above its first).
    #[arg(long, value_delimiter = ',')]
    pub stages: Vec<u8>,
    /// Months added to the timing error of a run that never reached a stage the reference reached.
    #[arg(long, default_value_t = 60.0)]
    pub censor_penalty_months: f64,
    #[command(flatten)]
    pub select: Select,
    /// Output folder (default: results/compare/<scenario>-<reference>).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

/// `--align` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AlignArg {
    /// Compare on calendar dates.
    Calendar,
    /// Compare elapsed time since each path's origin.
    Origin,
}

/// Runs `detente compare`.
pub fn run(args: Args) -> Result<ExitCode> {
    if args.scenario.is_dir() {
        return compare_folder(&args);
    }
    let scenarios = load_all(std::slice::from_ref(&args.scenario))?;
    let scenario = &scenarios[0];
    let reference = load_reference(&args.reference, scenario.base.world.ladder.len())?;
    let (spec, alignment_label) = build_spec(&args, &reference, scenario.base.world.ladder.top())?;
    let dyad = pick_dyad(scenario, args.dyad.as_deref())?;
    let plan = Plan::new(&scenarios, &args.select)?;
    let jobs = plan.jobs();
    let threads = effective_threads(args.select.threads);
    let total: u64 = jobs.iter().map(|j| j.replications).sum();
    let started = SystemTime::now();
    let clock = Instant::now();
    let bar = progress(total, "runs");
    let stop = AtomicBool::new(false);
    let dyads = vec![dyad; jobs.len()];
    let results = run_and_compare(&jobs, &dyads, &spec, threads, &stop, |n| bar.inc(n))?;
    bar.finish_and_clear();
    let label = &scenario.base.tracked[dyad].label;
    let keyed: Vec<(CompareKey, JobComparison)> = plan
        .entries
        .iter()
        .zip(results)
        .map(|(e, c)| {
            let key = CompareKey {
                scenario: scenario.name.clone(),
                variant: e.variant.to_string(),
                dyad: label.clone(),
                reference: reference.name.clone(),
                alignment: alignment_label.clone(),
            };
            (key, c)
        })
        .collect();
    let out = args.out.clone().unwrap_or_else(|| {
        Path::new("results/compare").join(format!("{}-{}", scenario.name, reference.name))
    });
    let paths = write(&out, &keyed).with_context(|| format!("cannot write to {}", out.display()))?;
    let elapsed = clock.elapsed().as_secs_f64();
    Manifest::new(
        "compare",
        plan.manifest_entries(),
        threads,
        started,
        elapsed,
        total,
        &paths,
        details(&args, label, &alignment_label, &spec, None),
    )
    .write(&out)?;
    finish(&keyed, &out)
}

/// The manifest details of a comparison; `source` is the results folder's timeseries.csv, if any.
fn details(
    args: &Args,
    dyad: &str,
    alignment: &str,
    spec: &CompareSpec<'_>,
    source: Option<&Path>,
) -> serde_json::Value {
    let mut value = serde_json::json!({
        "reference": args.reference.display().to_string(),
        "reference_sha256": crate::output::manifest::file_sha256(&args.reference),
        "dyad": dyad,
        "alignment": alignment,
        "stages": spec.stages,
        "censor_penalty_months": args.censor_penalty_months,
    });
    if let Some(source) = source {
        value["source"] = source.display().to_string().into();
        value["source_sha256"] = crate::output::manifest::file_sha256(source).into();
    }
    value
}

/// Prints the table and where the files went.
fn finish(keyed: &[(CompareKey, JobComparison)], out: &Path) -> Result<ExitCode> {
    print_table(keyed);
    println!("results in {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// The comparison the arguments ask for, and its alignment label for the outputs.
fn build_spec<'a>(args: &Args, reference: &'a ReferencePath, top: u8) -> Result<(CompareSpec<'a>, String)> {
    let alignment = match args.align {
        AlignArg::Calendar => Alignment::Calendar,
        AlignArg::Origin => Alignment::Origin {
            reference_origin: match &args.origin {
                Some(text) => Date::parse(text).map_err(|e| anyhow::anyhow!("--origin: {e}"))?,
                None => reference.origin(),
            },
        },
    };
    let mut spec = CompareSpec::new(reference, alignment, args.censor_penalty_months);
    if !args.stages.is_empty() {
        if let Some(bad) = args.stages.iter().find(|s| **s > top) {
            bail!("--stages: {bad} is not a rung of the ladder (0..{top})");
        }
        spec.stages = args.stages.clone();
    }
    let label = match alignment {
        Alignment::Calendar => "calendar".to_string(),
        Alignment::Origin { reference_origin } => format!("origin:{reference_origin}"),
    };
    Ok((spec, label))
}

/// Loads a reference history, printing every problem on failure.
pub fn load_reference(path: &Path, ladder_len: usize) -> Result<ReferencePath> {
    ReferencePath::load(path, ladder_len).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Index of the tracked dyad named `a-b` (either order), or the only one.
pub fn pick_dyad(scenario: &crate::scenario::Scenario, name: Option<&str>) -> Result<usize> {
    let tracked = &scenario.base.tracked;
    let labels: Vec<&str> = tracked.iter().map(|t| t.label.as_str()).collect();
    match name {
        None if tracked.len() == 1 => Ok(0),
        None => bail!("the scenario tracks several dyads; pick one with --dyad ({})", labels.join(", ")),
        Some(n) => {
            let reversed: String = n.split('-').rev().collect::<Vec<_>>().join("-");
            labels
                .iter()
                .position(|l| *l == n || *l == reversed)
                .with_context(|| format!("--dyad {n}: not a tracked dyad; tracked: {}", labels.join(", ")))
        }
    }
}

fn print_table(jobs: &[(CompareKey, JobComparison)]) {
    for (key, job) in jobs {
        let s = job.summary();
        println!(
            "{} / {} / {} vs {} ({}), {} runs",
            key.scenario, key.variant, key.dyad, key.reference, key.alignment, s.runs
        );
        println!(
            "  stage  reference_y  error_y_p10  error_y_median  error_y_p90  share_faster  share_censored"
        );
        let y = |m: Option<f64>| m.map_or("-".to_string(), |m| format!("{:.1}", m / 12.0));
        let pct = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{:.0}%", x * 100.0));
        for st in &s.stages {
            println!(
                "  {:>5}  {:>11}  {:>11}  {:>14}  {:>11}  {:>12}  {:>14}",
                st.stage,
                y(st.reference_months),
                y(st.error_months[0]),
                y(st.error_months[1]),
                y(st.error_months[2]),
                pct(st.share_faster),
                pct(st.share_censored)
            );
        }
        println!(
            "  area between paths (stage-years) median {}, final stage matches in {} of runs, \
             identical path in {}, window {} months",
            s.area_stage_years[1].map_or("-".into(), |a| format!("{a:.1}")),
            pct(s.share_final_match),
            pct(s.share_identical),
            s.window_months
        );
    }
}

/// `detente compare RESULTS_DIR`: compares the stored paths of a finished batch.
fn compare_folder(args: &Args) -> Result<ExitCode> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let source = args.scenario.join("timeseries.csv");
    let dyad = args.dyad.as_deref().context("comparing a results folder needs --dyad a-b")?;
    let paths = crate::compare::read_full_timeseries(&source, dyad).map_err(|e| anyhow::anyhow!(e))?;
    let reference = load_reference(&args.reference, crate::model::MAX_RUNGS)?;
    let (spec, alignment_label) = build_spec(args, &reference, (crate::model::MAX_RUNGS - 1) as u8)?;
    let mut keyed: Vec<(CompareKey, JobComparison)> = Vec::new();
    for p in &paths {
        let d = spec.distance(crate::compare::SimPath { start: p.start, stages: &p.stages });
        let new_job = keyed.last().is_none_or(|(k, _)| k.scenario != p.scenario || k.variant != p.variant);
        if new_job {
            let key = CompareKey {
                scenario: p.scenario.clone(),
                variant: p.variant.clone(),
                dyad: dyad.to_string(),
                reference: reference.name.clone(),
                alignment: alignment_label.clone(),
            };
            keyed.push((key, JobComparison { runs: Vec::new(), stages: spec.stages.clone() }));
        }
        keyed.last_mut().expect("a job was pushed").1.runs.push((p.replicate, p.seed, d));
    }
    let out = args.out.clone().unwrap_or_else(|| args.scenario.join(format!("compare-{}", reference.name)));
    let files = write(&out, &keyed).with_context(|| format!("cannot write to {}", out.display()))?;
    Manifest::new(
        "compare",
        Vec::new(),
        0,
        started,
        clock.elapsed().as_secs_f64(),
        paths.len() as u64,
        &files,
        details(args, dyad, &alignment_label, &spec, Some(&source)),
    )
    .write(&out)?;
    finish(&keyed, &out)
}
