//! Batches: every selected variant of every scenario file, replicated.
//!
//! [`BatchRun`] is what `detente run` asks for; [`BatchSpec`] the part of it
//! that identifies the batch, recorded in shard manifests so `detente merge`
//! can plan the same batch again. [`Plan`] resolves a spec against its
//! scenario files (variants, `--set` overrides, replications and seeds);
//! [`run`] executes it with checkpoints, `--resume`, `--shard I/N` and
//! `--replicate R` (one run replayed from its seed), and [`merge`] joins the
//! shard folders of a batch.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::headline::{scenario_headline, Column};
use super::shard::{check_complete, read_shard, Shard, ShardDetails, ShardMark};
use super::{
    command_line, defaults, load_all, open_out, open_update, read_checkpoint, Clock, Context, JobError,
    Opened, Progress, Report,
};
use crate::batch::aggregate::JobSummary;
use crate::batch::{self, BatchError, Capture, Job, Pool};
use crate::calendar::By;
use crate::model::{with_overrides, Field, Setup};
use crate::output::batch::{
    BatchWriter, Checkpoint, JobInfo, Layout, Role, RowFile, ShardState, Timeseries, CHECKPOINT, SHARD_STATE,
};
use crate::output::fingerprint;
use crate::output::folder::{settle, what_if_name, Lock, Replace};
use crate::output::manifest::{Manifest, ScenarioAbout, ScenarioEntry};
use crate::output::rows::RowReader;
use crate::output::seal::read_sealed;
use crate::scenario::Scenario;

/// Which runs of the scenario files: replications, seed, variants, overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// Replications per variant (None: the file's `[run] replications`).
    pub replications: Option<u64>,
    /// Master seed (None: the file's `[run] seed`).
    pub seed: Option<u64>,
    /// Only these variants (empty: all of them).
    pub variants: Vec<String>,
    /// `KEY=VALUE` overrides applied to every variant.
    pub sets: Vec<String>,
}

/// What identifies a batch: enough for `detente merge` to plan it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSpec {
    /// Scenario files as given.
    pub files: Vec<PathBuf>,
    /// Which runs.
    pub select: Selection,
    /// Monthly paths written.
    pub timeseries: Timeseries,
    /// Whether `events.csv` (and `decisions.csv`) are written.
    pub events: bool,
    /// `--by`: cut-offs (`2030`, `2030-06`, `2030-06-15`) replacing every
    /// scenario's `report_years` (empty: each file's own).
    #[serde(default)]
    pub by: Vec<String>,
}

/// What `--report` is built with besides the folder: the options of
/// `detente report`.
#[derive(Debug, Clone, Default)]
pub struct ReportInputs {
    /// Reference histories overlaid on the stage fan charts.
    pub references: Vec<PathBuf>,
    /// Stage that picks the exemplars (None: the report's default).
    pub stage: Option<u8>,
    /// Dyad to follow (None: each scenario's first).
    pub dyad: Option<String>,
}

/// A batch as `detente run` asks for it.
#[derive(Debug, Clone)]
pub struct BatchRun {
    /// What is run.
    pub spec: BatchSpec,
    /// Output folder (None: `results/<scenario>`, or `results/batch` for several files).
    pub out: Option<PathBuf>,
    /// Run only this slice of every job's replicates.
    pub shard: Option<Shard>,
    /// Continue from the checkpoint in the output folder.
    pub resume: bool,
    /// Replay only this replicate of each selected variant, with its events
    /// and monthly rows.
    pub replicate: Option<u64>,
    /// Seconds between checkpoints (0: after every chunk of runs).
    pub checkpoint_seconds: f64,
    /// Also write `results.xlsx`.
    pub xlsx: bool,
    /// Also write `results.xlsx`, the charts and `report.html`.
    pub report: bool,
    /// The report's options.
    pub report_inputs: ReportInputs,
    /// Whether a finished run in the output folder may be replaced.
    pub replace: Replace,
}

impl BatchRun {
    /// `spec` with the defaults: fresh, whole, checkpoints every
    /// [`defaults::CHECKPOINT_SECONDS`], no workbook.
    pub fn new(spec: BatchSpec) -> BatchRun {
        BatchRun {
            spec,
            out: None,
            shard: None,
            resume: false,
            replicate: None,
            checkpoint_seconds: defaults::CHECKPOINT_SECONDS,
            xlsx: false,
            report: false,
            report_inputs: ReportInputs::default(),
            replace: Replace::No,
        }
    }
}

