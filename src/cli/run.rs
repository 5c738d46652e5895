//! `detente run` (and the default batch): run scenarios, write CSV results.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context, Result};

use super::common::{load_all, nothing_to_resume, progress, resolve_sets, scenario_files, stop_flag, Shard};
use crate::batch::aggregate::JobSummary;
use crate::batch::{self, effective_threads, BatchError, Capture, Job};
use crate::model::{Field, Setup};
use crate::output::batch::{BatchWriter, Checkpoint, JobInfo, Layout, Role, Timeseries, CHECKPOINT};
use crate::output::manifest::{Manifest, ScenarioEntry};
use crate::output::read_json;
use crate::scenario::{self, Scenario};

/// Arguments of `detente run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub select: Select,
    /// Output folder (default: results/<scenario name>, or results/batch for several files).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Monthly paths: none, summary (quantile bands) or full (every run).
    #[arg(long, value_enum, default_value_t = TimeseriesArg::None)]
    pub timeseries: TimeseriesArg,
    /// Write events.csv: every event, attack and stage change of every run.
    #[arg(long)]
    pub events: bool,
    /// Also write results.xlsx (a sheet per table) next to the CSV files.
    #[arg(long)]
    pub xlsx: bool,
    /// Also write results.xlsx, charts/*.svg and report.html (see `detente report`).
    #[arg(long)]
    pub report: bool,
    /// Run only slice I of N (0-based) of every job's replicates, for `detente merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Continue an interrupted batch in the same output folder from its checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Seconds between checkpoints while running (0: after every chunk of runs).
    #[arg(long, default_value_t = 10.0, hide = true)]
    pub checkpoint_seconds: f64,
}

/// Which runs of a scenario: variants, replications, seed, overrides, threads.
#[derive(Debug, Clone, Default, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct Select {
    /// Replications per variant (default: the file's [run] replications).
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Master seed (default: the file's [run] seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only these variants (repeatable; `baseline` is the file without overrides).
    #[arg(long = "variant")]
    pub variants: Vec<String>,
    /// Override a value for every variant: KEY=VALUE with a key path (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
}

/// `--timeseries` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
pub enum TimeseriesArg {
    /// No timeseries.csv.
    None,
    /// Per-month quantile bands across runs.
    Summary,
    /// Every run's monthly rows.
    Full,
}

impl From<TimeseriesArg> for Timeseries {
    fn from(t: TimeseriesArg) -> Self {
        match t {
            TimeseriesArg::None => Timeseries::None,
            TimeseriesArg::Summary => Timeseries::Summary,
            TimeseriesArg::Full => Timeseries::Full,
        }
    }
}

/// `detente` with no subcommand: every scenario under `scenarios/`, each with
/// its configured replications, into `results/default/`, with summary bands.
pub fn default_batch() -> Result<ExitCode> {
    let dir = Path::new("scenarios");
    if !dir.is_dir() {
        bail!("no scenarios/ folder here; run from the project root or use `detente run FILE`");
    }
    let files = scenario_files(dir)?;
    if files.is_empty() {
        bail!("scenarios/ holds no .toml scenario files");
    }
    run(Args {
        files,
        select: Select::default(),
        out: Some(PathBuf::from("results/default")),
        timeseries: TimeseriesArg::Summary,
        events: false,
        xlsx: false,
        report: false,
        shard: None,
        resume: false,
        checkpoint_seconds: 10.0,
    })
}

/// What identifies a batch: enough for `detente merge` to plan it again.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BatchSpec {
    /// Scenario files as given.
    pub files: Vec<PathBuf>,
    /// Selection options.
    pub select: Select,
    /// `--timeseries`.
    pub timeseries: TimeseriesArg,
    /// `--events`.
    pub events: bool,
}

impl BatchSpec {
    /// A fingerprint of the batch: tool version, each file's name and SHA-256,
    /// and every option that changes the outputs (not threads, not the shard).
    pub fn fingerprint(&self, scenarios: &[Scenario]) -> String {
        let mut select = self.select.clone();
        select.threads = 0;
        let value = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "scenarios": scenarios.iter().map(|s| (&s.name, &s.sha256)).collect::<Vec<_>>(),
            "select": select,
            "timeseries": self.timeseries,
            "events": self.events,
        });
        super::common::fingerprint(&value)
    }
}

