//! `detente sweep`: run an experimental design over named key paths and
//! write `points.csv` (one row per design point), a point-keyed `runs.csv`
//! and `manifest.json`.
//!
//! The design options ([`DesignArgs`]) and the machinery that resolves them
//! against a scenario's `[sweep]` table ([`prepare`]), runs the design while
//! folding each point's runs as they stream past ([`execute`]: checkpoints,
//! `--resume`, `--shard I/N`) and merges shard folders ([`merge_design`])
//! are shared with `sensitivity` and `discover`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use anyhow::{anyhow, bail, Context, Result};

use super::common::{
    check_complete, fingerprint, load_all, nothing_to_resume, progress, stop_flag, Interrupted, Shard,
    ShardManifest, ShardMark,
};
use crate::batch::{effective_threads, BatchError, RunResult};
use crate::explore::outcome::{Condition, NamedMeasure, PointAcc};
use crate::explore::{
    build_design, design_seed, run_design, Design, DesignKind, Domain, RunSpec, SweepParam,
};
use crate::model::Setup;
use crate::output::batch::{CHECKPOINT, SHARD_STATE};
use crate::output::explore::{DesignCheckpoint, DesignFiles, DesignState};
use crate::output::manifest::{Manifest, ScenarioEntry};
use crate::output::{read_json, remove_with_temp, write_json, Opening, OutputError};
use crate::scenario::{resolve_prior, resolve_values, Scenario};

/// Default replications per design point when neither the command line nor
/// `[sweep]` gives them.
pub(super) const DEFAULT_REPLICATIONS: u64 = 20;

/// Seconds between checkpoints unless `--checkpoint-seconds` says otherwise.
const CHECKPOINT_SECONDS: f64 = 10.0;

/// Options that choose a design and how it is run.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct DesignArgs {
    /// Scenario file (TOML); its [sweep] table gives defaults for every option.
    pub file: PathBuf,
    /// Range KEY=LOW:HIGH on a key path (repeatable; with --values, replaces the file's [sweep] parameters).
    #[arg(long = "param", value_name = "KEY=LOW:HIGH")]
    pub params: Vec<String>,
    /// Value list KEY=a,b,c on a key path (repeatable).
    #[arg(long = "values", value_name = "KEY=a,b,c")]
    pub values: Vec<String>,
    /// Base sample size: LHS points, Saltelli base rows, Morris trajectories (default: [sweep].points, else 32).
    #[arg(long)]
    pub points: Option<usize>,
    /// Levels per range (factorial) or grid levels (Morris, even; default 4).
    #[arg(long)]
    pub levels: Option<usize>,
    /// Replications per design point (default: [sweep].replications, else 20).
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Independent random numbers at each point (default: the same replicate seeds at every point).
    #[arg(long)]
    pub no_crn: bool,
    /// Master seed (default: the file's [run] seed); also seeds the design.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Variant whose setup the design varies.
    #[arg(long, default_value = "baseline")]
    pub variant: String,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// Output folder (default: results/<command>/<scenario name>, with /shard-I for a shard).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Run only slice I of N (0-based) of the design points, for `detente merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Continue an interrupted run in the same output folder from its checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Seconds between checkpoints while running (0: after every design point).
    #[arg(long, default_value_t = CHECKPOINT_SECONDS, hide = true)]
    pub checkpoint_seconds: f64,
}

impl DesignArgs {
    /// These options without those that leave the results unchanged
    /// (threads, output folder, shard, resume): what a checkpoint or a
    /// merge must agree on.
    pub(super) fn canonical(&self) -> DesignArgs {
        DesignArgs {
            threads: 0,
            out: None,
            shard: None,
            resume: false,
            checkpoint_seconds: CHECKPOINT_SECONDS,
            ..self.clone()
        }
    }
}

/// Arguments of `detente sweep`.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct Args {
    #[command(flatten)]
    pub design_args: DesignArgs,
    /// Design: factorial, zip, lhs, sobol or morris (default: [sweep].design, else lhs).
    #[arg(long)]
    pub design: Option<String>,
}

