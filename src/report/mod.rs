//! The analyst deliverables built from a results folder: a workbook
//! (`results.xlsx`), SVG charts (`charts/*.svg`), exemplar timelines
//! (`exemplars.csv`, `exemplars.md`) and one static page (`report.html`).
//!
//! `report` only reads what `run`, `compare` and the exploration commands
//! already wrote, so a report can be rebuilt at any time without rerunning
//! anything. Every CSV in the folder is read generically as a [`table::Table`]
//! of text cells; the parts that know a file's columns (fan charts from
//! `timeseries.csv`, exemplars from `runs.csv` and `events.csv`, the headline
//! table from `summary.csv`) look columns up by name and say clearly which
//! column or file is missing. Files are written atomically through
//! [`crate::output::AtomicFile`], like every other output. The page and the
//! charts are plain text builders: no fonts, no network, no JavaScript.

pub mod charts;
pub mod checks;
pub mod columns;
pub mod exemplars;
pub mod html;
pub mod svg;
pub mod table;
pub mod why;
pub mod xlsx;

use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::calendar::YearMonth;
use crate::output::manifest::{ScenarioAbout, ScenarioEntry};
use crate::output::{AtomicFile, OutputError};
use crate::reference::{ReferenceError, ReferencePath};
use table::Table;

/// Stage the exemplars and the time-to-stage chart follow by default
/// (diplomatic recognition on the default ladder).
pub const DEFAULT_STAGE: u8 = 5;

/// Rows of a per-run table (one with a `replicate` column) copied into the
/// workbook: a sample, because a large batch has millions of rows.
pub const RUN_SAMPLE_ROWS: usize = 10_000;

/// Why a report could not be built.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The folder does not exist or is not a folder.
    #[error("{}: not a results folder (expected a folder written by `detente run`)", .0.display())]
    NotAFolder(PathBuf),
    /// A file the requested output needs is absent.
    #[error("{}: missing; {hint}", path.display())]
    Missing {
        /// The file that was looked for.
        path: PathBuf,
        /// How to get it.
        hint: String,
    },
    /// A file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A CSV file is malformed.
    #[error("{}:{line}: {message}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem (0 when unknown).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A CSV file lacks a column the report needs.
    #[error("{}: expected a column named {column:?}; is this a file written by detente?", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// A reference history could not be used.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The workbook library refused the data.
    #[error("{}: cannot build the workbook: {message}", path.display())]
    Xlsx {
        /// The workbook path.
        path: PathBuf,
        /// The library's message.
        message: String,
    },
    /// `--dyad` names no dyad of the folder.
    #[error("--dyad {wanted}: no such dyad in runs.csv (found: {found})")]
    UnknownDyad {
        /// What was asked for.
        wanted: String,
        /// The dyads present.
        found: String,
    },
    /// Writing an output failed.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// What to build and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Write `results.xlsx`.
    pub xlsx: bool,
    /// Write `charts/*.svg`.
    pub charts: bool,
    /// Write `report.html`.
    pub html: bool,
    /// Reference histories to overlay on the stage fan charts.
    pub references: Vec<PathBuf>,
    /// Stage whose first-reach time picks the exemplars and feeds the
    /// time-to-stage chart.
    pub stage: u8,
    /// Restrict charts and exemplars to this dyad (`a-b`).
    pub dyad: Option<String>,
    /// The page's title, the results folder's name ([`title_of`]); by
    /// default the name of the folder read, which is a working copy when
    /// the report is built beside the folder it is for.
    pub title: Option<String>,
}

/// The title of the report on the results folder `dir`: its name.
pub fn title_of(dir: &Path) -> String {
    dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| dir.display().to_string())
}

impl Default for Options {
    fn default() -> Self {
        Options {
            xlsx: true,
            charts: true,
            html: true,
            references: Vec::new(),
            stage: DEFAULT_STAGE,
            dyad: None,
            title: None,
        }
    }
}

/// What a report wrote, and what it had to leave out.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Files written, in writing order.
    pub written: Vec<PathBuf>,
    /// Things the analyst should know (a missing optional input, say).
    pub notes: Vec<String>,
}

/// The inputs found in a results folder.
pub struct Folder {
    /// The folder.
    pub dir: PathBuf,
    /// Every `*.csv` in it except the report's own `exemplars.csv`, sorted
    /// by a fixed preference (summary first), then by name.
    pub csvs: Vec<PathBuf>,
    /// `manifest.json`, parsed, if present and readable.
    pub manifest: Option<serde_json::Value>,
    /// The manifest's scenario entries (empty without a manifest).
    pub scenarios: Vec<ScenarioEntry>,
}