/// Runs `detente run`.
pub fn run(args: Args) -> Result<ExitCode> {
    let scenarios = load_all(&args.files)?;
    let out = match (&args.out, args.shard) {
        (Some(o), _) => o.clone(),
        (None, shard) => {
            let base = if scenarios.len() == 1 {
                Path::new("results").join(&scenarios[0].name)
            } else {
                PathBuf::from("results/batch")
            };
            match shard {
                Some(s) => base.join(format!("shard-{}", s.index)),
                None => base,
            }
        }
    };
    let spec = BatchSpec {
        files: args.files.clone(),
        select: args.select.clone(),
        timeseries: args.timeseries,
        events: args.events,
    };
    let batch_fingerprint = spec.fingerprint(&scenarios);
    let fingerprint = match args.shard {
        Some(s) => format!("{batch_fingerprint}/shard-{}-of-{}", s.index, s.count),
        None => batch_fingerprint.clone(),
    };
    let plan = Plan::new(&scenarios, &args.select)?;
    let mut jobs = plan.jobs();
    if let Some(shard) = args.shard {
        for job in &mut jobs {
            let (lo, hi) = shard.range(job.replications);
            job.first_replicate = lo;
            job.replications = hi - lo;
        }
    }
    let infos = plan.infos();
    let layout = Layout::of(&infos, plan.param_keys.clone());
    let threads = effective_threads(args.select.threads);
    let started = SystemTime::now();
    let clock = Instant::now();
    let mode: Timeseries = args.timeseries.into();
    let role = if args.shard.is_some() { Role::Shard } else { Role::Whole };
    let capture = Capture { series: mode != Timeseries::None, fired: args.events };
    let (mut writer, mut done) = if args.resume {
        let checkpoint: Checkpoint =
            read_json(&out.join(CHECKPOINT)).with_context(|| nothing_to_resume(&out))?;
        if checkpoint.fingerprint != fingerprint {
            bail!(
                "{}: the checkpoint belongs to a different batch (scenario files, options or shard differ); \
                 rerun without --resume to start afresh",
                out.join(CHECKPOINT).display()
            );
        }
        let done = checkpoint.runs_done;
        let writer = BatchWriter::resume(&out, infos, layout, mode, args.events, role, checkpoint)
            .with_context(|| format!("cannot resume the batch in {}", out.display()))?;
        (writer, done)
    } else {
        let writer = BatchWriter::create(&out, infos, layout, mode, args.events, role)
            .with_context(|| format!("cannot write results to {}", out.display()))?;
        (writer, 0)
    };
    let total: u64 = jobs.iter().map(|j| j.replications).sum();
    skip_done(&mut jobs, writer.next());
    let bar = progress(total, "runs");
    bar.inc(done);
    let mut last_checkpoint = Instant::now();
    let result = batch::execute(&jobs, threads, capture, stop_flag(), |k, runs| {
        writer.consume(k, runs)?;
        done += runs.len() as u64;
        bar.inc(runs.len() as u64);
        if last_checkpoint.elapsed().as_secs_f64() >= args.checkpoint_seconds {
            writer.checkpoint(&fingerprint, done)?;
            last_checkpoint = Instant::now();
        }
        Ok::<(), crate::output::OutputError>(())
    });
    bar.finish_and_clear();
    let elapsed = clock.elapsed().as_secs_f64();
    let details = |interrupted: bool, next: (usize, u64)| {
        serde_json::json!({
            "timeseries": args.timeseries,
            "events": args.events,
            "set": args.select.sets,
            "spec": spec,
            "fingerprint": batch_fingerprint,
            "shard": args.shard,
            "resumed": args.resume,
            "interrupted": interrupted,
            "next_job": next.0,
            "next_replicate": next.1,
        })
    };
    match result {
        Ok(()) => {}
        Err(BatchError::Interrupted { .. }) => {
            writer.checkpoint(&fingerprint, done)?;
            let next = writer.next();
            writer.suspend();
            Manifest::new(
                "run",
                plan.manifest_entries(),
                threads,
                started,
                elapsed,
                done,
                &[],
                details(true, next),
            )
            .write(&out)?;
            eprintln!(
                "interrupted after {done} of {total} runs; every finished row is kept. Continue with the same \
                 command and --resume (output folder {})",
                out.display()
            );
            return Ok(ExitCode::from(130));
        }
        Err(BatchError::Consumer(e)) => {
            return Err(e).context("writing results failed; no partial file was left")
        }
        Err(e) => return Err(e.into()),
    }
    let next = writer.next();
    let (summaries, paths) = writer.finish()?;
    remove_stale(&out, &paths)?;
    Manifest::new(
        "run",
        plan.manifest_entries(),
        threads,
        started,
        elapsed,
        total,
        &paths,
        details(false, next),
    )
    .write(&out)?;
    if role == Role::Whole {
        print_headlines(&plan, &summaries);
        if args.xlsx || args.report {
            let options = crate::report::Options {
                xlsx: true,
                charts: args.report,
                html: args.report,
                ..Default::default()
            };
            let outcome = crate::report::build(&out, &options)
                .with_context(|| format!("the batch finished but the report on {} failed", out.display()))?;
            for note in &outcome.notes {
                eprintln!("note: {note}");
            }
        }
    }
    println!("{total} runs in {elapsed:.1} s on {threads} thread(s); results in {}", out.display());
    Ok(ExitCode::SUCCESS)
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

/// Removes optional files an earlier run left in the folder, so every file
/// there belongs to this run.
fn remove_stale(out: &Path, written: &[PathBuf]) -> Result<()> {
    for name in ["timeseries.csv", "events.csv"] {
        let path = out.join(name);
        if path.exists() && !written.contains(&path) {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove stale {}", path.display()))?;
        }
    }
    Ok(())
}

/// The jobs of a run: every selected variant of every scenario.
pub(super) struct Plan<'a> {
    pub(super) entries: Vec<PlanEntry<'a>>,
    pub(super) param_keys: Vec<String>,
    pub(super) scenarios: &'a [Scenario],
    replications: Vec<u64>,
    seeds: Vec<u64>,
}

