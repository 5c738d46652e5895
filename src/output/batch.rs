//! The CSV files of a batch: runs, groups, summary, timeseries, events.
//!
//! [`BatchWriter`] receives finished runs in order, writes their rows, folds
//! them into per-job summaries, and when a job is complete writes its summary
//! and timeseries rows. All files are committed together by
//! [`BatchWriter::finish`]. Column sets are documented in `docs/OUTPUTS.md`;
//! this file and that one change together.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CsvFile, FileMark, Opening, OutputError};
use crate::batch::aggregate::{JobSummary, BAND_QUANTILES};
use crate::batch::RunResult;
use crate::calendar::By;
use crate::engine::{Happening, TickRecord};
use crate::model::Setup;

/// How much of the monthly paths to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Timeseries {
    /// No timeseries.csv.
    #[default]
    None,
    /// Quantile bands across runs per month.
    Summary,
    /// Every run's monthly rows.
    Full,
}

/// One job as the outputs see it.
#[derive(Debug, Clone)]
pub struct JobInfo<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// Variant name.
    pub variant: &'a str,
    /// The setup run.
    pub setup: &'a Setup,
    /// Cut-offs of the `p_by` columns (`report_years`, or `--by`).
    pub report_years: &'a [By],
    /// Value of each varied parameter (None: not defined for this scenario).
    pub params: Vec<Option<f64>>,
}

/// Columns shared by every job of the batch.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Key paths varied anywhere in the batch, in column order.
    pub param_keys: Vec<String>,
    /// Largest ladder size among the jobs.
    pub rungs: usize,
    /// Union of the jobs' cut-offs, by their last month (then label).
    pub report_years: Vec<By>,
}

impl Layout {
    /// The layout covering `jobs`.
    pub fn of(jobs: &[JobInfo<'_>], param_keys: Vec<String>) -> Layout {
        let rungs = jobs.iter().map(|j| j.setup.world.ladder.len()).max().unwrap_or(0);
        let mut report_years: Vec<By> = jobs.iter().flat_map(|j| j.report_years.iter().cloned()).collect();
        report_years.sort_by(|a, b| (a.last_month(), a.label()).cmp(&(b.last_month(), b.label())));
        report_years.dedup();
        Layout { param_keys, rungs, report_years }
    }
}

/// Writes a batch's CSV files as runs arrive.
pub struct BatchWriter<'a> {
    jobs: Vec<JobInfo<'a>>,
    layout: Layout,
    role: Role,
    dir: PathBuf,
    files: Files<CsvFile>,
    mode: Timeseries,
    current: Option<(usize, JobSummary)>,
    dates: Vec<String>,
    finished: Vec<JobSummary>,
    next: (usize, u64),
    shard_id: Option<(String, [u64; 2])>,
}

/// A batch's files by kind; `F` is a file, or a borrow of one.
struct Files<F> {
    runs: F,
    groups: F,
    summary: Option<F>,
    why: Option<F>,
    series: Option<F>,
    events: Option<F>,
    decisions: Option<F>,
}

impl<F> Files<F> {
    /// The files written, in the one order checkpoints and shard states list them.
    fn in_order(self) -> impl Iterator<Item = F> {
        [Some(self.runs), Some(self.groups), self.summary, self.why, self.series, self.events, self.decisions]
            .into_iter()
            .flatten()
    }

    /// Borrows every file, so that a checkpoint lists them in the same order.
    fn borrowed(&mut self) -> Files<&mut F> {
        Files {
            runs: &mut self.runs,
            groups: &mut self.groups,
            summary: self.summary.as_mut(),
            why: self.why.as_mut(),
            series: self.series.as_mut(),
            events: self.events.as_mut(),
            decisions: self.decisions.as_mut(),
        }
    }
}

/// Whether a writer produces a whole batch or one shard of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// All files, summaries included.
    Whole,
    /// Row files only, plus `shard-state.json` with the summaries `detente merge` adds up.
    Shard,
}

/// Which row file a copied row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFile {
    /// runs.csv
    Runs,
    /// groups.csv
    Groups,
    /// timeseries.csv (full)
    Series,
    /// events.csv
    Events,
    /// decisions.csv
    Decisions,
}

