//! `detente compare`: simulated paths against a reference history.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::Result;

use super::args::Select;
use super::common::{pool, print, Bar};
use crate::job::compare::{self, Align, ComparisonRun};
use crate::job::defaults;

/// Arguments of `detente compare`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  detente compare scenarios/reference-class/us_vietnam_1975.toml --reference scenarios/reference/us_vietnam.csv\n\nWhat the distances mean, and compare_runs.csv / compare_summary.csv: docs/CALIBRATION.md, docs/OUTPUTS.md"
)]
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
    #[arg(long, default_value_t = defaults::CENSOR_PENALTY_MONTHS)]
    pub censor_penalty_months: f64,
    #[command(flatten)]
    pub select: Select,
    /// Output folder (default: results/compare/<scenario>-<reference>).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Replace the finished results in the output folder, which are listed
    /// (without it, detente refuses to write over a finished run).
    #[arg(long)]
    pub replace: bool,
}

/// `--align` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AlignArg {
    /// Compare on calendar dates.
    Calendar,
    /// Compare elapsed time since each path's origin.
    Origin,
}

impl From<AlignArg> for Align {
    fn from(a: AlignArg) -> Align {
        match a {
            AlignArg::Calendar => Align::Calendar,
            AlignArg::Origin => Align::Origin,
        }
    }
}

/// Runs `detente compare`.
pub fn run(args: Args) -> Result<ExitCode> {
    let job = ComparisonRun {
        source: args.scenario,
        select: args.select.selection(),
        reference: args.reference,
        dyad: args.dyad,
        align: args.align.into(),
        origin: args.origin,
        stages: args.stages,
        censor_penalty_months: args.censor_penalty_months,
        out: args.out,
        replace: super::common::replace(args.replace),
    };
    // A comparison is short and keeps nothing to resume: a signal ends it
    // as it ends any program, so no handler raises this flag.
    let stop = AtomicBool::new(false);
    print(compare::run(&job, &pool(args.select.threads)?, &stop, &Bar::new())?)
}