impl Folder {
    /// Looks at `dir`: which CSV files and which manifest it holds.
    pub fn open(dir: &Path) -> Result<Folder, ReportError> {
        if !dir.is_dir() {
            return Err(ReportError::NotAFolder(dir.to_path_buf()));
        }
        let read_err = |source| ReportError::Read { path: dir.to_path_buf(), source };
        let mut csvs = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_err)? {
            let path = entry.map_err(read_err)?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            // Hidden files are `.x.partial` leftovers of interrupted writes.
            if path.is_file() && name.ends_with(".csv") && !name.starts_with('.') && name != "exemplars.csv" {
                csvs.push(path);
            }
        }
        csvs.sort_by_key(|p| {
            let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            (sheet_rank(&stem), stem)
        });
        let manifest = crate::input::read_to_string(&dir.join("manifest.json"), crate::input::STATE_CAP)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        let scenarios = manifest
            .as_ref()
            .and_then(|m: &serde_json::Value| {
                serde_json::from_value::<Vec<ScenarioEntry>>(m["scenarios"].clone()).ok()
            })
            .unwrap_or_default();
        Ok(Folder { dir: dir.to_path_buf(), csvs, manifest, scenarios })
    }

    /// What the manifest says about scenario `name`: its span, variant
    /// descriptions and actor names (`None` for folders of older versions).
    pub fn about(&self, name: &str) -> Option<&ScenarioAbout> {
        self.scenarios.iter().find(|s| s.name == name)?.about.as_ref()
    }

    /// Display name of actor `id` of scenario `scenario`, else the id.
    pub fn actor_name(&self, scenario: &str, id: &str) -> String {
        self.about(scenario).and_then(|a| a.actors.get(id)).cloned().unwrap_or_else(|| id.to_string())
    }

    /// Months from the start to the horizon of `scenario`, from the manifest.
    pub fn horizon_months(&self, scenario: &str) -> Option<u32> {
        let about = self.about(scenario)?;
        let start = YearMonth::parse(&about.start).ok()?;
        let end = YearMonth::parse(&about.end).ok()?;
        u32::try_from(end.months_since(start)).ok()
    }

    /// `name` inside the folder, if that file exists.
    pub fn file(&self, name: &str) -> Option<PathBuf> {
        Some(self.dir.join(name)).filter(|p| p.is_file())
    }
}

/// Order of the workbook's sheets: what an analyst opens first comes first.
fn sheet_rank(stem: &str) -> usize {
    const ORDER: [&str; 12] = [
        "summary",
        "points",
        "sensitivity",
        "discovery",
        "compare_summary",
        "timeseries",
        "exemplars",
        "runs",
        "groups",
        "compare_runs",
        "posterior",
        "events",
    ];
    ORDER.iter().position(|s| *s == stem).unwrap_or(ORDER.len())
}

