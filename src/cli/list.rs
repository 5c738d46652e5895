//! `detente list`: the scenarios and variants found under a folder.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::common::scenario_files;
use crate::scenario;

/// Arguments of `detente list`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to search for *.toml scenario files.
    #[arg(default_value = "scenarios")]
    pub dir: PathBuf,
}

/// Runs `detente list`.
pub fn run(args: Args) -> Result<ExitCode> {
    let mut code = ExitCode::SUCCESS;
    for path in scenario_files(&args.dir)? {
        match scenario::load(&path) {
            Ok(s) => {
                println!("{}  ({})", s.name, path.display());
                println!("    {}", one_line(&s.description));
                println!(
                    "    {} to {}, {} actors, {} replications, seed {}",
                    s.base.start,
                    s.base.month(s.base.horizon),
                    s.base.world.n(),
                    s.replications,
                    s.seed
                );
                for v in &s.variants {
                    println!("    - {:<28} {}", v.name, one_line(&v.description));
                }
            }
            Err(_) => {
                println!("{}: invalid (run `detente validate {}`)", path.display(), path.display());
                code = ExitCode::from(2);
            }
        }
    }
    Ok(code)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