pub(super) struct PlanEntry<'a> {
    pub(super) scenario: usize,
    pub(super) variant: &'a str,
    pub(super) setup: Setup,
    params: Vec<Option<f64>>,
}

impl<'a> Plan<'a> {
    pub(super) fn new(scenarios: &'a [Scenario], args: &Select) -> Result<Plan<'a>> {
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
        for s in &args.sets {
            let k = s.split_once('=').map_or(s.as_str(), |(k, _)| k).trim().to_string();
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        let mut entries = Vec::new();
        for (si, s) in scenarios.iter().enumerate() {
            for name in &args.variants {
                if s.variant(name).is_none() {
                    let names: Vec<&str> = s.variants.iter().map(|v| v.name.as_str()).collect();
                    bail!("{}: no variant `{name}`; the file has: {}", s.path.display(), names.join(", "));
                }
            }
            let sets = resolve_sets(s, &args.sets)?;
            let overrides: Vec<(Field, f64)> = sets.iter().map(|(_, f, v)| (*f, *v)).collect();
            for v in &s.variants {
                if !args.variants.is_empty() && !args.variants.contains(&v.name) {
                    continue;
                }
                let setup = if overrides.is_empty() {
                    v.setup.clone()
                } else {
                    scenario::with_overrides(&v.setup, &overrides)
                };
                let params = keys
                    .iter()
                    .map(|k| Field::resolve(&setup.world, k).ok().map(|f| f.get(&setup.world)))
                    .collect();
                entries.push(PlanEntry { scenario: si, variant: &v.name, setup, params });
            }
        }
        if let Some(0) = args.replications {
            bail!("--replications must be at least 1");
        }
        Ok(Plan {
            replications: scenarios.iter().map(|s| args.replications.unwrap_or(s.replications)).collect(),
            seeds: scenarios.iter().map(|s| args.seed.unwrap_or(s.seed)).collect(),
            entries,
            param_keys: keys,
            scenarios,
        })
    }

    pub(super) fn jobs(&self) -> Vec<Job<'_>> {
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

    pub(super) fn infos(&self) -> Vec<JobInfo<'_>> {
        self.entries
            .iter()
            .map(|e| JobInfo {
                scenario: &self.scenarios[e.scenario].name,
                variant: e.variant,
                setup: &e.setup,
                report_years: &self.scenarios[e.scenario].report_years,
                params: e.params.clone(),
            })
            .collect()
    }

    pub(super) fn manifest_entries(&self) -> Vec<ScenarioEntry> {
        self.scenarios
            .iter()
            .enumerate()
            .map(|(si, s)| ScenarioEntry {
                path: s.path.display().to_string(),
                name: s.name.clone(),
                sha256: s.sha256.clone(),
                seed: self.seeds[si],
                variants: self
                    .entries
                    .iter()
                    .filter(|e| e.scenario == si)
                    .map(|e| e.variant.to_string())
                    .collect(),
                replications: self.replications[si],
            })
            .collect()
    }
}

/// Prints one line per job and tracked dyad: for each stage above the
/// initial one, the share of runs reaching it and the median date.
fn print_headlines(plan: &Plan<'_>, summaries: &[JobSummary]) {
    println!(
        "{:<24} {:<24} {:<20} share reaching each stage by the horizon, median month of first reach",
        "scenario", "variant", "dyad"
    );
    for (e, summary) in plan.entries.iter().zip(summaries) {
        let s = &plan.scenarios[e.scenario];
        for (d, tr) in summary.dyads.iter().zip(&e.setup.tracked) {
            let mut cells = Vec::new();
            for stage in d.initial_stage as usize + 1..d.reach.len() {
                let share = d.share_by(stage, e.setup.horizon);
                let when =
                    d.months_quantile(stage, 0.5).map_or("-".to_string(), |m| e.setup.month(m).to_string());
                cells.push(format!("{stage}: {:>3.0}% {when:>7}", share * 100.0));
            }
            println!("{:<24} {:<24} {:<20} {}", s.name, e.variant, tr.label, cells.join("  "));
        }
    }
}
