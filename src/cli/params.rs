//! `detente params`: the mechanism parameters, their defaults and meanings.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Result;

use crate::model::params::calibrated_range;
use crate::model::PARAM_SPECS;

/// Arguments of `detente params`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  detente params --markdown\n\nEach parameter's role in the model: docs/MODEL.md"
)]
pub struct Args {
    /// Print a Markdown table (as in docs/MODEL.md).
    #[arg(long)]
    pub markdown: bool,
}

/// Runs `detente params`.
pub fn run(args: Args) -> Result<ExitCode> {
    // Written through a handle, not println!, so a closed pipe (`| head`)
    // ends the command quietly instead of panicking.
    let mut out = std::io::stdout().lock();
    if args.markdown {
        write!(out, "{}", markdown_table())?;
    } else {
        for s in PARAM_SPECS {
            let fitted = calibrated_range(s.key)
                .map_or(String::new(), |(lo, hi)| format!("  calibrated in [{lo}, {hi}]"));
            writeln!(
                out,
                "params.{:<34} {:>8}  [{}, {}]  {}{fitted}",
                s.key, s.default, s.min, s.max, s.unit
            )?;
            writeln!(out, "    {}", s.doc)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The parameter table in Markdown, one row per parameter.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| key | default | range | calibrated in | unit | meaning |\n|---|---|---|---|---|---|\n",
    );
    for s in PARAM_SPECS {
        let fitted = calibrated_range(s.key).map_or(String::new(), |(lo, hi)| format!("[{lo}, {hi}]"));
        out.push_str(&format!(
            "| `params.{}` | {} | [{}, {}] | {fitted} | {} | {} |\n",
            s.key, s.default, s.min, s.max, s.unit, s.doc
        ));
    }
    out
}