/// How far a batch got: enough to resume it byte for byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Identifies the batch (see `job::batch`); a resume must match it.
    pub fingerprint: String,
    /// Job in progress and its first replicate not yet written.
    pub next: (usize, u64),
    /// Runs written.
    pub runs_done: u64,
    /// Length and SHA-256 of each temporary file, by file name.
    pub files: Vec<FileMark>,
    /// Summary of the job in progress.
    pub current: Option<(usize, JobSummary)>,
    /// Summaries of finished jobs.
    pub finished: Vec<JobSummary>,
}

/// Name of the checkpoint file in an output folder.
pub const CHECKPOINT: &str = "checkpoint.json";
/// Name of a shard's state file.
pub const SHARD_STATE: &str = "shard-state.json";

/// What a shard of a batch hands to `detente merge` besides its rows,
/// sealed ([`super::seal`]): which slice of which batch it is, the length
/// and SHA-256 of each row file, and the per-job summaries to add up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardState {
    /// The batch's fingerprint.
    pub fingerprint: String,
    /// The slice: index and count.
    pub slice: [u64; 2],
    /// Each row file as written.
    pub files: Vec<FileMark>,
    /// Summaries of the shard's runs, one per job of the batch.
    pub summaries: Vec<JobSummary>,
}

/// The files of a batch and their headers, in writing order.
fn headers(layout: &Layout, mode: Timeseries, events: bool, role: Role) -> Vec<(&'static str, Vec<String>)> {
    let mut runs_header = run_key_header();
    runs_header.extend(dyad_outcome_columns(layout.rungs));
    runs_header.extend(layout.param_keys.iter().cloned());

    let mut groups_header = run_key_header();
    groups_header.extend(["group", "attacks", "peak_strength", "final_strength"].map(String::from));

    let mut summary_header: Vec<String> = [
        "scenario",
        "variant",
        "dyad",
        "actor_a",
        "actor_b",
        "runs",
        "initial_stage",
        "start_date",
        "horizon_date",
    ]
    .map(String::from)
    .to_vec();
    for s in 1..layout.rungs {
        for c in ["share", "share_low", "share_high"] {
            summary_header.push(format!("stage_{s}_{c}"));
        }
        for y in &layout.report_years {
            for end in ["", "_low", "_high"] {
                summary_header.push(format!("stage_{s}_p_by_{y}{end}"));
            }
        }
        for q in ["p10", "median", "p90"] {
            summary_header.push(format!("stage_{s}_months_{q}"));
        }
        summary_header.push(format!("stage_{s}_date_median"));
    }
    summary_header.extend(
        [
            "final_stage_mean",
            "final_trust_ab_mean",
            "final_trust_ba_mean",
            "attacks_mean",
            "armed_group_peak_strength_mean",
            "armed_group_final_strength_mean",
        ]
        .map(String::from),
    );

    let mut out = vec![("runs.csv", runs_header), ("groups.csv", groups_header)];
    if role == Role::Whole {
        out.push(("summary.csv", summary_header));
        out.push(("why.csv", super::why::why_header()));
    }
    match (mode, role) {
        (Timeseries::Summary, Role::Whole) => {
            let mut h: Vec<String> = ["scenario", "variant", "dyad", "month", "date", "runs", "stage_mean"]
                .map(String::from)
                .to_vec();
            for var in ["stage", "trust_ab", "trust_ba", "net_cooperation"] {
                for q in ["p10", "median", "p90"] {
                    h.push(format!("{var}_{q}"));
                }
            }
            out.push(("timeseries.csv", h));
        }
        (Timeseries::Full, _) => {
            let mut h = run_key_header();
            h.extend(
                ["dyad", "month", "date", "stage", "trust_ab", "trust_ba", "net_cooperation"]
                    .map(String::from),
            );
            out.push(("timeseries.csv", h));
        }
        _ => {}
    }
    if events {
        let mut h = run_key_header();
        h.extend(
            ["month", "date", "kind", "name", "actor", "target", "stage_from", "stage_to"].map(String::from),
        );
        out.push(("events.csv", h));
        out.push(("decisions.csv", super::why::decisions_header()));
    }
    out
}

/// The columns of `runs.csv` between a run's key and its parameter values.
pub fn dyad_outcome_columns(rungs: usize) -> Vec<String> {
    let mut h: Vec<String> = ["dyad", "actor_a", "actor_b", "initial_stage"].map(String::from).to_vec();
    for s in 1..rungs {
        h.push(format!("stage_{s}_month"));
        h.push(format!("stage_{s}_date"));
    }
    h.extend(
        [
            "max_stage",
            "final_stage",
            "final_trust_ab",
            "final_trust_ba",
            "attacks",
            "armed_group_peak_strength",
            "armed_group_final_strength",
        ]
        .map(String::from),
    );
    h
}