/// What the manifest of a batch records besides the common fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchDetails {
    /// `--timeseries`.
    pub timeseries: Timeseries,
    /// `--events`.
    pub events: bool,
    /// The `--set` overrides as given.
    pub set: Vec<String>,
    /// The batch, for `detente merge`.
    pub spec: BatchSpec,
    /// Identifies the batch; every shard of it carries the same.
    pub fingerprint: String,
    /// The slice this folder holds, if sharded.
    pub shard: Option<Shard>,
    /// The replicate replayed, with `--replicate`.
    pub replicate: Option<u64>,
    /// Whether this run continued from a checkpoint.
    pub resumed: bool,
    /// Whether it stopped before the end.
    pub interrupted: bool,
    /// Job at which it stopped (the number of jobs when finished).
    pub next_job: usize,
    /// First replicate of that job not written.
    pub next_replicate: u64,
}

impl ShardDetails for BatchDetails {
    fn shard(&self) -> Option<Shard> {
        self.shard
    }
    fn interrupted(&self) -> bool {
        self.interrupted
    }
}

/// What the manifest of a merged batch records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MergedDetails {
    /// The batch.
    pub spec: BatchSpec,
    /// Its fingerprint.
    pub fingerprint: String,
    /// The shard folders merged, in slice order.
    pub shards: Vec<String>,
}

/// The batch's identity, hashed: tool version, each file's name and SHA-256,
/// and every option that changes the outputs (not threads, not the shard).
#[derive(Serialize)]
struct Identity<'a> {
    version: &'static str,
    scenarios: Vec<(&'a str, &'a str)>,
    select: &'a Selection,
    timeseries: Timeseries,
    events: bool,
    replicate: Option<u64>,
    by: &'a [String],
}

impl BatchSpec {
    /// The fingerprint of this batch over `scenarios` (its files, loaded).
    pub fn fingerprint(&self, scenarios: &[Scenario], replicate: Option<u64>) -> String {
        fingerprint(&Identity {
            version: env!("CARGO_PKG_VERSION"),
            scenarios: scenarios.iter().map(|s| (s.name.as_str(), s.sha256.as_str())).collect(),
            select: &self.select,
            timeseries: self.timeseries,
            events: self.events,
            replicate,
            by: &self.by,
        })
    }
}

/// Parses `KEY=VALUE` overrides and resolves them against a scenario.
pub fn resolve_sets(scenario: &Scenario, sets: &[String]) -> Result<Vec<(String, Field, f64)>, JobError> {
    sets.iter()
        .map(|s| {
            let Some((key, value)) = s.split_once('=') else { bail!("--set {s}: expected KEY=VALUE") };
            let Ok(value) = value.trim().parse::<f64>() else {
                bail!("--set {s}: {value:?} is not a number")
            };
            let field = Field::resolve(&scenario.base.world, key.trim()).map_err(|e| {
                JobError::Invalid(format!("--set {s}: {e} (in scenario {})", scenario.path.display()))
            })?;
            crate::scenario::edit::check_override(&scenario.base.world, field, value)
                .map_err(|e| JobError::Invalid(format!("--set {s}: {e}")))?;
            Ok((key.trim().to_string(), field, value))
        })
        .collect::<Result<Vec<_>, JobError>>()
        .and_then(|sets| {
            let overrides: Vec<(Field, f64)> = sets.iter().map(|(_, f, v)| (*f, *v)).collect();
            check_sets(scenario, &scenario.base.world, &overrides, "the file")?;
            Ok(sets)
        })
}

/// Checks the rules that bind several values (`scenario::edit::check_world`)
/// on `world` with the `--set` overrides applied.
fn check_sets(
    scenario: &Scenario,
    world: &crate::model::World,
    overrides: &[(Field, f64)],
    what: &str,
) -> Result<(), JobError> {
    let mut after = world.clone();
    crate::scenario::edit::apply_checked(&mut after, overrides)
        .map_err(|e| JobError::Invalid(format!("--set: {e} ({what}, {})", scenario.path.display())))
}

