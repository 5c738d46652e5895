//! `detente validate`: check scenario files and print every problem.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::common::safe;
use crate::scenario::{self, ScenarioError};

/// Arguments of `detente validate`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  detente validate scenarios/afghanistan/baseline.toml\n\nThe scenario format and every check: docs/SCENARIOS.md"
)]
pub struct Args {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Runs `detente validate`: exit 0 when every file is valid, 2 otherwise.
pub fn run(args: Args) -> Result<ExitCode> {
    let mut problems = 0;
    for path in &args.files {
        match scenario::load(path) {
            Ok(s) => println!(
                "{}",
                safe(&format!(
                    "ok {}: {} ({} actors, {} variants, {} to {})",
                    path.display(),
                    s.name,
                    s.base.world.n(),
                    s.variants.len(),
                    s.base.start,
                    s.base.month(s.base.horizon)
                ))
            ),
            Err(ScenarioError::Invalid(diags)) => {
                problems += diags.0.len();
                eprintln!("{}", safe(&diags.to_string()));
            }
            Err(e) => {
                problems += 1;
                eprintln!("{}", safe(&e.to_string()));
            }
        }
    }
    if problems > 0 {
        eprintln!("{problems} problem(s) found");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