/// Writes the fields of [`dyad_outcome_columns`] for tracked dyad `tr` of a
/// run: `groups` is the run's (attacks, peak strength, final strength)
/// summed over armed groups, `dates` the ISO date of each month.
pub fn write_dyad_outcome(
    f: &mut CsvFile,
    setup: &Setup,
    tr: &crate::model::Tracked,
    d: &crate::engine::DyadOutcome,
    groups: (u32, f64, f64),
    rungs: usize,
    dates: &[String],
) {
    let world = &setup.world;
    f.text(&tr.label).text(&world.actors[tr.a].id).text(&world.actors[tr.b].id).int(d.initial_stage);
    for s in 1..rungs {
        match d.first_reach.get(s).copied().flatten() {
            Some(m) if s < world.ladder.len() => f.int(m).text(&dates[m as usize]),
            _ => f.empty().empty(),
        };
    }
    f.int(d.max_stage).int(d.final_stage).num(d.final_trust_ab).num(d.final_trust_ba);
    if world.groups.is_empty() {
        f.empty().empty().empty();
    } else {
        f.int(groups.0).num(groups.1).num(groups.2);
    }
}

fn run_key_header() -> Vec<String> {
    ["scenario", "variant", "replicate", "run_seed"].map(String::from).to_vec()
}

impl<'a> BatchWriter<'a> {
    /// Creates the files in `dir`.
    pub fn create(
        dir: &Path,
        jobs: Vec<JobInfo<'a>>,
        layout: Layout,
        mode: Timeseries,
        events: bool,
        role: Role,
    ) -> Result<Self, OutputError> {
        Self::assemble(dir, jobs, layout, mode, events, role, Opening::Fresh)
    }

    /// Reopens the files of an interrupted batch as its checkpoint recorded them.
    pub fn resume(
        dir: &Path,
        jobs: Vec<JobInfo<'a>>,
        layout: Layout,
        mode: Timeseries,
        events: bool,
        role: Role,
        checkpoint: Checkpoint,
    ) -> Result<Self, OutputError> {
        let n = jobs.len();
        let current_ok = checkpoint.current.as_ref().is_none_or(|(k, _)| *k < n);
        if checkpoint.next.0 > n || !current_ok || checkpoint.finished.len() > n {
            let msg = "the checkpoint names jobs this batch does not have; cannot resume";
            return Err(OutputError::new(&dir.join(CHECKPOINT), std::io::Error::other(msg)));
        }
        super::verify_marks(dir, &checkpoint.files)?;
        let mut writer =
            Self::assemble(dir, jobs, layout, mode, events, role, Opening::Resume(&checkpoint.files))?;
        writer.finished = checkpoint.finished;
        writer.next = checkpoint.next;
        if let Some((k, summary)) = checkpoint.current {
            writer.set_dates(k);
            writer.current = Some((k, summary));
        }
        Ok(writer)
    }

    fn assemble(
        dir: &Path,
        jobs: Vec<JobInfo<'a>>,
        layout: Layout,
        mode: Timeseries,
        events: bool,
        role: Role,
        how: Opening<'_>,
    ) -> Result<Self, OutputError> {
        let headers = headers(&layout, mode, events, role);
        let open = |name: &str| -> Result<Option<CsvFile>, OutputError> {
            match headers.iter().find(|(n, _)| *n == name) {
                Some((_, h)) => CsvFile::open(&dir.join(name), h, how).map(Some),
                None => Ok(None),
            }
        };
        let missing = |name: &str| OutputError::new(&dir.join(name), std::io::Error::other("missing"));
        Ok(BatchWriter {
            files: Files {
                runs: open("runs.csv")?.ok_or_else(|| missing("runs.csv"))?,
                groups: open("groups.csv")?.ok_or_else(|| missing("groups.csv"))?,
                summary: open("summary.csv")?,
                why: open("why.csv")?,
                series: open("timeseries.csv")?,
                events: open("events.csv")?,
                decisions: open("decisions.csv")?,
            },
            jobs,
            layout,
            role,
            dir: dir.to_path_buf(),
            mode,
            current: None,
            dates: Vec::new(),
            finished: Vec::new(),
            next: (0, 0),
            shard_id: None,
        })
    }