/// The jobs of a batch: every selected variant of every scenario.
pub struct Plan<'a> {
    /// One per job, in output order.
    pub entries: Vec<PlanEntry<'a>>,
    /// Key paths varied anywhere in the batch, in column order.
    pub param_keys: Vec<String>,
    /// The scenario files.
    pub scenarios: &'a [Scenario],
    /// `--by`, parsed (None: each scenario's `report_years`).
    pub by: Option<Vec<By>>,
    replications: Vec<u64>,
    seeds: Vec<u64>,
}

/// One job of a plan.
pub struct PlanEntry<'a> {
    /// Index into [`Plan::scenarios`].
    pub scenario: usize,
    /// Variant name.
    pub variant: &'a str,
    /// The variant's setup with the `--set` overrides.
    pub setup: Setup,
    params: Vec<Option<f64>>,
}

impl<'a> Plan<'a> {
    /// Resolves `select` against `scenarios`, with the cut-offs `by`
    /// (`--by`; empty: each scenario's `report_years`).
    pub fn new(scenarios: &'a [Scenario], select: &Selection, by: &[String]) -> Result<Plan<'a>, JobError> {
        let by = parse_by(by)?;
        for (i, s) in scenarios.iter().enumerate() {
            if let Some(twin) = scenarios[..i].iter().find(|t| t.name == s.name) {
                bail!(
                    "{} and {} both name their scenario `{}`; names enter seeds and output rows, so they must differ",
                    twin.path.display(),
                    s.path.display(),
                    s.name
                );
            }
        }
        let mut keys: Vec<String> = Vec::new();
        for s in scenarios {
            for v in &s.variants {
                for (k, _) in &v.overrides {
                    if !keys.contains(k) {
                        keys.push(k.clone());
                    }
                }
            }
        }
        for s in &select.sets {
            let k = s.split_once('=').map_or(s.as_str(), |(k, _)| k).trim().to_string();
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        let mut entries = Vec::new();
        for (si, s) in scenarios.iter().enumerate() {
            for name in &select.variants {
                super::variant_index(s, name)?;
            }
            let sets = resolve_sets(s, &select.sets)?;
            let overrides: Vec<(Field, f64)> = sets.iter().map(|(_, f, v)| (*f, *v)).collect();
            for v in &s.variants {
                if !select.variants.is_empty() && !select.variants.contains(&v.name) {
                    continue;
                }
                if !overrides.is_empty() {
                    check_sets(s, &v.setup.world, &overrides, &format!("variant {}", v.name))?;
                }
                let setup =
                    if overrides.is_empty() { v.setup.clone() } else { with_overrides(&v.setup, &overrides) };
                let params = keys
                    .iter()
                    .map(|k| Field::resolve(&setup.world, k).ok().map(|f| f.get(&setup.world)))
                    .collect();
                entries.push(PlanEntry { scenario: si, variant: &v.name, setup, params });
            }
        }
        if let Some(n) = select.replications {
            defaults::check_count("--replications", n)?;
        }
        Ok(Plan {
            replications: scenarios
                .iter()
                .map(|s| defaults::batch_replications(select.replications, s))
                .collect(),
            seeds: scenarios.iter().map(|s| defaults::seed(select.seed, s)).collect(),
            entries,
            param_keys: keys,
            scenarios,
            by,
        })
    }

    /// The jobs, every replicate of each.
    pub fn jobs(&self) -> Vec<Job<'_>> {
        self.entries
            .iter()
            .map(|e| Job {
                scenario: &self.scenarios[e.scenario].name,
                variant: e.variant,
                setup: &e.setup,
                point: 0,
                replications: self.replications[e.scenario],
                seed: self.seeds[e.scenario],
                first_replicate: 0,
            })
            .collect()
    }

    /// The jobs as the writers see them.
    pub fn infos(&self) -> Vec<JobInfo<'_>> {
        self.entries
            .iter()
            .map(|e| JobInfo {
                scenario: &self.scenarios[e.scenario].name,
                variant: e.variant,
                setup: &e.setup,
                report_years: self.by_of(e.scenario),
                params: e.params.clone(),
            })
            .collect()
    }

