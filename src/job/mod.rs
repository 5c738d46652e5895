//! Jobs: the work a command asks for, planned, run, checkpointed and recorded.
//!
//! `job` sits between the command line and the library's engines (`batch`,
//! `explore`, `calibrate`, `compare`) and writers (`output`). Each kind of
//! work has a plain spec (serde, no clap) that the command line fills in and
//! that shard manifests record: [`batch::BatchRun`] (scenario files and
//! their variants), [`design::DesignRun`] (`sweep`, `sensitivity`,
//! `discover`), [`calibration::CalibrationRun`], [`compare::ComparisonRun`]
//! and [`merge::MergeSpec`]; the parts a folder records are serde structs.
//! Every default a spec leaves open is resolved in [`defaults`], the
//! checkpoint, shard and merge protocol is [`shard`] and the files of
//! `output`, and each kind's `run(spec, pool, stop, progress)` does the
//! work on a thread pool built once by the caller, polls `stop` between
//! chunks, reports progress and returns a [`Report`] of what to tell the
//! user. Errors are typed ([`JobError`]); the command line turns them into
//! messages and exit codes.
//!
//! This layer reads the clock (for `manifest.json` and to pace checkpoints)
//! and the process's command line (for the manifest); nothing below it does.

/// Returns a [`JobError::Invalid`] with a formatted message.
macro_rules! bail {
    ($($arg:tt)+) => {
        return Err($crate::job::JobError::Invalid(format!($($arg)+)))
    };
}

pub mod batch;
pub mod calibration;
pub mod compare;
pub mod defaults;
pub mod design;
pub mod diff;
pub mod headline;
pub mod hindcast;
pub mod merge;
pub mod shard;

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use crate::batch::PoolError;
use crate::explore::ExploreError;
use crate::output::folder::{Folder, FolderError, Replace, Staged, Start};
use crate::output::manifest::{read_manifest, Timing};
use crate::output::seal::{read_sealed, SealError};
use crate::output::OutputError;
use crate::scenario::{self, Scenario, ScenarioError};

