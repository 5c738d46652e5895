//! `detente sensitivity`: which assumptions drive the outcomes that matter.
//!
//! Runs a Sobol' (Saltelli) or Morris design over the swept key paths,
//! averages each outcome over every point's replications (common random
//! numbers by default, which keeps the replicate noise out of the
//! differences between points), and writes `sensitivity.csv` with the
//! parameters ranked per outcome, next to the sweep's `points.csv` and
//! `runs.csv`.

use std::process::ExitCode;

use anyhow::Result;

use super::args::DesignArgs;
use crate::job::design::Analysis;

/// Arguments of `detente sensitivity`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Example:\n  detente sensitivity scenarios/afghanistan/baseline.toml --method sobol --points 512 --year 2035\n\n\"by 2035\" means by the end of December 2035. Methods, outcomes and sensitivity.csv: docs/EXPLORE.md"
)]
pub struct Args {
    #[command(flatten)]
    pub design_args: DesignArgs,
    /// `sobol` (first-order and total indices) or `morris` (mu*, sigma).
    #[arg(long, default_value = "sobol")]
    pub method: String,
    /// Tracked dyad whose stage timing is analysed, `a-b` in either order (default: the first tracked dyad).
    #[arg(long)]
    pub dyad: Option<String>,
    /// Stage whose timing is analysed (5 = recognition on the default ladder).
    #[arg(long, default_value_t = 5)]
    pub stage: usize,
    /// Calendar year for the "reached the stage by the end of YEAR" outcome (default: start year + 10).
    #[arg(long)]
    pub year: Option<i32>,
}

/// Runs `detente sensitivity`.
pub fn run(args: Args) -> Result<ExitCode> {
    let analysis =
        Analysis::Sensitivity { method: args.method, dyad: args.dyad, stage: args.stage, year: args.year };
    args.design_args.run(analysis)
}