/// A design resolved against its scenario, ready to run.
pub(super) struct Prepared {
    pub(super) scenario: Scenario,
    pub(super) variant: usize,
    pub(super) params: Vec<SweepParam>,
    pub(super) keys: Vec<String>,
    pub(super) design: Design,
    pub(super) base_points: usize,
    pub(super) levels: Option<usize>,
    pub(super) replications: u64,
    pub(super) crn: bool,
    pub(super) seed: u64,
    pub(super) threads: usize,
    pub(super) out: PathBuf,
    /// The design points this process runs: all of them, or a shard's slice.
    pub(super) points: std::ops::Range<usize>,
    pub(super) shard: Option<Shard>,
    pub(super) resume: bool,
    pub(super) checkpoint_seconds: f64,
    /// The command's options without those that leave the results unchanged.
    pub(super) spec: serde_json::Value,
    /// Identifies the job; every shard of it carries the same.
    pub(super) fingerprint: String,
    /// Shard folders merged into this one (0 when the design ran here).
    pub(super) merged_shards: usize,
    /// When the command started.
    pub(super) started: SystemTime,
    pub(super) clock: Instant,
}

impl Prepared {
    pub(super) fn setup(&self) -> &Setup {
        &self.scenario.variants[self.variant].setup
    }

    /// Runs this process makes (a shard's share, or the whole design).
    pub(super) fn total_runs(&self) -> u64 {
        self.points.len() as u64 * self.replications
    }

    /// The checkpoint's fingerprint: the job's, and which shard of it.
    fn checkpoint_fingerprint(&self) -> String {
        match self.shard {
            Some(s) => format!("{}/shard-{}-of-{}", self.fingerprint, s.index, s.count),
            None => self.fingerprint.clone(),
        }
    }

    /// Prints the closing line of a design run.
    pub(super) fn print_done(&self, elapsed: f64) {
        let how = match self.merged_shards {
            0 => format!("in {elapsed:.1} s on {} thread(s)", self.threads),
            n => format!("merged from {n} shards in {elapsed:.1} s"),
        };
        println!(
            "{} design: {} points x {} replications = {} runs {how}; results in {}",
            self.design.kind.as_str(),
            self.design.values.len(),
            self.replications,
            self.total_runs(),
            self.out.display()
        );
    }

    pub(super) fn manifest(
        &self,
        command: &str,
        elapsed: f64,
        paths: &[PathBuf],
        mut extra: serde_json::Value,
    ) -> Manifest {
        let s = &self.scenario;
        let entry = ScenarioEntry {
            path: s.path.display().to_string(),
            name: s.name.clone(),
            sha256: s.sha256.clone(),
            seed: self.seed,
            variants: vec![s.variants[self.variant].name.clone()],
            replications: self.replications,
        };
        let params: Vec<serde_json::Value> = self
            .params
            .iter()
            .map(|p| match &p.domain {
                Domain::Range { low, high } => serde_json::json!({ "key": p.key, "low": low, "high": high }),
                Domain::Values(v) => serde_json::json!({ "key": p.key, "values": v }),
            })
            .collect();
        let mut details = serde_json::json!({
            "design": self.design.kind.as_str(),
            "design_seed": self.design.seed,
            "base_points": self.base_points,
            "levels": self.levels,
            "design_points": self.design.values.len(),
            "replications_per_point": self.replications,
            "common_random_numbers": self.crn,
            "parameters": params,
            "args": self.spec,
            "fingerprint": self.fingerprint,
            "shard": self.shard,
            "points_run": [self.points.start, self.points.end],
            "resumed": self.resume,
        });
        if let (Some(d), Some(e)) = (details.as_object_mut(), extra.as_object_mut()) {
            d.append(e);
        }
        Manifest::new(
            command,
            vec![entry],
            self.threads,
            self.started,
            elapsed,
            self.total_runs(),
            paths,
            details,
        )
    }
}

