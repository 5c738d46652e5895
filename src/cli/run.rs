//! `detente run` (and the default batch): run scenarios, write CSV results.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};

use super::args::{ReportArgs, Select};
use super::common::{pool, print, replace, replace_own, scenario_files, stop_flag, Bar};
use crate::job::batch::{self, BatchRun, BatchSpec, ReportInputs, Selection};
use crate::job::defaults::CHECKPOINT_SECONDS;
use crate::job::shard::Shard;
use crate::output::batch::Timeseries;

/// Arguments of `detente run`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  detente run scenarios/afghanistan/baseline.toml --by 2030\n  detente run scenarios/afghanistan/baseline.toml -n 2000 --seed 7 --variant baseline,ct_partnership \\\n      --by 2030,2035 --timeseries summary --events --report\n  detente run scenarios/reference-class/us_vietnam_1975.toml --variant no_doi_moi -n 18 --replicate 17\n\n\"By 2030\" means by the end of December 2030; a month or a date counts through that month.\nEvery file and column: docs/OUTPUTS.md; the scenario format: docs/SCENARIOS.md;\nthe model behind the numbers: docs/MODEL.md."
)]
pub struct Args {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub select: Select,
    /// Report the chance of each stage by these cut-offs: calendar years (by the end of
    /// the year), months YYYY-MM or dates YYYY-MM-DD, a comma list; replaces the files'
    /// report_years in summary.csv and adds a table per cut-off to the headline.
    #[arg(long, value_name = "YEAR|DATE[,...]", value_delimiter = ',')]
    pub by: Vec<String>,
    /// Output folder (default: results/<scenario name>, or results/batch for several files).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Monthly paths: none, summary (quantile bands) or full (every run).
    #[arg(long, value_enum, default_value_t = TimeseriesArg::None)]
    pub timeseries: TimeseriesArg,
    /// Write events.csv (every event, attack and stage change of every run) and
    /// decisions.csv (the reasons behind each path, month by month).
    #[arg(long)]
    pub events: bool,
    /// Also write results.xlsx (a sheet per table) next to the CSV files.
    #[arg(long)]
    pub xlsx: bool,
    /// Also write results.xlsx, charts/*.svg and report.html (see `detente report`).
    #[arg(long)]
    pub report: bool,
    /// With --report or --xlsx: the report's options.
    #[command(flatten, next_help_heading = "Report options (with --report)")]
    pub report_with: ReportArgs,
    /// Run only slice I of N (0-based) of every job's replicates, for `detente merge`.
    #[arg(long, value_name = "I/N", conflicts_with = "replicate")]
    pub shard: Option<Shard>,
    /// Continue an interrupted batch in the same output folder from its checkpoint.
    #[arg(long, conflicts_with = "replicate")]
    pub resume: bool,
    /// Replay only replicate R of each selected variant from its seed, with its
    /// events and monthly rows (default folder: results/<scenario>/replicate-R).
    #[arg(long, value_name = "R")]
    pub replicate: Option<u64>,
    /// Replace the finished results in the output folder, which are listed
    /// (without it, detente refuses to write over a finished run).
    #[arg(long)]
    pub replace: bool,
    /// Seconds between checkpoints while running (0: after every chunk of runs).
    #[arg(long, default_value_t = CHECKPOINT_SECONDS, hide = true)]
    pub checkpoint_seconds: f64,
}

/// `--timeseries` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TimeseriesArg {
    /// No timeseries.csv.
    None,
    /// Per-month quantile bands across runs.
    Summary,
    /// Every run's monthly rows.
    Full,
}

impl From<TimeseriesArg> for Timeseries {
    fn from(t: TimeseriesArg) -> Self {
        match t {
            TimeseriesArg::None => Timeseries::None,
            TimeseriesArg::Summary => Timeseries::Summary,
            TimeseriesArg::Full => Timeseries::Full,
        }
    }
}

/// `detente` with no subcommand: every scenario under `scenarios/`, each with
/// its configured replications, into `results/default/`, with summary bands.
pub fn default_batch() -> Result<ExitCode> {
    let dir = Path::new("scenarios");
    if !dir.is_dir() {
        bail!("no scenarios/ folder here; run from the project root or use `detente run FILE`");
    }
    let files = scenario_files(dir)?;
    if files.is_empty() {
        bail!("scenarios/ holds no .toml scenario files");
    }
    let spec = BatchSpec {
        files,
        select: Selection::default(),
        timeseries: Timeseries::Summary,
        events: false,
        by: Vec::new(),
    };
    // The default batch replaces its own earlier results, so `cargo run
    // --release` can be run again and again.
    let job = BatchRun {
        out: Some(PathBuf::from("results/default")),
        replace: replace_own(false, "run"),
        ..BatchRun::new(spec)
    };
    print(batch::run(&job, &pool(0)?, stop_flag(), &Bar::new())?)
}

/// Runs `detente run`.
pub fn run(args: Args) -> Result<ExitCode> {
    let spec = BatchSpec {
        files: args.files,
        select: args.select.selection(),
        timeseries: args.timeseries.into(),
        events: args.events,
        by: args.by,
    };
    let with = args.report_with;
    if !(args.report || args.xlsx)
        && (!with.reference.is_empty() || with.exemplar_stage.is_some() || with.dyad.is_some())
    {
        bail!("--reference, --exemplar-stage and --dyad are options of the report: add --report");
    }
    let job = BatchRun {
        spec,
        out: args.out,
        shard: args.shard,
        resume: args.resume,
        replicate: args.replicate,
        checkpoint_seconds: args.checkpoint_seconds,
        xlsx: args.xlsx,
        report: args.report,
        report_inputs: ReportInputs {
            references: with.reference,
            stage: with.exemplar_stage,
            dyad: with.dyad,
        },
        replace: replace(args.replace),
    };
    print(batch::run(&job, &pool(args.select.threads)?, stop_flag(), &Bar::new())?)
}
