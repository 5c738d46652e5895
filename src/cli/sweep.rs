//! `detente sweep`: run an experimental design over named key paths and
//! write `points.csv` (one row per design point), a point-keyed `runs.csv`
//! and `manifest.json`.

use std::process::ExitCode;

use anyhow::Result;

use super::args::DesignArgs;
use crate::job::design::Analysis;

/// Arguments of `detente sweep`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Example:\n  detente sweep scenarios/afghanistan/baseline.toml --param actors.isis_k.group.strength=0.2:1.2 --points 32\n\nDesigns, points.csv and runs.csv: docs/EXPLORE.md"
)]
pub struct Args {
    #[command(flatten)]
    pub design_args: DesignArgs,
    /// Design: factorial, zip, lhs, sobol or morris (default: [sweep].design, else lhs).
    #[arg(long)]
    pub design: Option<String>,
}

/// Runs `detente sweep`.
pub fn run(args: Args) -> Result<ExitCode> {
    args.design_args.run(Analysis::Sweep { design: args.design })
}
