//! `detente discover`: scenario discovery with PRIM.
//!
//! Runs a sweep internally (an LHS design by default, over the same
//! parameters as `detente sweep`), labels every run with the yes/no outcome
//! the analyst names, and runs PRIM over the runs (one row per run: its
//! point's parameter values). Writes `discovery.csv` (the peeling
//! trajectory, the chosen box flagged) and the sweep's `points.csv`, and
//! prints the chosen box as plain rules.

use std::process::ExitCode;

use anyhow::Result;

use super::args::DesignArgs;
use crate::job::design::Analysis;

/// Arguments of `detente discover`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Example:\n  detente discover scenarios/afghanistan/baseline.toml --outcome stage:us-taliban:5:by:2035 --points 200\n\n\"by 2035\" means by the end of December 2035. The method and discovery.csv: docs/EXPLORE.md"
)]
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

/// Runs `detente discover`.
pub fn run(args: Args) -> Result<ExitCode> {
    args.design_args.run(Analysis::Discover { outcome: args.outcome, design: args.design })
}
