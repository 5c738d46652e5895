//! `detente sensitivity`: which assumptions drive the outcomes that matter.
//!
//! Runs a Sobol' (Saltelli) or Morris design over the swept key paths,
//! averages each outcome over every point's replications (common random
//! numbers by default, which keeps the replicate noise out of the
//! differences between points), and writes `sensitivity.csv` with the
//! parameters ranked per outcome, next to the sweep's `points.csv` and
//! `runs.csv`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};

use super::sweep::{execute, merge_design, prepare, recorded_args, Collected, DesignArgs, Prepared};
use crate::explore::analysis::{sensitivity, SensitivityRow};
use crate::explore::design_seed;
use crate::explore::outcome::{dyad_index, sensitivity_measures, NamedMeasure};
use crate::explore::DesignKind;
use crate::output::explore::write_sensitivity;

/// Arguments of `detente sensitivity`.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct Args {
    #[command(flatten)]
    pub design_args: DesignArgs,
    /// `sobol` (first-order and total indices) or `morris` (mu*, sigma).
    #[arg(long, default_value = "sobol")]
    pub method: String,
    /// Tracked dyad whose stage timing is analysed (default: the first tracked dyad).
    #[arg(long)]
    pub dyad: Option<String>,
    /// Stage whose timing is analysed (5 = recognition on the default ladder).
    #[arg(long, default_value_t = 5)]
    pub stage: usize,
    /// Calendar year for the "reached the stage before January of YEAR" outcome (default: start year + 10).
    #[arg(long)]
    pub year: Option<i32>,
}

/// A sensitivity analysis resolved against its scenario.
struct Plan {
    prep: Prepared,
    dyad: usize,
    year: i32,
    measures: Vec<NamedMeasure>,
}

fn plan(args: &Args) -> Result<Plan> {
    let kind = match args.method.as_str() {
        "sobol" => DesignKind::Sobol,
        "morris" => DesignKind::Morris,
        other => bail!("--method {other:?}: expected sobol or morris"),
    };
    let mut spec = args.clone();
    spec.design_args = spec.design_args.canonical();
    let prep =
        prepare(&args.design_args, Some(kind.as_str()), kind, "sensitivity", serde_json::to_value(&spec)?)?;
    let setup = prep.setup();
    let dyad = match &args.dyad {
        Some(label) => dyad_index(setup, label)?,
        None if setup.tracked.is_empty() => bail!("the scenario tracks no dyad"),
        None => 0,
    };
    let year = args.year.unwrap_or(setup.start.year() + 10);
    let measures = sensitivity_measures(setup, dyad, args.stage, year)?;
    Ok(Plan { prep, dyad, year, measures })
}

/// Runs `detente sensitivity`.
pub fn run(args: Args) -> Result<ExitCode> {
    let plan = plan(&args)?;
    match execute("sensitivity", &plan.prep, &plan.measures, None, true)? {
        Some(collected) => finish(&args, &plan, collected),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Merges the shard folders of a sensitivity analysis into `out` and
/// computes the indices from every point's outcomes.
pub(super) fn merge(shards: &[PathBuf], out: &Path, manifest: &serde_json::Value) -> Result<ExitCode> {
    let mut args: Args = recorded_args(manifest, &shards[0])?;
    args.design_args.out = Some(out.to_path_buf());
    let mut plan = plan(&args)?;
    let collected = merge_design(&mut plan.prep, shards, true)?;
    finish(&args, &plan, collected)
}

fn finish(args: &Args, plan: &Plan, mut collected: Collected) -> Result<ExitCode> {
    let prep = &plan.prep;
    let names: Vec<String> = plan.measures.iter().map(|m| m.name.clone()).collect();
    let rows = sensitivity(
        &prep.design.structure,
        &prep.keys,
        &names,
        &collected.means,
        design_seed(prep.seed, "bootstrap"),
    )?;
    collected.paths.push(write_sensitivity(&prep.out, &rows)?);
    let elapsed = prep.clock.elapsed().as_secs_f64();
    let details = serde_json::json!({
        "method": args.method,
        "dyad": prep.setup().tracked[plan.dyad].label,
        "stage": args.stage,
        "year": plan.year,
        "outcomes": names,
        "bootstrap_resamples": crate::explore::analysis::BOOTSTRAP,
        "bootstrap_seed": design_seed(prep.seed, "bootstrap"),
    });
    prep.manifest("sensitivity", elapsed, &collected.paths, details).write(&prep.out)?;
    print_table(&rows)?;
    prep.print_done(elapsed);
    Ok(ExitCode::SUCCESS)
}

/// Prints, per outcome, the parameters in rank order with their main index.
/// Write errors (a closed pipe) are returned, not panicked on.
fn print_table(rows: &[SensitivityRow]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let fmt = |t: Option<(f64, f64, f64)>| match t {
        Some((v, lo, hi)) => format!("{v:>8.3} [{lo:>7.3}, {hi:>7.3}]"),
        None => format!("{:>27}", "-"),
    };
    let mut last = "";
    for r in rows {
        if r.outcome != last {
            last = &r.outcome;
            writeln!(out)?;
            let (main, other) = match r.method {
                "morris" => ("mu* [95% CI]", "sigma"),
                _ => ("total [95% CI]", "first order [95% CI]"),
            };
            writeln!(out, "{}\n  rank  {:<48} {main:>27}  {other:>27}", r.outcome, "parameter")?;
            if r.rank.is_none() {
                writeln!(out, "  (the outcome did not vary over the design: no parameter moves it)")?;
            }
        }
        let rank = r.rank.map_or("-".to_string(), |k| k.to_string());
        match r.method {
            "morris" => writeln!(
                out,
                "  {rank:>4}  {:<48} {}  {:>27}",
                r.parameter,
                fmt(r.mu_star),
                r.sigma.map_or("-".into(), |s| format!("{s:.3}"))
            )?,
            _ => writeln!(out, "  {rank:>4}  {:<48} {}  {}", r.parameter, fmt(r.total), fmt(r.first_order))?,
        }
    }
    writeln!(out)
}
