//! `detente discover`: scenario discovery with PRIM.
//!
//! Runs a sweep internally (an LHS design by default, over the same
//! parameters as `detente sweep`), labels every run with the yes/no outcome
//! the analyst names, and runs PRIM over the runs (one row per run: its
//! point's parameter values). Writes `discovery.csv` (the peeling
//! trajectory, the chosen box flagged) and the sweep's `points.csv`, and
//! prints the chosen box as plain rules.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};

use super::sweep::{execute, merge_design, prepare, recorded_args, Collected, DesignArgs, Prepared};
use crate::explore::analysis::discover;
use crate::explore::outcome::{Condition, CONDITION_GRAMMAR};
use crate::explore::DesignKind;
use crate::output::explore::write_discovery;

/// Arguments of `detente discover`.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct Args {
    #[command(flatten)]
    pub design_args: DesignArgs,
    /// The yes/no outcome: stage:<dyad>:<stage>:by:<YYYY>, group:<id>:peak_above:<x>,
    /// group:<id>:final_above:<x> or group:<id>:grew.
    #[arg(long)]
    pub outcome: String,
    /// Design: factorial, zip, lhs, sobol or morris (default: lhs, whatever [sweep].design says).
    #[arg(long)]
    pub design: Option<String>,
}

fn plan(args: &Args) -> Result<(Prepared, Condition)> {
    let design = args.design.as_deref().unwrap_or("lhs");
    let mut spec = args.clone();
    spec.design_args = spec.design_args.canonical();
    let prep =
        prepare(&args.design_args, Some(design), DesignKind::Lhs, "discover", serde_json::to_value(&spec)?)?;
    let condition = Condition::parse(&args.outcome, prep.setup())?;
    Ok((prep, condition))
}

/// Runs `detente discover`.
pub fn run(args: Args) -> Result<ExitCode> {
    let (prep, condition) = plan(&args)?;
    match execute("discover", &prep, &[], Some(&condition), false)? {
        Some(collected) => finish(&args, &prep, collected),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Merges the shard folders of a discovery into `out` and runs PRIM over every run.
pub(super) fn merge(shards: &[PathBuf], out: &Path, manifest: &serde_json::Value) -> Result<ExitCode> {
    let mut args: Args = recorded_args(manifest, &shards[0])?;
    args.design_args.out = Some(out.to_path_buf());
    let (mut prep, _) = plan(&args)?;
    let collected = merge_design(&mut prep, shards, false)?;
    finish(&args, &prep, collected)
}

fn finish(args: &Args, prep: &Prepared, mut collected: Collected) -> Result<ExitCode> {
    let y: Vec<bool> = collected.cases.iter().map(|&(_, v)| v).collect();
    let hits = y.iter().filter(|&&v| v).count();
    if hits == 0 {
        bail!(
            "`{}` happened in none of the {} runs; widen the ranges or pick another outcome ({CONDITION_GRAMMAR})",
            args.outcome,
            y.len()
        );
    }
    let x: Vec<Vec<f64>> =
        collected.cases.iter().map(|&(p, _)| prep.design.values[p as usize].clone()).collect();
    let found = discover(&x, &y, &prep.keys)?;
    collected.paths.push(write_discovery(&prep.out, &found, &prep.keys)?);
    let elapsed = prep.clock.elapsed().as_secs_f64();
    let chosen = &found.trajectory[found.chosen];
    let details = serde_json::json!({
        "outcome": args.outcome,
        "base_rate": found.base_rate,
        "chosen_step": found.chosen,
        "rules": found.rules,
        "peel_alpha": 0.05,
        "min_mass": 0.05,
        "min_coverage": crate::explore::analysis::MIN_COVERAGE,
        "density_tolerance": crate::explore::analysis::DENSITY_TOLERANCE,
    });
    prep.manifest("discover", elapsed, &collected.paths, details).write(&prep.out)?;
    println!("`{}` happens in {:.0} % of all {} runs.", args.outcome, 100.0 * found.base_rate, y.len());
    if found.rules.is_empty() {
        println!("No box of parameter values concentrates it better: it does not depend on the swept ranges in a way PRIM can isolate.");
    } else {
        println!(
            "`{}` happens in {:.0} % of runs when {} ({} runs in the box, {:.0} % of the runs where it happens).",
            args.outcome,
            100.0 * chosen.density,
            found.rules.join(" and "),
            chosen.n_inside,
            100.0 * chosen.coverage
        );
    }
    prep.print_done(elapsed);
    Ok(ExitCode::SUCCESS)
}
