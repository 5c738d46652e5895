//! `detente diff A B`: two results folders side by side.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::common::print;
use crate::job::diff::{self, DiffRun};

/// Arguments of `detente diff`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  detente run scenarios/afghanistan/baseline.toml --seed 1 --out results/seed1\n  detente run scenarios/afghanistan/baseline.toml --seed 2 --out results/seed2\n  detente diff results/seed1 results/seed2            (expect no flag: only the seed differs)\n  detente diff results/afg results/afg --variant baseline:ct_partnership\n\nThe tests, the false-flag rate and diff.csv: docs/OUTPUTS.md (diff.csv)"
)]
pub struct Args {
    /// Results folder A (written by `detente run`); differences are B − A.
    pub a: PathBuf,
    /// Results folder B (may be A itself, with --variant).
    pub b: PathBuf,
    /// Compare A's variant with B's: A_NAME:B_NAME, or one name for both; a comma list or repeated
    /// (default: every variant both folders hold).
    #[arg(long = "variant", value_name = "A[:B][,...]", value_delimiter = ',')]
    pub variants: Vec<String>,
    /// Output folder for diff.csv (default: results/diff/<A>-vs-<B>).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

/// Runs `detente diff`.
pub fn run(args: Args) -> Result<ExitCode> {
    let spec = DiffRun { a: args.a, b: args.b, variants: diff::parse_pairs(&args.variants)?, out: args.out };
    print(diff::run(&spec)?)
}
