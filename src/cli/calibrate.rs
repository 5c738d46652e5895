//! `detente calibrate`: fit named parameters to a reference history by ABC.
//! The rounds, their state files, `--resume` and `--shard` are the job's
//! (`job::calibration`); this file turns the options into its spec.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::common::{files_and_folders, pool, print, stop_flag, Bar};
use crate::job::calibration::{self, CalibrationRun, CalibrationSpec};
use crate::job::shard::Shard;

/// Arguments of `detente calibrate`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  detente calibrate scenarios/reference-class/us_vietnam_1975.toml \\\n      --reference scenarios/reference/us_vietnam.csv --prior params.ladder.step_rate=0.04:0.16\n  detente calibrate scenarios/reference-class --leave-one-out\n\nHow the fit works and what it writes: docs/CALIBRATION.md"
)]
pub struct Args {
    /// Scenario file (TOML), whose [calibration] table gives defaults for every option; or several
    /// case files, or a folder of them, for one joint fit of the mechanism parameters.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// With several case files: also fit on all cases but each one in turn and predict it.
    #[arg(long)]
    pub leave_one_out: bool,
    /// Reference history CSV (default: [calibration].reference, relative to the scenario).
    #[arg(long, short = 'r')]
    pub reference: Option<PathBuf>,
    /// Prior KEY=LOW:HIGH on a key path (repeatable; replaces the file's priors).
    #[arg(long = "prior", value_name = "KEY=LOW:HIGH")]
    pub priors: Vec<String>,
    /// `rejection` or `smc`.
    #[arg(long)]
    pub method: Option<String>,
    /// Replications per candidate (default: [calibration].replications, else [run].replications, else 40).
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Accepted particles (population size).
    #[arg(long)]
    pub particles: Option<u64>,
    /// SMC rounds after the first.
    #[arg(long)]
    pub rounds: Option<u64>,
    /// Proposals evaluated in each SMC round after the first (default: 2 x particles).
    #[arg(long)]
    pub proposals: Option<u64>,
    /// Budget of candidate evaluations.
    #[arg(long)]
    pub max_evaluations: Option<u64>,
    /// Tracked dyad compared, `a-b` in either order.
    #[arg(long)]
    pub dyad: Option<String>,
    /// `calendar` or `origin`.
    #[arg(long)]
    pub align: Option<String>,
    /// Reference date month 0 stands for, with `--align origin`.
    #[arg(long)]
    pub origin: Option<String>,
    /// Variant to calibrate (default: baseline).
    #[arg(long, default_value = "baseline")]
    pub variant: String,
    /// Master seed (default: the file's [run] seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// Output folder (default: results/calibration/<scenario>).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Evaluate only slice I of N (0-based) of the next round's proposals, for `detente merge`.
    #[arg(long, value_name = "I/N", conflicts_with = "resume")]
    pub shard: Option<Shard>,
    /// Start from the calibration-state.json in DIR (a merged round or an unfinished calibration).
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    pub population: Option<PathBuf>,
    /// Continue an interrupted calibration in the same output folder from its last complete round.
    #[arg(long)]
    pub resume: bool,
    /// Replace the finished results in the output folder, which are listed
    /// (without it, detente refuses to write over a finished run).
    #[arg(long)]
    pub replace: bool,
}

/// Runs `detente calibrate`. Exit 1 when the budget ran out before convergence.
pub fn run(args: Args) -> Result<ExitCode> {
    let scenarios = files_and_folders(&args.scenarios)?;
    let spec = CalibrationSpec {
        scenarios,
        leave_one_out: args.leave_one_out,
        reference: args.reference,
        priors: args.priors,
        method: args.method,
        replications: args.replications,
        particles: args.particles,
        rounds: args.rounds,
        proposals: args.proposals,
        max_evaluations: args.max_evaluations,
        dyad: args.dyad,
        align: args.align,
        origin: args.origin,
        variant: args.variant,
        seed: args.seed,
    };
    let job = CalibrationRun {
        spec,
        out: args.out,
        shard: args.shard,
        population: args.population,
        resume: args.resume,
        replace: super::common::replace(args.replace),
    };
    print(calibration::run(&job, &pool(args.threads)?, stop_flag(), &Bar::new())?)
}