/// Parses `KEY=LOW:HIGH` and `KEY=a,b,c` options into swept parameters.
fn cli_params(world: &crate::model::World, ranges: &[String], lists: &[String]) -> Result<Vec<SweepParam>> {
    let mut out: Vec<SweepParam> = Vec::new();
    for text in ranges {
        let (key, range) =
            text.split_once('=').ok_or_else(|| anyhow!("--param {text}: expected KEY=LOW:HIGH"))?;
        let (lo, hi) = range
            .split_once(':')
            .ok_or_else(|| anyhow!("--param {text}: expected KEY=LOW:HIGH (a colon between the bounds)"))?;
        let num = |s: &str| -> Result<f64> {
            s.trim().parse::<f64>().map_err(|_| anyhow!("--param {text}: {:?} is not a number", s.trim()))
        };
        let bounds = [num(lo)?, num(hi)?];
        let key = key.trim();
        let prior = resolve_prior(world, key, &bounds).map_err(|e| anyhow!("--param {text}: {e}"))?;
        out.push(SweepParam {
            key: key.to_string(),
            field: prior.field,
            domain: Domain::Range { low: prior.low, high: prior.high },
        });
    }
    for text in lists {
        let (key, list) =
            text.split_once('=').ok_or_else(|| anyhow!("--values {text}: expected KEY=a,b,c"))?;
        let values = list
            .split(',')
            .map(|s| {
                s.trim()
                    .parse::<f64>()
                    .map_err(|_| anyhow!("--values {text}: {:?} is not a number", s.trim()))
            })
            .collect::<Result<Vec<f64>>>()?;
        let key = key.trim();
        let field = resolve_values(world, key, &values).map_err(|e| anyhow!("--values {text}: {e}"))?;
        out.push(SweepParam { key: key.to_string(), field, domain: Domain::Values(values) });
    }
    for (i, p) in out.iter().enumerate() {
        if out[..i].iter().any(|q| q.key == p.key) {
            bail!("{} is swept twice; give each key path once", p.key);
        }
    }
    Ok(out)
}

/// Loads the scenario and resolves the design: command line first, then the
/// file's `[sweep]` table, then the defaults (`default_design`, 32 points,
/// 20 replications, common random numbers on). `spec` is the command's
/// options as [`DesignArgs::canonical`] leaves them; it enters the job's
/// fingerprint and the manifest, from which `detente merge` plans the job again.
pub(super) fn prepare(
    args: &DesignArgs,
    design: Option<&str>,
    default_design: DesignKind,
    command: &str,
    spec: serde_json::Value,
) -> Result<Prepared> {
    let scenario = load_all(std::slice::from_ref(&args.file))?.remove(0);
    let variant = scenario.variants.iter().position(|v| v.name == args.variant).ok_or_else(|| {
        let names: Vec<&str> = scenario.variants.iter().map(|v| v.name.as_str()).collect();
        anyhow!(
            "{}: no variant `{}`; the file has: {}",
            scenario.path.display(),
            args.variant,
            names.join(", ")
        )
    })?;
    let world = &scenario.variants[variant].setup.world;
    let file = scenario.sweep.clone().unwrap_or_default();
    let params = if args.params.is_empty() && args.values.is_empty() {
        let mut ps: Vec<SweepParam> = file
            .ranges
            .iter()
            .map(|p| SweepParam {
                key: p.key.clone(),
                field: p.field,
                domain: Domain::Range { low: p.low, high: p.high },
            })
            .collect();
        ps.extend(file.values.iter().map(|(k, f, v)| SweepParam {
            key: k.clone(),
            field: *f,
            domain: Domain::Values(v.clone()),
        }));
        ps
    } else {
        cli_params(world, &args.params, &args.values)?
    };
    if params.is_empty() {
        bail!(
            "{}: nothing to sweep; give --param KEY=LOW:HIGH or --values KEY=a,b,c, or add a [sweep] table with parameters",
            scenario.path.display()
        );
    }
    let kind = match design.or(file.design.as_deref()) {
        Some(name) => DesignKind::parse(name)?,
        None => default_design,
    };
    let base_points = args.points.or(file.points.map(|p| p as usize)).unwrap_or(32);
    let levels = args.levels.or(file.levels.map(|l| l as usize));
    let replications = args.replications.or(file.replications).unwrap_or(DEFAULT_REPLICATIONS);
    if replications == 0 {
        bail!("--replications must be at least 1");
    }
    let crn = !args.no_crn && file.crn.unwrap_or(true);
    let seed = args.seed.unwrap_or(scenario.seed);
    let design = build_design(kind, &params, base_points, levels, design_seed(seed, "design"))?;
    let out = args.out.clone().unwrap_or_else(|| {
        let base = Path::new("results").join(command).join(&scenario.name);
        match args.shard {
            Some(s) => base.join(format!("shard-{}", s.index)),
            None => base,
        }
    });
    let keys = params.iter().map(|p| p.key.clone()).collect();
    let n = design.values.len();
    let points = match args.shard {
        Some(s) => {
            let (lo, hi) = s.range(n as u64);
            lo as usize..hi as usize
        }
        None => 0..n,
    };
    // The file is identified by its content, not by how its path was spelt.
    let mut identity = spec.clone();
    identity["design_args"]["file"] = serde_json::Value::Null;
    let fingerprint = fingerprint(&serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "command": command,
        "scenario": (&scenario.name, &scenario.sha256),
        "spec": identity,
    }));
    Ok(Prepared {
        merged_shards: 0,
        started: SystemTime::now(),
        clock: Instant::now(),
        points,
        shard: args.shard,
        resume: args.resume,
        checkpoint_seconds: args.checkpoint_seconds,
        spec,
        fingerprint,
        variant,
        params,
        keys,
        design,
        base_points,
        levels,
        replications,
        crn,
        seed,
        threads: effective_threads(args.threads),
        out,
        scenario,
    })
}

