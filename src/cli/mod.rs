//! The command line: argument parsing, dispatch, exit codes.
//!
//! `cli` is the only module that knows clap, terminals and exit codes. Each
//! subcommand lives in its own file with its `Args` and `run`, which turns
//! the arguments into a job spec and hands it to `job`; option groups that
//! several commands share are in `args`. No command's file imports
//! another's. Exit codes: 0 success, 1 a calibration's budget ran out, 2 bad
//! input or I/O error, 130 interrupted.

mod args;
mod calibrate;
mod common;
mod compare;
mod diff;
mod discover;
mod hindcast;
mod list;
mod merge;
mod params;
mod report;
mod run;
mod sensitivity;
mod sweep;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::job::JobError;

/// Strategic scenario simulator: agent-based Monte Carlo runs of how relations
/// between actors move between war and partnership.
#[derive(Debug, Parser)]
#[command(
    name = "detente",
    version,
    about,
    long_about = None,
    after_help = "Start with:\n  detente run scenarios/afghanistan/baseline.toml --by 2030\n\nEach command's --help has an example and the document to read; the overview is README.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenario files (baseline and variants) and write CSV results.
    Run(run::Args),
    /// Calibrate named parameters on a reference history (ABC rejection or SMC).
    Calibrate(calibrate::Args),
    /// Compare simulated paths of a dyad with a reference history (CSV).
    Compare(compare::Args),
    /// Compare two results folders: differences in stage probabilities and timing, flagged beyond noise.
    Diff(diff::Args),
    /// Run reference-class cases and hold each against its history (hindcast.csv).
    Hindcast(hindcast::Args),
    /// Check scenario files and print every problem found.
    Validate(validate::Args),
    /// List the scenarios and variants found under a folder.
    List(list::Args),
    /// Merge the shard folders of a run, sweep, sensitivity, discover or calibration round made with `--shard I/N`.
    Merge(merge::Args),
    /// Print every mechanism parameter with its default, range, unit and meaning.
    Params(params::Args),
    /// Build the workbook, charts, exemplar timelines and HTML page of a results folder.
    Report(report::Args),
    /// Run an experimental design over named key paths: points.csv, runs.csv.
    Sweep(sweep::Args),
    /// Rank the swept assumptions by their influence on key outcomes (Sobol or Morris).
    Sensitivity(sensitivity::Args),
    /// Find the parameter box where a yes/no outcome concentrates (PRIM).
    Discover(discover::Args),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    common::install_fault_hooks();
    let result = match cli.command {
        None => run::default_batch(),
        Some(Command::Run(args)) => run::run(args),
        Some(Command::Calibrate(args)) => calibrate::run(args),
        Some(Command::Compare(args)) => compare::run(args),
        Some(Command::Diff(args)) => diff::run(args),
        Some(Command::Hindcast(args)) => hindcast::run(args),
        Some(Command::Validate(args)) => validate::run(args),
        Some(Command::List(args)) => list::run(args),
        Some(Command::Merge(args)) => merge::run(args),
        Some(Command::Params(args)) => params::run(args),
        Some(Command::Report(args)) => report::run(args),
        Some(Command::Sweep(args)) => sweep::run(args),
        Some(Command::Sensitivity(args)) => sensitivity::run(args),
        Some(Command::Discover(args)) => discover::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            match err.downcast_ref::<JobError>() {
                Some(JobError::Interrupted(stopped)) => {
                    eprintln!("{}", common::safe(stopped));
                    return ExitCode::from(130);
                }
                // Every problem of every file on its own line, then what it means.
                Some(JobError::Scenarios { errors, .. }) => {
                    for e in errors {
                        eprintln!("{}", common::safe(&e.to_string()));
                    }
                }
                _ => {}
            }
            eprintln!("error: {}", common::safe(&format!("{err:#}")));
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
