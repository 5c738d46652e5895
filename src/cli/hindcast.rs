//! `detente hindcast`: run reference-class cases and hold each against its
//! history. The work is the job's (`job::hindcast`); this file turns the
//! options into its spec.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::common::{files_and_folders, pool, print, Bar};
use crate::job::hindcast::{self, HindcastSpec};

/// Arguments of `detente hindcast`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  detente hindcast scenarios/reference-class\n\nThe cases and the validation tables: docs/VALIDATION.md"
)]
pub struct Args {
    /// Case files (scenarios with a `[calibration]` reference and dyad), or folders of them.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Runs per case (default: 200).
    #[arg(short = 'n', long)]
    pub replications: Option<u64>,
    /// Master seed (default: each case's `[run] seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(short = 'j', long, default_value_t = 0)]
    pub threads: usize,
    /// Override a value in every case, `KEY=VALUE` (repeatable), e.g. `params.ladder.step_rate=0.2`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Output folder (default: results/hindcast; an earlier hindcast's results there are replaced).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace any finished results in the output folder, not only an earlier hindcast's.
    #[arg(long)]
    pub replace: bool,
    /// Print the tables as Markdown (as in docs/VALIDATION.md).
    #[arg(long)]
    pub markdown: bool,
}

/// Runs `detente hindcast`.
pub fn run(args: Args) -> Result<ExitCode> {
    let files = files_and_folders(&args.files)?;
    let spec = HindcastSpec {
        files,
        replications: args.replications,
        seed: args.seed,
        sets: args.sets,
        markdown: args.markdown,
    };
    let out = args.out.clone().unwrap_or_else(|| hindcast::default_out(&spec));
    let replace = super::common::replace_own(args.replace, "hindcast");
    let report = hindcast::run(&spec, &out, &replace, &pool(args.threads)?, &Bar::new())?;
    print(report)
}
