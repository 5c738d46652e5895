//! `detente merge`: combine the shard folders of one job into one.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::common::print;
use crate::job::merge::{self, MergeSpec};

/// Arguments of `detente merge`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  detente run scenarios/afghanistan/baseline.toml --shard 0/2 --out shards/0\n  detente run scenarios/afghanistan/baseline.toml --shard 1/2 --out shards/1\n  detente merge shards/0 shards/1 --out results/afghanistan\n\nSharded runs and the files they leave: docs/OUTPUTS.md (Interrupted, resumed and sharded batches)"
)]
pub struct Args {
    /// Shard folders written by `run`, `sweep`, `sensitivity`, `discover` or `calibrate` with `--shard I/N`, all N of them.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// Output folder for the merged results (an earlier merge's results there are replaced).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Replace any finished results in the output folder, not only an earlier merge's.
    #[arg(long)]
    pub replace: bool,
}

/// Runs `detente merge`: the shards' manifests say which command made them.
pub fn run(args: Args) -> Result<ExitCode> {
    let replace = super::common::replace_own(args.replace, "merge");
    print(merge::run(&MergeSpec { shards: args.shards, out: args.out, replace })?)
}
