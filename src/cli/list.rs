//! `detente list`: the scenarios and variants found under a folder.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::common::{safe, scenario_files};
use crate::scenario;

/// Arguments of `detente list`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  detente list scenarios\n\nThe scenario format: docs/SCENARIOS.md")]
pub struct Args {
    /// Folder to search for *.toml scenario files.
    #[arg(default_value = "scenarios")]
    pub dir: PathBuf,
}

/// Runs `detente list`.
pub fn run(args: Args) -> Result<ExitCode> {
    let mut code = ExitCode::SUCCESS;
    // A handle, not println!: a closed pipe ends the listing quietly.
    let mut out = std::io::stdout().lock();
    for path in scenario_files(&args.dir)? {
        match scenario::load(&path) {
            Ok(s) => {
                writeln!(out, "{}", safe(&format!("{}  ({})", s.name, path.display())))?;
                writeln!(out, "    {}", safe(&one_line(&s.description)))?;
                writeln!(
                    out,
                    "    {} to {}, {} actors, {} replications, seed {}",
                    s.base.start,
                    s.base.month(s.base.horizon),
                    s.base.world.n(),
                    crate::job::defaults::batch_replications(None, &s),
                    s.seed
                )?;
                for v in &s.variants {
                    writeln!(out, "{}", safe(&format!("    - {:<28} {}", v.name, one_line(&v.description))))?;
                }
            }
            Err(_) => {
                let line = format!("{}: invalid (run `detente validate {}`)", path.display(), path.display());
                writeln!(out, "{}", safe(&line))?;
                code = ExitCode::from(2);
            }
        }
    }
    Ok(code)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