/// Why a job could not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Scenario files with problems; every one is listed, and nothing ran.
    #[error("{count} problem(s) in the scenario files; nothing was run")]
    Scenarios {
        /// What each file that failed to load reported.
        errors: Vec<ScenarioError>,
        /// Problems counted over all of them.
        count: usize,
    },
    /// Options that do not fit the scenario, or a folder that cannot be
    /// resumed or merged; the text says which and why.
    #[error("{0}")]
    Invalid(String),
    /// What was being done when a lower layer failed; the cause follows in
    /// the error chain.
    #[error("{context}")]
    Context {
        /// What was being done.
        context: String,
        /// Why it failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Reading or writing a file failed.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The output folder cannot be used (not detente's, finished, in use).
    #[error(transparent)]
    Folder(#[from] FolderError),
    /// The design or outcome asked for does not make sense.
    #[error(transparent)]
    Explore(#[from] ExploreError),
    /// The worker threads could not be started.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// A stop was requested (SIGINT, SIGTERM); the text says what was kept
    /// and how to continue.
    #[error("{0}")]
    Interrupted(String),
}

/// Adds what was being done to an error, like `anyhow::Context`, for the
/// errors of the layers below.
pub trait Context<T> {
    /// Wraps the error with the message `f` returns.
    fn with_context(self, f: impl FnOnce() -> String) -> Result<T, JobError>;
    /// Wraps the error with `message`.
    fn context(self, message: &str) -> Result<T, JobError>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for Result<T, E> {
    fn with_context(self, f: impl FnOnce() -> String) -> Result<T, JobError> {
        self.map_err(|e| JobError::Context { context: f(), source: Box::new(e) })
    }

    fn context(self, message: &str) -> Result<T, JobError> {
        self.with_context(|| message.to_string())
    }
}

/// How far a job has got, for a progress bar. Calls come from the thread
/// that runs the job, between chunks of work.
pub trait Progress {
    /// A new phase of `total` units (`runs`, `candidates`), `done` of them finished already.
    fn start(&self, total: u64, unit: &str, done: u64);
    /// `n` more units finished.
    fn advance(&self, n: u64);
    /// `done` units finished in all, in the phase named `message`.
    fn set(&self, done: u64, message: &str);
    /// The phase is over.
    fn finish(&self);
}

/// What a finished job tells the user.
#[derive(Debug, Default)]
pub struct Report {
    /// For standard output: the headline table, the ranking, the rules, the
    /// closing line with where the results went.
    pub text: String,
    /// For standard error: notes and warnings, one a line, with their prefix.
    pub notes: Vec<String>,
    /// A calibration whose evaluation budget ran out before its last round.
    pub budget_exhausted: bool,
}

/// Loads every file; fails with every problem of every file.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Scenario>, JobError> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut count = 0;
    for path in paths {
        match scenario::load(path) {
            Ok(s) => out.push(s),
            Err(e) => {
                count += match &e {
                    ScenarioError::Invalid(diags) => diags.0.len(),
                    ScenarioError::Io { .. } => 1,
                };
                errors.push(e);
            }
        }
    }
    if count > 0 {
        return Err(JobError::Scenarios { errors, count });
    }
    Ok(out)
}

/// Loads one file.
pub fn load_one(path: &Path) -> Result<Scenario, JobError> {
    Ok(load_all(std::slice::from_ref(&path.to_path_buf()))?.remove(0))
}

/// The variant `name` of `scenario`, or an error listing those it has.
pub fn variant_index(scenario: &Scenario, name: &str) -> Result<usize, JobError> {
    scenario.variants.iter().position(|v| v.name == name).ok_or_else(|| {
        let names: Vec<&str> = scenario.variants.iter().map(|v| v.name.as_str()).collect();
        JobError::Invalid(format!(
            "{}: no variant `{name}`; the file has: {}",
            scenario.path.display(),
            names.join(", ")
        ))
    })
}

/// The tracked dyad `name` (`a-b`, either order) of `scenario`, or its only
/// tracked dyad when no name is given.
pub fn pick_dyad(scenario: &Scenario, name: Option<&str>) -> Result<usize, JobError> {
    let tracked = &scenario.base.tracked;
    let labels: Vec<&str> = tracked.iter().map(|t| t.label.as_str()).collect();
    match name {
        None if tracked.len() == 1 => Ok(0),
        None => bail!("the scenario tracks several dyads; pick one with --dyad ({})", labels.join(", ")),
        Some(n) => scenario.base.tracked_index(n).ok_or_else(|| {
            JobError::Invalid(format!("--dyad {n}: not a tracked dyad; tracked: {}", labels.join(", ")))
        }),
    }
}

/// The wall clock of one job: when it started, and a monotonic timer.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    started: SystemTime,
    timer: Instant,
}

impl Clock {
    /// Starts now.
    pub fn start() -> Clock {
        Clock { started: SystemTime::now(), timer: Instant::now() }
    }

    /// Seconds since the start.
    pub fn elapsed(&self) -> f64 {
        self.timer.elapsed().as_secs_f64()
    }

    /// Start, now and the seconds between, for `manifest.json`.
    pub fn timing(&self) -> Timing {
        Timing { started: self.started, finished: SystemTime::now(), elapsed_seconds: self.elapsed() }
    }
}

/// The command line the process was started with, for `manifest.json`.
pub fn command_line() -> Vec<String> {
    std::env::args().collect()
}

/// Whether the manifest in `dir` records an interruption (or is missing):
/// the folder can only be resumed then.
#[derive(Debug, Default, serde::Deserialize)]
struct Interruption {
    #[serde(default)]
    interrupted: bool,
}

/// What `--resume` says when `out` holds nothing to resume: whether the run
/// there already finished, or never checkpointed.
pub fn nothing_to_resume(out: &Path) -> String {
    let finished = read_manifest::<Interruption>(out).is_ok_and(|m| !m.details.interrupted);
    if finished {
        format!(
            "nothing to resume in {}: the run there has finished (its manifest records no interruption)",
            out.display()
        )
    } else {
        format!("nothing to resume in {}: no checkpoint there; run without --resume to start", out.display())
    }
}

/// Who holds a folder, for whoever finds it locked: this command line.
fn holder() -> String {
    let mut line = command_line().join(" ");
    if line.len() > 300 {
        let mut cut = 300;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
        line.push_str(" ...");
    }
    line
}

/// Opens a job's output folder (`output::folder`): its lock, the check that
/// it is detente's, and the staging folder the job writes into. With
/// `resume`, a staging folder holding a finished run that was never
/// committed (killed or out of space during the commit) is committed here,
/// and the job is done: [`Opened::Done`].
pub fn open_out(out: &Path, resume: bool, replace: &Replace) -> Result<Opened, JobError> {
    let start = if resume { Start::Resume } else { Start::Fresh };
    let folder = Folder::open(out, start, replace, &holder())?;
    if !resume {
        return Ok(Opened::Work(folder));
    }
    match folder.staged() {
        Staged::Unfinished => Ok(Opened::Work(folder)),
        Staged::Finished => {
            let notes = folder.commit()?;
            Ok(Opened::Done(Report {
                text: format!(
                    "the run had finished before it was stopped; its results are now in {}\n",
                    out.display()
                ),
                notes,
                ..Report::default()
            }))
        }
        // Killed before its first checkpoint: nothing was kept, so the
        // resume starts from the beginning.
        Staged::Scraps => {
            drop(folder);
            Ok(Opened::Fresh(Folder::open(out, Start::Fresh, &Replace::Yes, &holder())?))
        }
        Staged::Nothing => Err(JobError::Invalid(nothing_to_resume(out))),
    }
}

/// An output folder opened by [`open_out`].
pub enum Opened {
    /// Write here (resuming, if asked to).
    Work(Folder),
    /// Asked to resume a run killed before it saved anything: write here
    /// from the beginning.
    Fresh(Folder),
    /// Nothing left to do; tell the user this.
    Done(Report),
}

/// Ends a job's use of its folder after `error`: an interruption keeps the
/// staging folder for `--resume`; any other error discards a fresh run's
/// staging folder (a resumed one is always kept as it was).
pub fn keep_if_interrupted<T>(folder: Folder, error: JobError) -> Result<T, JobError> {
    if matches!(error, JobError::Interrupted(_)) {
        folder.suspend();
    }
    Err(error)
}

/// Opens a finished folder to add files to it (a workbook, a report):
/// see [`Folder::update`].
pub fn open_update(dir: &Path) -> Result<Folder, JobError> {
    Ok(Folder::update(dir, &holder())?)
}

/// Reads the sealed checkpoint `path` of a resumed folder: a missing one is
/// "nothing to resume", a damaged or edited one says so and changes nothing.
pub fn read_checkpoint<T: serde::de::DeserializeOwned>(path: &Path, target: &Path) -> Result<T, JobError> {
    read_sealed(path).map_err(|e| match e {
        SealError::Missing(_) => JobError::Invalid(nothing_to_resume(target)),
        other => JobError::Invalid(format!(
            "cannot resume {}: {other}; nothing was changed. Start afresh without --resume (and with \
             --replace)",
            target.display()
        )),
    })
}

/// The default output folder `base`, or `base/shard-I` for a shard.
fn default_out(base: PathBuf, shard: Option<shard::Shard>) -> PathBuf {
    match shard {
        Some(s) => base.join(format!("shard-{}", s.index)),
        None => base,
    }
}