/// Builds the requested deliverables for the results folder `dir`.
///
/// Exemplars are written whenever `runs.csv` is present, because both the
/// workbook and the page include them. Missing optional inputs (no
/// `timeseries.csv`, no `events.csv`, no `sensitivity.csv`) leave that part
/// out with a note; a folder without any CSV file is an error.
pub fn build(dir: &Path, options: &Options) -> Result<Outcome, ReportError> {
    let folder = Folder::open(dir)?;
    let mut outcome = Outcome::default();
    if folder.csvs.is_empty() {
        return Err(ReportError::Missing {
            path: dir.join("summary.csv"),
            hint: "no CSV file in the folder; write one with \
                   `detente run SCENARIO.toml --timeseries summary --events --out DIR`"
                .to_string(),
        });
    }
    // Exploration folders (sweep, sensitivity, discover) have no summary.csv.
    let summary = match folder.file("summary.csv") {
        Some(p) => Some(checks::checked(Table::load(&p, None)?)?),
        None => {
            outcome.notes.push("summary.csv is absent: no headline table".to_string());
            None
        }
    };
    let runs = match folder.file("runs.csv") {
        Some(p) => Some(checks::checked(Table::load(&p, None)?)?),
        None => {
            outcome.notes.push("runs.csv is absent: no exemplars and no time-to-stage chart".to_string());
            None
        }
    };
    let ladder_len = summary
        .as_ref()
        .and_then(summary_stage_top)
        .or_else(|| runs.as_ref().and_then(runs_stage_top))
        .map_or(8, |t| usize::from(t) + 1);
    let references = options
        .references
        .iter()
        .map(|p| ReferencePath::load(p, ladder_len))
        .collect::<Result<Vec<_>, _>>()?;

    let chosen = match &runs {
        Some(runs) => Some(exemplars::pick_dyads(runs, options.dyad.as_deref())?),
        None => None,
    };

    let mut exemplar_set = None;
    let by_point = runs.as_ref().is_some_and(|r| r.col("point").is_some());
    if by_point {
        // A replicate number names a run only within one design point, and
        // sweeps write no events: exemplars belong to `detente run` folders.
        outcome.notes.push(
            "runs.csv is keyed by design point (a sweep): exemplars are drawn from `detente run` folders; \
             the time-to-stage chart pools the runs of every point"
                .to_string(),
        );
    }
    if let (Some(runs), Some(dyads), false) = (&runs, &chosen, by_point) {
        let set = exemplars::select(runs, dyads, options.stage)?;
        match folder.file("events.csv") {
            Some(events) => {
                let mut set = exemplars::attach_events(set, &events)?;
                if let Some(decisions) = folder.file("decisions.csv") {
                    set = why::attach_decisions(set, &decisions)?;
                }
                let csv_path = dir.join("exemplars.csv");
                exemplars::write_csv(&set, &csv_path)?;
                outcome.written.push(csv_path);
                let md_path = dir.join("exemplars.md");
                write_text(&md_path, &exemplars::markdown(&set))?;
                outcome.written.push(md_path);
                exemplar_set = Some(set);
            }
            None => {
                outcome.notes.push(exemplars::NO_EVENTS_HINT.to_string());
                exemplar_set = Some(set);
            }
        }
    }

    let mut chart_list = Vec::new();
    if options.charts || options.html {
        chart_list = charts::all(
            &folder,
            ladder_len,
            runs.as_ref(),
            chosen.as_ref(),
            &references,
            options,
            &mut outcome,
        )?;
        if options.charts {
            for chart in &chart_list {
                let path = dir.join("charts").join(&chart.file);
                write_text(&path, &chart.svg)?;
                outcome.written.push(path);
            }
        }
    }

    if options.xlsx {
        let path = dir.join("results.xlsx");
        xlsx::write(&folder, &path)?;
        outcome.written.push(path);
    }

    if options.html {
        let path = dir.join("report.html");
        let page = html::page(&html::Inputs {
            folder: &folder,
            summary: summary.as_ref(),
            charts: &chart_list,
            exemplars: exemplar_set.as_ref(),
            notes: &outcome.notes,
            stage: options.stage,
            title: &options.title.clone().unwrap_or_else(|| title_of(dir)),
        });
        write_text(&path, &page)?;
        outcome.written.push(path);
    }
    Ok(outcome)
}

/// Highest stage with a `stage_<s>_share` column in `summary.csv`.
pub fn summary_stage_top(summary: &Table) -> Option<u8> {
    summary
        .header
        .iter()
        .filter_map(|h| h.strip_prefix("stage_")?.strip_suffix("_share")?.parse::<u8>().ok())
        .max()
}

/// Highest stage with a `stage_<s>_month` column in `runs.csv`.
pub fn runs_stage_top(runs: &Table) -> Option<u8> {
    runs.header
        .iter()
        .filter_map(|h| h.strip_prefix("stage_")?.strip_suffix("_month")?.parse::<u8>().ok())
        .max()
}

/// Writes a text file atomically.
pub fn write_text(path: &Path, text: &str) -> Result<(), ReportError> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(text.as_bytes()).map_err(|e| OutputError::new(path, e))?;
    file.commit()?;
    Ok(())
}

/// Escapes text for HTML and SVG (element content and quoted attributes).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Rung names of the default ladder, used to label stages when the folder's
/// ladder has the default length (the CSV files carry rung numbers only).
pub fn rung_name(stage: u8, ladder_len: usize) -> String {
    let ladder = crate::model::Ladder::default();
    match ladder.rungs.get(usize::from(stage)) {
        Some(rung) if ladder_len == ladder.len() => rung.name.clone(),
        _ => format!("stage {stage}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
    }

    #[test]
    fn sheets_order_summary_first() {
        assert!(sheet_rank("summary") < sheet_rank("runs"));
        assert!(sheet_rank("runs") < sheet_rank("unknown_table"));
    }
}