    /// Names the batch and the slice a shard's state records.
    pub fn set_shard(&mut self, fingerprint: &str, index: u64, count: u64) {
        self.shard_id = Some((fingerprint.to_string(), [index, count]));
    }

    /// Where the next run goes: (job, replicate).
    pub fn next(&self) -> (usize, u64) {
        self.next
    }

    fn set_dates(&mut self, k: usize) {
        let setup = self.jobs[k].setup;
        self.dates = (0..=setup.horizon).map(|t| setup.month(t).first_day().to_string()).collect();
    }

    /// Makes job `k` the job in progress, closing the previous one.
    pub fn begin_job(&mut self, k: usize) -> Result<(), OutputError> {
        if self.current.as_ref().map(|(j, _)| *j) == Some(k) {
            return Ok(());
        }
        self.close_job()?;
        let setup = self.jobs[k].setup;
        let summary = JobSummary::new(
            setup.tracked.len(),
            setup.world.groups.len(),
            setup.world.ladder.len(),
            setup.horizon,
            self.mode == Timeseries::Summary,
        );
        self.set_dates(k);
        self.current = Some((k, summary));
        Ok(())
    }

    /// Adds a summary of some of the job in progress's runs (from a shard).
    pub fn absorb(&mut self, summary: &JobSummary) {
        if let Some((_, current)) = &mut self.current {
            current.absorb(summary);
        }
    }

    /// Appends a row copied from a shard's file of the same kind.
    pub fn copy_row(&mut self, file: RowFile, record: &csv::ByteRecord) -> Result<(), OutputError> {
        let target = match file {
            RowFile::Runs => Some(&mut self.files.runs),
            RowFile::Groups => Some(&mut self.files.groups),
            RowFile::Series => self.files.series.as_mut(),
            RowFile::Events => self.files.events.as_mut(),
            RowFile::Decisions => self.files.decisions.as_mut(),
        };
        match target {
            Some(f) => f.copy_row(record),
            None => Ok(()),
        }
    }

    /// Writes `checkpoint.json`: every file handed to the system, their
    /// lengths, and the summaries so far. A run killed after this resumes
    /// from here with identical results.
    pub fn checkpoint(&mut self, fingerprint: &str, runs_done: u64) -> Result<(), OutputError> {
        let files = self.files.borrowed().in_order().map(CsvFile::mark).collect::<Result<Vec<_>, _>>()?;
        let checkpoint = Checkpoint {
            fingerprint: fingerprint.to_string(),
            next: self.next,
            runs_done,
            files,
            current: self.current.clone(),
            finished: self.finished.clone(),
        };
        super::seal::write_sealed(&self.dir.join(CHECKPOINT), &checkpoint)
    }

    /// Stops without committing: the temporary files stay for `--resume`.
    pub fn suspend(self) {
        self.files.in_order().for_each(CsvFile::keep);
    }

    /// Writes and folds in a chunk of runs of job `k` (chunks arrive in order).
    pub fn consume(&mut self, k: usize, runs: &[RunResult]) -> Result<(), OutputError> {
        self.begin_job(k)?;
        for run in runs {
            self.write_run(k, run)?;
            if let Some((_, summary)) = &mut self.current {
                summary.add(&run.outcome, &run.bins);
                if let Some(why) = &run.why {
                    summary.why.absorb(&why.summary);
                }
            }
            self.next = (k, run.replicate + 1);
        }
        Ok(())
    }