/// What a run of the design collected besides the files.
pub(super) struct Collected {
    /// `means[m][p]`: measure `m` averaged over the replications of point `p`.
    pub(super) means: Vec<Vec<f64>>,
    /// Per run, in run order: its design point and whether the condition held.
    pub(super) cases: Vec<(u32, bool)>,
    /// Files written.
    pub(super) paths: Vec<PathBuf>,
}

/// State of the point whose runs are streaming past.
struct Current {
    point: usize,
    acc: PointAcc,
    sums: Vec<f64>,
}

/// The last point boundary: what a checkpoint records.
struct Boundary {
    next_point: usize,
    runs_done: u64,
    files: Vec<(String, u64)>,
    cases: usize,
}

/// Runs the design's points (a shard's slice with `--shard`, what is left
/// with `--resume`), writing `points.csv` (and `runs.csv` if `write_runs`),
/// folding `measures` per point and evaluating `condition` per run.
///
/// Checkpoints are taken at point boundaries, at most every
/// `--checkpoint-seconds`; a stop (SIGINT, SIGTERM) keeps the temporary
/// files and writes a checkpoint at the last boundary, so `--resume` writes
/// byte-identical files, also after a SIGKILL. A shard writes its rows and
/// its folded state (`shard-state.json`) and its manifest, and returns
/// `None`: the analysis waits for `detente merge`.
pub(super) fn execute(
    command: &str,
    prep: &Prepared,
    measures: &[NamedMeasure],
    condition: Option<&Condition>,
    write_runs: bool,
) -> Result<Option<Collected>> {
    let setup = prep.setup();
    let scenario = &prep.scenario;
    let variant = scenario.variants[prep.variant].name.as_str();
    let out = &prep.out;
    let checkpoint_path = out.join(CHECKPOINT);
    let context = || format!("cannot write results to {}", out.display());
    let (mut files, state, first, mut done) = if prep.resume {
        let cp: DesignCheckpoint = read_json(&checkpoint_path).with_context(|| nothing_to_resume(out))?;
        if cp.fingerprint != prep.checkpoint_fingerprint() {
            bail!(
                "{}: the checkpoint belongs to a different run (command, scenario file, options or shard differ); \
                 rerun without --resume to start afresh",
                checkpoint_path.display()
            );
        }
        let how = Opening::Resume(&cp.files);
        let files = DesignFiles::open(out, setup, &scenario.report_years, &prep.keys, write_runs, how)
            .with_context(|| format!("cannot resume the run in {}", out.display()))?;
        (files, cp.state, cp.next_point, cp.runs_done)
    } else {
        let files =
            DesignFiles::open(out, setup, &scenario.report_years, &prep.keys, write_runs, Opening::Fresh)
                .with_context(context)?;
        (
            files,
            DesignState { means: vec![Vec::new(); measures.len()], cases: Vec::new() },
            prep.points.start,
            0,
        )
    };
    if state.means.len() != measures.len() {
        bail!(
            "{}: the checkpoint holds {} outcomes, this run {}",
            checkpoint_path.display(),
            state.means.len(),
            measures.len()
        );
    }
    let mut means = state.means();
    let mut cases = state.cases;
    let spec = RunSpec {
        scenario: &scenario.name,
        variant,
        base: setup,
        replications: prep.replications,
        seed: prep.seed,
        crn: prep.crn,
        threads: prep.threads,
    };
    let bar = progress(prep.total_runs(), "runs");
    bar.inc(done);
    let mut boundary =
        Boundary { next_point: first, runs_done: done, files: files.sync()?, cases: cases.len() };
    let mut last_checkpoint = Instant::now();
    let mut current: Option<Current> = None;
    let checkpoint = |b: &Boundary, means: &[Vec<f64>], cases: &[(u32, bool)]| -> Result<(), OutputError> {
        let cp = DesignCheckpoint {
            fingerprint: prep.checkpoint_fingerprint(),
            next_point: b.next_point,
            runs_done: b.runs_done,
            files: b.files.clone(),
            state: DesignState::of(means, &cases[..b.cases]),
        };
        write_json(&checkpoint_path, &cp)
    };
    let finish_point =
        |c: Current, files: &mut DesignFiles, means: &mut Vec<Vec<f64>>| -> Result<(), OutputError> {
            let n = c.acc.runs().max(1) as f64;
            for (m, s) in means.iter_mut().zip(&c.sums) {
                m.push(s / n);
            }
            files.points.write(c.point, &prep.design.values[c.point], &c.acc)
        };
    // From the first moment the folder can be resumed, even if the process
    // is killed before it finishes a point.
    if !prep.resume {
        checkpoint(&boundary, &means, &cases)?;
    }
    let result = run_design(
        &spec,
        &prep.params,
        &prep.design,
        first..prep.points.end,
        stop_flag(),
        |p, point_setup: &Setup, runs: &[RunResult]| {
            if current.as_ref().map(|c| c.point) != Some(p) {
                if let Some(c) = current.take() {
                    let next_point = c.point + 1;
                    finish_point(c, &mut files, &mut means)?;
                    boundary =
                        Boundary { next_point, runs_done: done, files: files.sync()?, cases: cases.len() };
                    if last_checkpoint.elapsed().as_secs_f64() >= prep.checkpoint_seconds {
                        checkpoint(&boundary, &means, &cases)?;
                        last_checkpoint = Instant::now();
                    }
                }
                current = Some(Current {
                    point: p,
                    acc: PointAcc::new(point_setup),
                    sums: vec![0.0; measures.len()],
                });
            }
            let Some(c) = current.as_mut() else { unreachable!("set just above") };
            for run in runs {
                c.acc.add(&run.outcome);
                for (s, m) in c.sums.iter_mut().zip(measures) {
                    *s += m.measure.value(&run.outcome, point_setup.horizon);
                }
                if let Some(cond) = condition {
                    cases.push((p as u32, cond.holds(&run.outcome, point_setup)));
                }
            }
            if let Some(f) = files.runs.as_mut() {
                f.write((&scenario.name, variant), p, point_setup, &prep.design.values[p], runs)?;
            }
            done += runs.len() as u64;
            bar.inc(runs.len() as u64);
            Ok::<(), OutputError>(())
        },
    );
    bar.finish_and_clear();
    match result {
        Ok(()) => {}
        Err(BatchError::Consumer(e)) => {
            return Err(e).context("writing results failed; no partial file was left")
        }
        Err(BatchError::Interrupted { .. }) => {
            // Rows past the last point boundary are cut off on resume.
            checkpoint(&boundary, &means, &cases)?;
            files.suspend();
            let details = serde_json::json!({
                "interrupted": true,
                "completed_runs": boundary.runs_done,
                "next_point": boundary.next_point,
            });
            prep.manifest(command, prep.clock.elapsed().as_secs_f64(), &[], details).write(out)?;
            return Err(Interrupted(format!(
                "{command} interrupted after {} of {} runs; every finished design point is kept. \
                 Continue with the same command and --resume (output folder {})",
                boundary.runs_done,
                prep.total_runs(),
                out.display()
            ))
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(c) = current.take() {
        finish_point(c, &mut files, &mut means)?;
    }
    let mut paths = Vec::new();
    if prep.shard.is_some() {
        let state = out.join(SHARD_STATE);
        write_json(&state, &DesignState::of(&means, &cases))?;
        paths.push(state);
    }
    paths.extend(files.commit()?);
    remove_with_temp(&checkpoint_path)?;
    if let Some(shard) = prep.shard {
        let elapsed = prep.clock.elapsed().as_secs_f64();
        prep.manifest(command, elapsed, &paths, serde_json::json!({})).write(out)?;
        println!(
            "shard {}/{}: design points {}..{} ({} runs) in {elapsed:.1} s; rows in {}. \
             Combine all {} shards with `detente merge`.",
            shard.index,
            shard.count,
            prep.points.start,
            prep.points.end,
            prep.total_runs(),
            out.display(),
            shard.count
        );
        return Ok(None);
    }
    Ok(Some(Collected { means, cases, paths }))
}

/// Combines the shard folders of a design run into `prep.out`: rows copied
/// in point order, folded outcomes concatenated, so the command's analysis
/// sees exactly what an unsharded run would have.
pub(super) fn merge_design(prep: &mut Prepared, shards: &[PathBuf], write_runs: bool) -> Result<Collected> {
    struct Part {
        path: PathBuf,
        shard: Shard,
        fingerprint: String,
    }
    let mut parts = Vec::new();
    for path in shards {
        let m = ShardManifest::read(path)?;
        let fingerprint = m.details()["fingerprint"].as_str().unwrap_or_default().to_string();
        parts.push(Part { path: path.clone(), shard: m.shard, fingerprint });
    }
    let marks: Vec<ShardMark<'_>> = parts
        .iter()
        .map(|p| ShardMark { path: &p.path, shard: p.shard, fingerprint: &p.fingerprint })
        .collect();
    check_complete(&marks)?;
    if parts[0].fingerprint != prep.fingerprint {
        bail!(
            "the scenario file changed since the shards ran (its SHA-256 differs from the shards' manifests)"
        );
    }
    parts.sort_by_key(|p| p.shard.index);
    let setup = prep.setup();
    let mut files = DesignFiles::open(
        &prep.out,
        setup,
        &prep.scenario.report_years,
        &prep.keys,
        write_runs,
        Opening::Fresh,
    )
    .with_context(|| format!("cannot write to {}", prep.out.display()))?;
    let n = prep.design.values.len() as u64;
    let mut merged = DesignState::default();
    for part in &parts {
        let (lo, hi) = part.shard.range(n);
        let rows = copy_rows(&part.path.join("points.csv"), |r| files.copy_point(r))?;
        if rows != hi - lo {
            bail!("{}: {rows} design points, expected {}", part.path.join("points.csv").display(), hi - lo);
        }
        if write_runs {
            copy_rows(&part.path.join("runs.csv"), |r| files.copy_run(r))?;
        }
        let state: DesignState = read_json(&part.path.join(SHARD_STATE))?;
        if merged.means.is_empty() {
            merged.means = vec![Vec::new(); state.means.len()];
        }
        if state.means.len() != merged.means.len() || state.means.iter().any(|m| m.len() as u64 != hi - lo) {
            bail!(
                "{}: does not hold one value per design point and outcome",
                part.path.join(SHARD_STATE).display()
            );
        }
        for (m, s) in merged.means.iter_mut().zip(state.means) {
            m.extend(s);
        }
        merged.cases.extend(state.cases);
    }
    let paths = files.commit()?;
    prep.merged_shards = parts.len();
    Ok(Collected { means: merged.means(), cases: merged.cases, paths })
}

/// Copies every row of a CSV file (header skipped) to `write`; returns the row count.
fn copy_rows(path: &Path, mut write: impl FnMut(&csv::ByteRecord) -> Result<(), OutputError>) -> Result<u64> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    while reader
        .read_byte_record(&mut record)
        .with_context(|| format!("{}: unreadable row", path.display()))?
    {
        write(&record)?;
        rows += 1;
    }
    Ok(rows)
}

/// The options a shard folder's manifest recorded, for `detente merge`,
/// with the merge's output folder in place of the shard's.
pub(super) fn recorded_args<T: serde::de::DeserializeOwned>(
    manifest: &serde_json::Value,
    shard: &Path,
) -> Result<T> {
    serde_json::from_value(manifest["details"]["args"].clone()).with_context(|| {
        format!("{}: the manifest records no options to plan the merge from", shard.display())
    })
}

/// Runs `detente sweep`.
pub fn run(args: Args) -> Result<ExitCode> {
    let prep = prepare_sweep(&args)?;
    match execute("sweep", &prep, &[], None, true)? {
        Some(collected) => finish(&prep, collected),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Merges the shard folders of a sweep into `out`.
pub(super) fn merge(shards: &[PathBuf], out: &Path, manifest: &serde_json::Value) -> Result<ExitCode> {
    let mut args: Args = recorded_args(manifest, &shards[0])?;
    args.design_args.out = Some(out.to_path_buf());
    let mut prep = prepare_sweep(&args)?;
    let collected = merge_design(&mut prep, shards, true)?;
    finish(&prep, collected)
}

fn prepare_sweep(args: &Args) -> Result<Prepared> {
    let mut spec = args.clone();
    spec.design_args = spec.design_args.canonical();
    prepare(&args.design_args, args.design.as_deref(), DesignKind::Lhs, "sweep", serde_json::to_value(&spec)?)
}

fn finish(prep: &Prepared, collected: Collected) -> Result<ExitCode> {
    let elapsed = prep.clock.elapsed().as_secs_f64();
    prep.manifest("sweep", elapsed, &collected.paths, serde_json::json!({})).write(&prep.out)?;
    prep.print_done(elapsed);
    Ok(ExitCode::SUCCESS)
}