    /// The cut-offs of scenario `s`: `--by`, else its `report_years`.
    pub fn by_of(&self, s: usize) -> &[By] {
        self.by.as_deref().unwrap_or(&self.scenarios[s].report_years)
    }

    /// The scenario entries of `manifest.json`.
    pub fn manifest_entries(&self) -> Vec<ScenarioEntry> {
        self.scenarios
            .iter()
            .enumerate()
            .map(|(si, s)| {
                let variants: Vec<&str> =
                    self.entries.iter().filter(|e| e.scenario == si).map(|e| e.variant).collect();
                ScenarioEntry {
                    path: s.path.display().to_string(),
                    name: s.name.clone(),
                    sha256: s.sha256.clone(),
                    seed: self.seeds[si],
                    variants: variants.iter().map(|v| v.to_string()).collect(),
                    replications: self.replications[si],
                    about: Some(ScenarioAbout::of(s, variants)),
                }
            })
            .collect()
    }
}

/// Narrows every job to the replicates this process runs: a shard's slice,
/// or the one replicate replayed.
fn narrow(jobs: &mut [Job<'_>], shard: Option<Shard>, replicate: Option<u64>) -> Result<(), JobError> {
    for job in jobs {
        if let Some(r) = replicate {
            if r >= job.replications {
                bail!(
                    "--replicate {r}: the batch runs replicates 0 to {} of {}/{}; give --replications {} or more",
                    job.replications - 1,
                    job.scenario,
                    job.variant,
                    r.saturating_add(1)
                );
            }
            (job.first_replicate, job.replications) = (r, 1);
        } else if let Some(shard) = shard {
            let (lo, hi) = shard.range(job.replications);
            (job.first_replicate, job.replications) = (lo, hi - lo);
        }
    }
    Ok(())
}

/// Drops the runs a resumed batch already has: jobs before `next.0`, and
/// the replicates of job `next.0` before `next.1`.
fn skip_done(jobs: &mut [Job<'_>], next: (usize, u64)) {
    for (k, job) in jobs.iter_mut().enumerate() {
        let end = job.first_replicate + job.replications;
        if k < next.0 {
            job.replications = 0;
        } else if k == next.0 && next.1 > job.first_replicate {
            job.first_replicate = next.1.min(end);
            job.replications = end - job.first_replicate;
        }
    }
}

/// Checks that the counts of a (sealed) checkpoint agree with each other and
/// with the batch: the runs done are those before its next run, and the job
/// in progress has folded exactly those of its runs. Catches a checkpoint
/// edited and resealed by hand.
fn check_counts(checkpoint: &Checkpoint, jobs: &[Job<'_>], target: &Path) -> Result<(), JobError> {
    let (k, r) = checkpoint.next;
    let agree = (|| {
        let job = jobs.get(k)?;
        let end = job.first_replicate + job.replications;
        if r > end || (r < job.first_replicate && r != 0) {
            return None;
        }
        let in_job = r.saturating_sub(job.first_replicate);
        let before: u64 = jobs[..k].iter().map(|j| j.replications).sum();
        let current_ok = match &checkpoint.current {
            None => in_job == 0,
            Some((kc, s)) => *kc == k && s.dyads.first().is_none_or(|d| d.runs == in_job),
        };
        (before + in_job == checkpoint.runs_done && current_ok).then_some(())
    })()
    .is_some();
    if !agree {
        bail!(
            "cannot resume {}: the checkpoint's counts do not agree with each other or with this batch \
             (edited or damaged); nothing was changed",
            target.display()
        );
    }
    Ok(())
}

/// The output folder of `run` over `scenarios`: `--out`, else
/// `results/<scenario name>` (made safe as one path component, and distinct
/// for a what-if run with `--set`), or `results/batch` for several files.
fn out_folder(run: &BatchRun, scenarios: &[Scenario]) -> PathBuf {
    if let Some(out) = &run.out {
        return out.clone();
    }
    let sets = &run.spec.select.sets;
    let base = if scenarios.len() == 1 {
        Path::new("results").join(what_if_name(&scenarios[0].name, sets))
    } else {
        Path::new("results").join(what_if_name("batch", sets))
    };
    match run.replicate {
        Some(r) => base.join(format!("replicate-{r}")),
        None => super::default_out(base, run.shard),
    }
}

/// Runs a batch: every job's runs on `pool`, rows written in replicate
/// order, a checkpoint every `checkpoint_seconds`, and on a stop a
/// checkpoint from which `--resume` continues to the same bytes.
pub fn run(
    run: &BatchRun,
    pool: &Pool,
    stop: &AtomicBool,
    progress: &dyn Progress,
) -> Result<Report, JobError> {
    let mut run = run.clone();
    if run.replicate.is_some() {
        if run.shard.is_some() || run.resume {
            bail!("--replicate replays one run; it takes neither --shard nor --resume");
        }
        // A replayed run is looked at closely: everything it did, month by month.
        run.spec.timeseries = Timeseries::Full;
        run.spec.events = true;
    }
    let spec = &run.spec;
    let scenarios = load_all(&spec.files)?;
    let target = out_folder(&run, &scenarios);
    let batch_fingerprint = spec.fingerprint(&scenarios, run.replicate);
    let checkpoint_mark = Shard::mark(run.shard, &batch_fingerprint);
    let plan = Plan::new(&scenarios, &spec.select, &spec.by)?;
    let mut jobs = plan.jobs();
    narrow(&mut jobs, run.shard, run.replicate)?;
    let infos = plan.infos();
    let layout = Layout::of(&infos, plan.param_keys.clone());
    let clock = Clock::start();
    let mode = spec.timeseries;
    let role = if run.shard.is_some() { Role::Shard } else { Role::Whole };
    let capture = Capture {
        series: mode == Timeseries::Full,
        bins: mode == Timeseries::Summary,
        fired: spec.events,
        decisions: true,
    };
    let folder = match open_out(&target, run.resume, &run.replace)? {
        Opened::Work(f) => f,
        Opened::Fresh(f) => {
            run.resume = false;
            f
        }
        Opened::Done(report) => return Ok(report),
    };
    let out = folder.dir().to_path_buf();
    let (mut writer, mut done) = if run.resume {
        let checkpoint: Checkpoint = read_checkpoint(&out.join(CHECKPOINT), &target)?;
        if checkpoint.fingerprint != checkpoint_mark {
            bail!(
                "{}: the checkpoint belongs to a different batch (scenario files, options or shard differ); \
                 rerun without --resume (and with --replace) to start afresh",
                target.display()
            );
        }
        check_counts(&checkpoint, &jobs, &target)?;
        let done = checkpoint.runs_done;
        let writer = BatchWriter::resume(&out, infos, layout, mode, spec.events, role, checkpoint)
            .with_context(|| {
                format!("cannot resume the batch in {}; nothing was changed", target.display())
            })?;
        (writer, done)
    } else {
        let mut writer = BatchWriter::create(&out, infos, layout, mode, spec.events, role)
            .with_context(|| format!("cannot write results to {}", target.display()))?;
        // From the first moment the folder can be resumed, even if the
        // process is killed before its first timed checkpoint.
        writer.checkpoint(&checkpoint_mark, 0)?;
        (writer, 0)
    };
    if let Some(s) = run.shard {
        writer.set_shard(&batch_fingerprint, s.index, s.count);
    }
    let total: u64 = jobs.iter().map(|j| j.replications).sum();
    skip_done(&mut jobs, writer.next());
    progress.start(total, "runs", done);
    let mut last_checkpoint = Instant::now();
    let result = batch::execute(&jobs, pool, capture, stop, |k, runs| {
        writer.consume(k, runs)?;
        done += runs.len() as u64;
        progress.advance(runs.len() as u64);
        if last_checkpoint.elapsed().as_secs_f64() >= run.checkpoint_seconds {
            writer.checkpoint(&checkpoint_mark, done)?;
            last_checkpoint = Instant::now();
        }
        Ok::<(), crate::output::OutputError>(())
    });
    progress.finish();
    let details = |interrupted: bool, next: (usize, u64)| BatchDetails {
        timeseries: spec.timeseries,
        events: spec.events,
        set: spec.select.sets.clone(),
        spec: spec.clone(),
        fingerprint: batch_fingerprint.clone(),
        shard: run.shard,
        replicate: run.replicate,
        resumed: run.resume,
        interrupted,
        next_job: next.0,
        next_replicate: next.1,
    };
    let manifest = |runs: u64, paths: &[PathBuf], details: BatchDetails| {
        Manifest::new(
            "run",
            command_line(),
            plan.manifest_entries(),
            pool.threads(),
            clock.timing(),
            runs,
            paths,
            details,
        )
    };
    match result {
        Ok(()) => {}
        Err(BatchError::Interrupted { .. }) => {
            writer.checkpoint(&checkpoint_mark, done)?;
            let next = writer.next();
            writer.suspend();
            manifest(done, &[], details(true, next)).write(&out)?;
            folder.suspend();
            return Err(JobError::Interrupted(format!(
                "interrupted after {done} of {total} runs; every finished row is kept. Continue with the same \
                 command and --resume (output folder {}; the unfinished run is in {})",
                target.display(),
                out.display()
            )));
        }
        Err(BatchError::Consumer(e)) => {
            let kept = if run.resume {
                "the interrupted run is kept as it was at its last checkpoint, for another --resume"
            } else {
                "no partial file was left, and the folder's earlier results are untouched"
            };
            return Err(e).with_context(|| format!("writing results to {} failed; {kept}", target.display()));
        }
    }
    let next = writer.next();
    let (summaries, paths) = writer.finish()?;
    manifest(total, &paths, details(false, next)).write(&out)?;
    let mut report = Report { notes: folder.commit()?, ..Report::default() };
    let elapsed = clock.elapsed();
    if role == Role::Whole {
        report.text = headlines(&plan, &summaries, &mut report.notes);
        if run.xlsx || run.report {
            let inputs = &run.report_inputs;
            let defaults = crate::report::Options::default();
            let options = crate::report::Options {
                xlsx: true,
                charts: run.report,
                html: run.report,
                references: inputs.references.clone(),
                stage: inputs.stage.unwrap_or(defaults.stage),
                dyad: inputs.dyad.clone(),
                title: Some(crate::report::title_of(&target)),
            };
            let update = open_update(&target)?;
            let outcome = crate::report::build(update.dir(), &options).map_err(|e| {
                JobError::Invalid(format!(
                    "the batch finished but the report on {} failed; the folder holds the batch: {}",
                    target.display(),
                    update.shown_text(&e.to_string())
                ))
            })?;
            update.commit()?;
            report.notes.extend(outcome.notes.iter().map(|n| format!("note: {n}")));
        }
    }
    report.text.push_str(&format!(
        "{total} runs in {elapsed:.1} s on {} thread(s); results in {}\n",
        pool.threads(),
        target.display()
    ));
    Ok(report)
}

/// `--by` parsed; None when it is empty.
fn parse_by(by: &[String]) -> Result<Option<Vec<By>>, JobError> {
    if by.is_empty() {
        return Ok(None);
    }
    let mut out: Vec<By> = Vec::new();
    for text in by {
        let b = By::parse(text).map_err(|e| JobError::Invalid(format!("--by {text}: {e}")))?;
        if !out.contains(&b) {
            out.push(b);
        }
    }
    Ok(Some(out))
}

/// The headline of every scenario (see [`super::headline`]): the chance of
/// each stage by each `--by` cut-off and by the horizon, per variant.
fn headlines(plan: &Plan<'_>, summaries: &[JobSummary], notes: &mut Vec<String>) -> String {
    let mut text = String::new();
    for (si, s) in plan.scenarios.iter().enumerate() {
        let columns: Vec<Column<'_>> = plan
            .entries
            .iter()
            .zip(summaries)
            .filter(|(e, _)| e.scenario == si)
            .map(|(e, summary)| Column { variant: e.variant, setup: &e.setup, summary })
            .collect();
        let by = plan.by.as_deref().unwrap_or(&[]);
        text.push_str(&scenario_headline(&s.name, &columns, by, notes));
    }
    text.push('\n');
    text
}

/// One shard folder of a batch as `detente merge` reads it.
struct ShardDir {
    path: PathBuf,
    shard: Shard,
    details: BatchDetails,
    state: ShardState,
}

/// Reads a shard folder (its lock held by the caller): the manifest, and
/// the sealed state, which must name the same batch and slice.
fn read_batch_shard(path: &Path) -> Result<ShardDir, JobError> {
    let (manifest, shard) = read_shard::<BatchDetails>(path)?;
    let state: ShardState = read_sealed(&path.join(SHARD_STATE))
        .map_err(|e| JobError::Invalid(format!("{e}; nothing was merged")))?;
    if state.fingerprint != manifest.details.fingerprint || state.slice != [shard.index, shard.count] {
        bail!(
            "{}: its state and its manifest describe different shards (edited or mixed up); nothing was merged",
            path.display()
        );
    }
    Ok(ShardDir { path: path.to_path_buf(), shard, details: manifest.details, state })
}

/// Locks every shard folder for the merge (finishing a commit a killed
/// shard left half done).
pub(super) fn lock_shards(paths: &[PathBuf]) -> Result<Vec<Lock>, JobError> {
    let mut locks = Vec::new();
    for p in paths {
        locks.extend(settle(p, "detente merge (reading this shard)")?);
    }
    Ok(locks)
}

/// Joins the shard folders of a batch into `out`: plans the batch again
/// from the recorded spec, copies every job's rows shard by shard and adds
/// the summaries, so the files are byte-identical to the unsharded run.
/// Every shard's rows are checked against its sealed state (row counts per
/// job, length and SHA-256 per file); a shard that fails writes nothing.
pub fn merge(shard_paths: &[PathBuf], out: &Path, replace: &Replace) -> Result<Report, JobError> {
    let clock = Clock::start();
    let _locks = lock_shards(shard_paths)?;
    let mut shards = shard_paths.iter().map(|p| read_batch_shard(p)).collect::<Result<Vec<_>, _>>()?;
    let marks: Vec<ShardMark<'_>> = shards
        .iter()
        .map(|s| ShardMark { path: &s.path, shard: s.shard, fingerprint: &s.details.fingerprint })
        .collect();
    check_complete(&marks)?;
    shards.sort_by_key(|s| s.shard.index);
    let spec = shards[0].details.spec.clone();
    let scenarios = load_all(&spec.files)?;
    if spec.fingerprint(&scenarios, None) != shards[0].details.fingerprint {
        bail!("the scenario files changed since the shards ran (their SHA-256 differ from the shards' manifests)");
    }
    let plan = Plan::new(&scenarios, &spec.select, &spec.by)?;
    let infos = plan.infos();
    let jobs = plan.jobs();
    for s in &shards {
        if s.state.summaries.len() != infos.len() {
            bail!("{}: its state does not hold one summary per job of the batch", s.path.display());
        }
        for (k, job) in jobs.iter().enumerate() {
            let (lo, hi) = s.shard.range(job.replications);
            let runs = s.state.summaries[k].dyads.first().map_or(hi - lo, |d| d.runs);
            if runs != hi - lo {
                bail!(
                    "{}: its state counts {runs} runs of {}/{}, its slice holds {}; nothing was merged",
                    s.path.display(),
                    job.scenario,
                    job.variant,
                    hi - lo
                );
            }
        }
    }
    let keys: Vec<(String, String)> =
        infos.iter().map(|j| (j.scenario.to_string(), j.variant.to_string())).collect();
    let per_run: Vec<(u64, u64)> =
        infos.iter().map(|j| (j.setup.tracked.len() as u64, j.setup.world.groups.len() as u64)).collect();
    let layout = Layout::of(&infos, plan.param_keys.clone());
    let folder = match open_out(out, false, replace)? {
        Opened::Work(f) | Opened::Fresh(f) => f,
        Opened::Done(report) => return Ok(report),
    };
    let dir = folder.dir().to_path_buf();
    let mut writer = BatchWriter::create(&dir, infos, layout, spec.timeseries, spec.events, Role::Whole)
        .with_context(|| format!("cannot write to {}", out.display()))?;
    let files = [
        ("runs.csv", RowFile::Runs),
        ("groups.csv", RowFile::Groups),
        ("timeseries.csv", RowFile::Series),
        ("events.csv", RowFile::Events),
        ("decisions.csv", RowFile::Decisions),
    ];
    let mut readers: Vec<Vec<(RowFile, RowReader)>> = Vec::new();
    for s in &shards {
        let mut mine = Vec::new();
        for (name, kind) in files {
            let full_series = kind != RowFile::Series || spec.timeseries == Timeseries::Full;
            let logged = !matches!(kind, RowFile::Events | RowFile::Decisions) || spec.events;
            if full_series && logged {
                let Some(mark) = s.state.files.iter().find(|m| m.name == name) else {
                    bail!("{}: its state records nothing of {name}; nothing was merged", s.path.display());
                };
                mine.push((kind, RowReader::open_checked(&s.path.join(name), mark)?));
            }
        }
        readers.push(mine);
    }
    for (k, key) in keys.iter().enumerate() {
        writer.begin_job(k)?;
        for (s, shard_readers) in shards.iter().zip(&mut readers) {
            writer.absorb(&s.state.summaries[k]);
            let (lo, hi) = s.shard.range(jobs[k].replications);
            for (kind, reader) in shard_readers.iter_mut() {
                let mut rows = 0u64;
                while let Some(record) = reader.next_of((&key.0, &key.1))? {
                    writer.copy_row(*kind, &record)?;
                    rows += 1;
                }
                let expected = match kind {
                    RowFile::Runs => Some((hi - lo) * per_run[k].0),
                    RowFile::Groups => Some((hi - lo) * per_run[k].1),
                    _ => None,
                };
                if let Some(want) = expected.filter(|&w| w != rows) {
                    bail!(
                        "{}: {rows} rows of {}/{} where its slice holds {want} (rows deleted, duplicated or \
                         moved); nothing was merged",
                        s.path.display(),
                        key.0,
                        key.1
                    );
                }
            }
        }
    }
    for (s, shard_readers) in shards.iter().zip(&mut readers) {
        for (_, reader) in shard_readers.iter_mut() {
            if reader.peek()?.is_some() {
                bail!("{}: rows of a job the batch does not have, or out of order", s.path.display());
            }
            reader.verify().map_err(|e| JobError::Invalid(format!("{e}; nothing was merged")))?;
        }
    }
    let (_, paths) = writer.finish()?;
    let runs: u64 = shards
        .iter()
        .flat_map(|s| s.state.summaries.first())
        .flat_map(|j| j.dyads.first())
        .map(|d| d.runs)
        .sum();
    let details = MergedDetails {
        spec,
        fingerprint: shards[0].details.fingerprint.clone(),
        shards: shards.iter().map(|s| s.path.display().to_string()).collect(),
    };
    Manifest::new("merge", command_line(), plan.manifest_entries(), 0, clock.timing(), runs, &paths, details)
        .write(&dir)?;
    let notes = folder.commit()?;
    Ok(Report {
        text: format!("merged {} shards into {}\n", shards.len(), out.display()),
        notes,
        ..Report::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(replications: u64) -> Job<'static> {
        static SETUP: std::sync::OnceLock<Setup> = std::sync::OnceLock::new();
        let setup = SETUP.get_or_init(|| {
            crate::scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml"))
                .unwrap()
                .base
        });
        Job { scenario: "s", variant: "v", setup, point: 0, replications, seed: 1, first_replicate: 0 }
    }

    #[test]
    fn a_shard_runs_its_slice_and_a_replay_one_replicate() {
        let mut jobs = [job(10), job(3)];
        narrow(&mut jobs, Some(Shard { index: 1, count: 2 }), None).unwrap();
        assert_eq!(
            [
                (jobs[0].first_replicate, jobs[0].replications),
                (jobs[1].first_replicate, jobs[1].replications)
            ],
            [(5, 5), (1, 2)]
        );
        let mut jobs = [job(10), job(20)];
        narrow(&mut jobs, None, Some(7)).unwrap();
        assert!(jobs.iter().all(|j| (j.first_replicate, j.replications) == (7, 1)));
        let e = narrow(&mut [job(5)], None, Some(5)).unwrap_err().to_string();
        assert!(e.contains("replicates 0 to 4") && e.contains("--replications 6"), "{e}");
    }

    #[test]
    fn a_resumed_batch_skips_what_it_has() {
        let mut jobs = [job(10), job(10), job(10)];
        skip_done(&mut jobs, (1, 4));
        let left: Vec<(u64, u64)> = jobs.iter().map(|j| (j.first_replicate, j.replications)).collect();
        assert_eq!(left, [(0, 0), (4, 6), (0, 10)]);
    }
}