    fn write_run(&mut self, k: usize, run: &RunResult) -> Result<(), OutputError> {
        let job = &self.jobs[k];
        let setup = job.setup;
        let world = &setup.world;
        let attacks: u32 = run.outcome.groups.iter().map(|g| g.attacks).sum();
        let peak: f64 = run.outcome.groups.iter().map(|g| g.peak_strength).sum();
        let last: f64 = run.outcome.groups.iter().map(|g| g.final_strength).sum();
        for (d, tr) in run.outcome.dyads.iter().zip(&setup.tracked) {
            let f = &mut self.files.runs;
            f.text(job.scenario).text(job.variant).int(run.replicate).int(run.seed);
            write_dyad_outcome(f, setup, tr, d, (attacks, peak, last), self.layout.rungs, &self.dates);
            for p in &job.params {
                f.opt_num(*p);
            }
            f.end_row()?;
        }
        for (g, out) in world.groups.iter().zip(&run.outcome.groups) {
            let f = &mut self.files.groups;
            f.text(job.scenario).text(job.variant).int(run.replicate).int(run.seed);
            f.text(&world.actors[g.actor].id).int(out.attacks).num(out.peak_strength).num(out.final_strength);
            f.end_row()?;
        }
        if let (Timeseries::Full, Some(f)) = (self.mode, &mut self.files.series) {
            for r in &run.series {
                write_full_series_row(f, job, run, r, &self.dates)?;
            }
        }
        if let Some(f) = &mut self.files.events {
            for e in &run.fired {
                f.text(job.scenario).text(job.variant).int(run.replicate).int(run.seed);
                f.int(e.month).text(&self.dates[e.month as usize]);
                let actor = |i: usize| world.actors[i].id.as_str();
                let schedule = &setup.schedule;
                match e.what {
                    Happening::Event(i) => {
                        f.text("event").text(&schedule.events[i].name).empty().empty().empty().empty()
                    }
                    Happening::Conditional(i) => f
                        .text("event")
                        .text(&schedule.conditional[i].event.name)
                        .empty()
                        .empty()
                        .empty()
                        .empty(),
                    Happening::Process(i) => {
                        f.text("process").text(&schedule.processes[i].name).empty().empty().empty().empty()
                    }
                    Happening::Election(i) => {
                        f.text("election").text(&schedule.elections[i].name).empty().empty().empty().empty()
                    }
                    Happening::Attack(by, on) => {
                        f.text("attack").text("attack").text(actor(by)).text(actor(on)).empty().empty()
                    }
                    Happening::Stage(p, from, to, cause) => {
                        let pair = &world.pairs[p];
                        f.text("stage_change")
                            .text(cause.as_str())
                            .text(actor(pair.a))
                            .text(actor(pair.b))
                            .int(from)
                            .int(to)
                    }
                };
                f.end_row()?;
            }
        }
        if let Some(f) = &mut self.files.decisions {
            super::why::write_decisions(f, job, run, &self.dates)?;
        }
        Ok(())
    }

    /// Writes the summary (and summary timeseries) rows of the job in progress.
    fn close_job(&mut self) -> Result<(), OutputError> {
        let Some((k, summary)) = self.current.take() else { return Ok(()) };
        let job = &self.jobs[k];
        let setup = job.setup;
        let world = &setup.world;
        let Some(f) = self.files.summary.as_mut() else {
            self.finished.push(summary);
            return Ok(());
        };
        for (d, tr) in summary.dyads.iter().zip(&setup.tracked) {
            f.text(job.scenario).text(job.variant).text(&tr.label);
            f.text(&world.actors[tr.a].id).text(&world.actors[tr.b].id).int(d.runs).int(d.initial_stage);
            f.text(&self.dates[0]).text(&self.dates[setup.horizon as usize]);
            for s in 1..self.layout.rungs {
                if s >= world.ladder.len() {
                    for _ in 0..(3 * self.layout.report_years.len() + 7) {
                        f.empty();
                    }
                    continue;
                }
                let share = |f: &mut CsvFile, month: u32| {
                    let (low, high) = d.interval_by(s, month);
                    f.num(d.share_by(s, month)).num(low).num(high);
                };
                share(f, setup.horizon);
                for y in &self.layout.report_years {
                    match y.month_index(setup.start, setup.horizon).filter(|_| job.report_years.contains(y)) {
                        Some(m) => share(f, m),
                        None => {
                            f.empty().empty().empty();
                        }
                    }
                }
                for q in BAND_QUANTILES {
                    f.opt_num(d.months_quantile(s, q).map(f64::from));
                }
                match d.months_quantile(s, 0.5) {
                    Some(m) => f.text(&self.dates[m as usize]),
                    None => f.empty(),
                };
            }
            let runs = d.runs.max(1) as f64;
            let final_mean: f64 =
                d.final_stage.iter().enumerate().map(|(s, &c)| s as f64 * c as f64).sum::<f64>() / runs;
            f.num(final_mean).num(d.trust_ab_sum.mean(d.runs)).num(d.trust_ba_sum.mean(d.runs));
            if summary.groups.is_empty() {
                f.empty().empty().empty();
            } else {
                let groups = &summary.groups;
                let attacks = groups.iter().map(|g| g.attacks_sum).sum::<u64>() as f64 / runs;
                let mean = |get: fn(&crate::batch::aggregate::GroupSummary) -> f64| {
                    groups.iter().map(get).sum::<f64>()
                };
                f.num(attacks).num(mean(|g| g.peak_sum.mean(g.runs))).num(mean(|g| g.final_sum.mean(g.runs)));
            }
            f.end_row()?;
        }
        if let Some(f) = &mut self.files.why {
            super::why::write_why(f, job, &summary)?;
        }
        if let (Timeseries::Summary, Some(f)) = (self.mode, &mut self.files.series) {
            for (series, tr) in summary.series.iter().zip(&setup.tracked) {
                for m in 0..series.months() {
                    let Some(b) = series.bands(m) else { continue };
                    let runs = summary.dyads[0].runs;
                    f.text(job.scenario)
                        .text(job.variant)
                        .text(&tr.label)
                        .int(m)
                        .text(&self.dates[m])
                        .int(runs);
                    f.num(b.stage_mean);
                    for v in [b.stage, b.trust_ab, b.trust_ba, b.net_cooperation] {
                        for x in v {
                            f.num(x);
                        }
                    }
                    f.end_row()?;
                }
            }
        }
        self.finished.push(summary);
        Ok(())
    }

