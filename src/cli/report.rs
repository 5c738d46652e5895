//! `detente report`: the workbook, charts, exemplar timelines and HTML page
//! for a results folder.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;

use super::args::ReportArgs;
use crate::report::{self, Options};

/// Arguments of `detente report`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  detente run scenarios/afghanistan/baseline.toml --timeseries summary --events --out results/afg\n  detente report results/afg --reference scenarios/reference/us_vietnam.csv\n\nThe workbook, charts, exemplars and page: docs/REPORT.md"
)]
pub struct Args {
    /// Results folder (written by `detente run`, `sweep`, `sensitivity`, `discover` or `compare`).
    pub dir: PathBuf,
    /// Write results.xlsx (with none of --xlsx, --charts, --html: all three).
    #[arg(long)]
    pub xlsx: bool,
    /// Write charts/*.svg.
    #[arg(long)]
    pub charts: bool,
    /// Write report.html.
    #[arg(long)]
    pub html: bool,
    #[command(flatten)]
    pub with: ReportArgs,
}

/// Runs `detente report`.
pub fn run(args: Args) -> Result<ExitCode> {
    let all = !(args.xlsx || args.charts || args.html);
    let options = Options {
        xlsx: all || args.xlsx,
        charts: all || args.charts,
        html: all || args.html,
        references: args.with.reference,
        stage: args.with.exemplar_stage.unwrap_or(report::DEFAULT_STAGE),
        dyad: args.with.dyad,
        title: Some(report::title_of(&args.dir)),
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
