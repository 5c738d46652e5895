//! `detente report`: the workbook, charts, exemplar timelines and HTML page
//! for a results folder.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;

use crate::report::{self, Options};

/// Arguments of `detente report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Results folder (written by `detente run`, `sweep`, `sensitivity`, `discover` or `compare`).
    pub dir: PathBuf,
    /// Reference history (CSV: date,stage,...) to overlay on the stage fan charts,
    /// its first row placed at the scenario start; may be repeated.
    #[arg(long, short = 'r')]
    pub reference: Vec<PathBuf>,
    /// Write results.xlsx (with none of --xlsx, --charts, --html: all three).
    #[arg(long)]
    pub xlsx: bool,
    /// Write charts/*.svg.
    #[arg(long)]
    pub charts: bool,
    /// Write report.html.
    #[arg(long)]
    pub html: bool,
    /// Stage whose first-reach time picks the exemplar runs and feeds the time-to-stage chart.
    #[arg(long, default_value_t = report::DEFAULT_STAGE)]
    pub exemplar_stage: u8,
    /// Dyad to follow, `a-b` (default: each scenario's first tracked dyad).
    #[arg(long)]
    pub dyad: Option<String>,
}

/// Runs `detente report`.
pub fn run(args: Args) -> Result<ExitCode> {
    let all = !(args.xlsx || args.charts || args.html);
    let options = Options {
        xlsx: all || args.xlsx,
        charts: all || args.charts,
        html: all || args.html,
        references: args.reference,
        stage: args.exemplar_stage,
        dyad: args.dyad,
    };
    let clock = Instant::now();
    // Built in a linked copy of the folder and committed as a whole: a
    // report that fails (or is killed) leaves the folder as it was.
    let update = crate::job::open_update(&args.dir)?;
    let outcome = report::build(update.dir(), &options)
        .map_err(|e| anyhow::anyhow!(update.shown_text(&e.to_string())))?;
    let written: Vec<PathBuf> = outcome.written.iter().map(|p| update.shown(p)).collect();
    update.commit()?;
    for note in &outcome.notes {
        eprintln!("note: {}", super::common::safe(note));
    }
    for path in &written {
        println!("{}", super::common::safe(&path.display().to_string()));
    }
    eprintln!("report written in {:.1} s", clock.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}