    /// Writes the last job's summary, commits every file (a shard also
    /// writes its sealed state for `detente merge`) and returns the per-job
    /// summaries and the files written. The checkpoint stays until the
    /// folder is committed, so a process killed in between can still resume.
    pub fn finish(mut self) -> Result<(Vec<JobSummary>, Vec<PathBuf>), OutputError> {
        self.close_job()?;
        let mut paths = Vec::new();
        let mut files: Vec<CsvFile> = self.files.in_order().collect();
        if self.role == Role::Shard {
            let (fingerprint, slice) = self.shard_id.clone().unwrap_or_default();
            let marks = files.iter_mut().map(|f| f.mark()).collect::<Result<Vec<_>, _>>()?;
            let state = ShardState { fingerprint, slice, files: marks, summaries: self.finished.clone() };
            let path = self.dir.join(SHARD_STATE);
            super::seal::write_sealed(&path, &state)?;
            paths.push(path);
        }
        for f in files {
            paths.push(f.path().to_path_buf());
            f.commit()?;
        }
        Ok((self.finished, paths))
    }
}

fn write_full_series_row(
    f: &mut CsvFile,
    job: &JobInfo<'_>,
    run: &RunResult,
    r: &TickRecord,
    dates: &[String],
) -> Result<(), OutputError> {
    f.text(job.scenario).text(job.variant).int(run.replicate).int(run.seed);
    f.text(&job.setup.tracked[r.dyad as usize].label).int(r.month).text(&dates[r.month as usize]);
    f.int(r.stage).num(r.trust_ab as f64).num(r.trust_ba as f64).num(r.net_cooperation as f64);
    f.end_row()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{execute, Capture, Job, Pool};

    /// The tiny scenario's baseline and its first `n` runs.
    fn tiny_runs(n: u64) -> (Setup, Vec<RunResult>) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml");
        let setup = crate::scenario::load(&path).expect("tiny.toml is valid").base;
        let job = Job {
            scenario: "tiny",
            variant: "baseline",
            setup: &setup,
            point: 0,
            replications: n,
            seed: 42,
            first_replicate: 0,
        };
        let mut runs = Vec::new();
        let stop = std::sync::atomic::AtomicBool::new(false);
        let pool = Pool::new(1).unwrap();
        execute(
            &[job],
            &pool,
            Capture { series: true, bins: true, fired: true, decisions: true },
            &stop,
            |_, chunk| {
                runs.extend_from_slice(chunk);
                Ok::<(), std::convert::Infallible>(())
            },
        )
        .unwrap();
        (setup, runs)
    }

    fn info(setup: &Setup) -> JobInfo<'_> {
        static YEARS: std::sync::OnceLock<Vec<By>> = std::sync::OnceLock::new();
        let report_years = YEARS.get_or_init(|| vec![By::year(2000).unwrap(), By::parse("2001-06").unwrap()]);
        JobInfo { scenario: "tiny", variant: "baseline", setup, report_years, params: Vec::new() }
    }

    fn read(dir: &Path, name: &str) -> String {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn headers_follow_the_layout_and_the_role() {
        let layout = Layout {
            param_keys: vec!["params.trust.decay".into()],
            rungs: 3,
            report_years: vec![By::year(2030).unwrap()],
        };
        let files = |mode, events, role| -> Vec<&str> {
            headers(&layout, mode, events, role).into_iter().map(|(n, _)| n).collect()
        };
        assert_eq!(
            files(Timeseries::None, false, Role::Whole),
            ["runs.csv", "groups.csv", "summary.csv", "why.csv"]
        );
        assert_eq!(
            files(Timeseries::Summary, true, Role::Shard),
            ["runs.csv", "groups.csv", "events.csv", "decisions.csv"]
        );
        assert_eq!(files(Timeseries::Full, false, Role::Shard), ["runs.csv", "groups.csv", "timeseries.csv"]);
        let all = headers(&layout, Timeseries::None, false, Role::Whole);
        let runs = &all[0].1;
        assert_eq!(runs.last().map(String::as_str), Some("params.trust.decay"));
        assert!(runs.contains(&"stage_2_date".to_string()) && !runs.contains(&"stage_3_month".to_string()));
        assert!(all[2].1.contains(&"stage_1_p_by_2030".to_string()));
        assert!(all[2].1.contains(&"stage_1_p_by_2030_high".to_string()));
    }

    #[test]
    fn a_batch_written_in_one_go_or_resumed_from_a_checkpoint_has_the_same_bytes() {
        let (setup, runs) = tiny_runs(6);
        let layout = || Layout::of(&[info(&setup)], Vec::new());
        let create = |dir: &Path| {
            BatchWriter::create(dir, vec![info(&setup)], layout(), Timeseries::Summary, true, Role::Whole)
                .unwrap()
        };
        let whole = tempfile::tempdir().unwrap();
        let mut w = create(whole.path());
        w.consume(0, &runs).unwrap();
        let (summaries, paths) = w.finish().unwrap();
        assert_eq!(summaries[0].dyads[0].runs, 6);
        assert_eq!(paths.len(), 7);
        assert_eq!(read(whole.path(), "runs.csv").lines().count(), 7);

        let part = tempfile::tempdir().unwrap();
        let mut w = create(part.path());
        w.consume(0, &runs[..4]).unwrap();
        w.checkpoint("fp", 4).unwrap();
        // Rows written after the checkpoint are cut off on resume.
        w.consume(0, &runs[4..5]).unwrap();
        w.suspend();
        assert!(
            !part.path().join("runs.csv").exists(),
            "an interrupted batch shows no file that looks whole"
        );
        let cp: Checkpoint = crate::output::seal::read_sealed(&part.path().join(CHECKPOINT)).unwrap();
        assert_eq!((cp.fingerprint.as_str(), cp.next, cp.runs_done), ("fp", (0, 4), 4));
        let mut w = BatchWriter::resume(
            part.path(),
            vec![info(&setup)],
            layout(),
            Timeseries::Summary,
            true,
            Role::Whole,
            cp,
        )
        .unwrap();
        assert_eq!(w.next(), (0, 4));
        w.consume(0, &runs[4..]).unwrap();
        w.finish().unwrap();
        for f in [
            "runs.csv",
            "groups.csv",
            "summary.csv",
            "why.csv",
            "timeseries.csv",
            "events.csv",
            "decisions.csv",
        ] {
            assert_eq!(read(whole.path(), f), read(part.path(), f), "{f}");
        }
    }

    #[test]
    fn a_shard_writes_its_rows_and_the_summaries_a_merge_adds_up() {
        let (setup, runs) = tiny_runs(3);
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::of(&[info(&setup)], Vec::new());
        let mut w = BatchWriter::create(
            dir.path(),
            vec![info(&setup)],
            layout,
            Timeseries::Summary,
            false,
            Role::Shard,
        )
        .unwrap();
        w.consume(0, &runs).unwrap();
        let (_, paths) = w.finish().unwrap();
        let names: Vec<String> =
            paths.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert!(
            names.contains(&SHARD_STATE.to_string()) && !names.contains(&"summary.csv".to_string()),
            "{names:?}"
        );
        let state: ShardState = crate::output::seal::read_sealed(&dir.path().join(SHARD_STATE)).unwrap();
        assert_eq!(state.summaries[0].dyads[0].runs, 3);
        assert_eq!(state.files.len(), 2);
    }
}
