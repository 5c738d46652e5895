//! Designs: `sweep`, `sensitivity` and `discover` over named key paths.
//!
//! [`DesignSpec`] names the design (key paths and their ranges or values,
//! size, replications, seed) and the [`Analysis`] made of its runs; it is
//! recorded in every shard manifest, so `detente merge` plans the same job
//! again. [`prepare`] resolves it against the scenario's `[sweep]` table and
//! [`defaults`]; [`run`] runs the design's points (all of them, a shard's
//! slice, or what a resumed run still lacks) while folding each point's runs
//! as they stream past, with checkpoints at point boundaries; [`merge`]
//! joins the shard folders; and the analysis (Sobol or Morris indices, a
//! PRIM box) is computed from all the points in either case.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::shard::{check_complete, read_shard, Shard, ShardDetails, ShardMark};
use super::{
    command_line, defaults, keep_if_interrupted, load_one, open_out, read_checkpoint, variant_index, Clock,
    Context, JobError, Opened, Progress, Report,
};
use crate::batch::{BatchError, Pool, RunResult};
use crate::explore::analysis::{
    direction, discover, explain, sensitivity, SensitivityRow, BOOTSTRAP, DENSITY_TOLERANCE, MIN_COVERAGE,
};
use crate::explore::outcome::{
    dyad_index, sensitivity_measures, Condition, Measure, NamedMeasure, PointAcc, CONDITION_GRAMMAR,
};
use crate::explore::{
    build_design, design_seed, run_design, Design, DesignKind, Domain, RunSpec, SweepParam,
};
use crate::model::{resolve_values, Prior, Setup};
use crate::output::batch::{CHECKPOINT, SHARD_STATE};
use crate::output::explore::{
    write_discovery, write_sensitivity, DesignCheckpoint, DesignFiles, DesignShardState, DesignState,
};
use crate::output::folder::{safe_name, Replace};
use crate::output::manifest::{Manifest, ScenarioAbout, ScenarioEntry};
use crate::output::rows::copy_rows;
use crate::output::seal::{read_sealed, write_sealed};
use crate::output::{fingerprint, FileMark, Opening, OutputError};
use crate::scenario::Scenario;

/// What is made of a design's runs: the command that runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "lowercase")]
pub enum Analysis {
    /// `points.csv` and a point-keyed `runs.csv`, nothing more.
    Sweep {
        /// Design name (None: `[sweep].design`, else lhs).
        design: Option<String>,
    },
    /// Parameters ranked by their influence on outcomes of one dyad.
    Sensitivity {
        /// `sobol` or `morris`.
        method: String,
        /// Tracked dyad analysed (None: the first).
        dyad: Option<String>,
        /// Stage whose timing is analysed.
        stage: usize,
        /// Year of the "reached by the end of YEAR" outcome (None: start year + 10).
        year: Option<i32>,
    },
    /// The box of parameter values where a yes/no outcome concentrates.
    Discover {
        /// The outcome, in the grammar of `explore::outcome::Condition`.
        outcome: String,
        /// Design name (None: lhs, whatever `[sweep].design` says).
        design: Option<String>,
    },
}

impl Analysis {
    /// The command's name, as in manifests and default folders.
    pub fn command(&self) -> &'static str {
        match self {
            Analysis::Sweep { .. } => "sweep",
            Analysis::Sensitivity { .. } => "sensitivity",
            Analysis::Discover { .. } => "discover",
        }
    }
}

/// A design and its analysis: what identifies the job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignSpec {
    /// What is made of the runs.
    pub analysis: Analysis,
    /// Scenario file; its `[sweep]` table gives defaults for every option.
    pub file: PathBuf,
    /// Ranges `KEY=LOW:HIGH` (with `values`, replace the file's `[sweep]` parameters).
    pub params: Vec<String>,
    /// Value lists `KEY=a,b,c`.
    pub values: Vec<String>,
    /// Base sample size (None: `[sweep].points`, else [`defaults::DESIGN_POINTS`]).
    pub points: Option<usize>,
    /// Levels per range (factorial) or grid levels (Morris).
    pub levels: Option<usize>,
    /// Replications per point (see [`defaults::experiment_replications`]).
    pub replications: Option<u64>,
    /// Common random numbers at every point (None: `[sweep].crn`, else on).
    pub crn: Option<bool>,
    /// Master seed (None: the file's `[run] seed`); also seeds the design.
    pub seed: Option<u64>,
    /// Variant whose setup the design varies.
    pub variant: String,
}

/// A design as a command asks for it.
#[derive(Debug, Clone)]
pub struct DesignRun {
    /// What is run.
    pub spec: DesignSpec,
    /// Output folder (None: `results/<command>/<scenario>`, with `/shard-I` for a shard).
    pub out: Option<PathBuf>,
    /// Run only this slice of the design points.
    pub shard: Option<Shard>,
    /// Continue from the checkpoint in the output folder.
    pub resume: bool,
    /// Seconds between checkpoints (0: after every design point).
    pub checkpoint_seconds: f64,
    /// One of several variants asked for at once: its files go to a folder
    /// named after the variant inside the output folder.
    pub per_variant: bool,
    /// Whether a finished run in the output folder may be replaced.
    pub replace: Replace,
}

/// A swept parameter as the manifest records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParameterEntry {
    /// Key path.
    pub key: String,
    /// Lower bound of a range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    /// Upper bound of a range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
    /// Values of a list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<f64>>,
}

/// What the manifest of a design run records besides the common fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DesignDetails {
    /// Design name.
    pub design: String,
    /// Seed of the design's sampler.
    pub design_seed: u64,
    /// Base sample size.
    pub base_points: usize,
    /// Levels, where the design has them.
    pub levels: Option<usize>,
    /// Points of the whole design.
    pub design_points: usize,
    /// Replications per point.
    pub replications_per_point: u64,
    /// Whether every point sees the same replicate seeds.
    pub common_random_numbers: bool,
    /// The swept key paths.
    pub parameters: Vec<ParameterEntry>,
    /// The job, for `detente merge`.
    pub args: DesignSpec,
    /// Identifies the job; every shard of it carries the same.
    pub fingerprint: String,
    /// The slice this folder holds, if sharded.
    pub shard: Option<Shard>,
    /// The design points this process ran, `[first, end)`.
    pub points_run: [usize; 2],
    /// Whether this run continued from a checkpoint.
    pub resumed: bool,
    /// Whether it stopped before the end.
    #[serde(default)]
    pub interrupted: bool,
    /// Runs completed when it stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_runs: Option<u64>,
    /// First point not completed when it stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_point: Option<usize>,
    /// The analysis made of the runs, once finished and unsharded (never
    /// read back: a merge computes it afresh).
    #[serde(flatten, skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub analysis: Option<AnalysisDetails>,
}

impl ShardDetails for DesignDetails {
    fn shard(&self) -> Option<Shard> {
        self.shard
    }
    fn interrupted(&self) -> bool {
        self.interrupted
    }
}

/// What a finished analysis records in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnalysisDetails {
    /// A sensitivity analysis.
    Sensitivity {
        /// `sobol` or `morris`.
        method: String,
        /// The dyad analysed.
        dyad: String,
        /// The stage whose timing is analysed.
        stage: usize,
        /// The year of the reached-by outcome.
        year: i32,
        /// The outcomes ranked.
        outcomes: Vec<String>,
        /// Bootstrap resamples of each index.
        bootstrap_resamples: usize,
        /// Seed of the bootstrap.
        bootstrap_seed: u64,
    },
    /// A discovery.
    Discover {
        /// The yes/no outcome.
        outcome: String,
        /// Share of runs where it holds.
        base_rate: f64,
        /// Step of the peeling trajectory chosen.
        chosen_step: usize,
        /// The chosen box as rules.
        rules: Vec<String>,
        /// Share of the runs peeled off at each step.
        peel_alpha: f64,
        /// Smallest share of runs a box may hold.
        min_mass: f64,
        /// Smallest coverage of a chosen box.
        min_coverage: f64,
        /// Density within which a smaller box is not preferred.
        density_tolerance: f64,
    },
}

/// A design resolved against its scenario, ready to run.
pub struct Prepared {
    run: DesignRun,
    scenario: Scenario,
    variant: usize,
    params: Vec<SweepParam>,
    keys: Vec<String>,
    design: Design,
    base_points: usize,
    levels: Option<usize>,
    replications: u64,
    crn: bool,
    seed: u64,
    /// The output folder as named.
    out: PathBuf,
    /// Where the files are written: the output folder's staging folder.
    dir: PathBuf,
    /// The design points this process runs: all of them, or a shard's slice.
    points: std::ops::Range<usize>,
    /// Identifies the job; every shard of it carries the same.
    fingerprint: String,
    /// Shard folders merged into this one (0 when the design ran here).
    merged_shards: usize,
    /// Worker threads of the run (0 for a merge).
    threads: usize,
    clock: Clock,
    analysis: Plan,
}

/// What the analysis needs, resolved against the scenario.
enum Plan {
    Sweep,
    Sensitivity { method: String, dyad: usize, stage: usize, year: i32, measures: Vec<NamedMeasure> },
    Discover { outcome: String, condition: Condition },
}

/// The job's identity, hashed: the file by content, not by how its path was spelt.
#[derive(Serialize)]
struct Identity<'a> {
    version: &'static str,
    command: &'static str,
    scenario: (&'a str, &'a str),
    spec: DesignSpec,
}

/// Parses `--param KEY=LOW:HIGH` and `--values KEY=a,b,c` into swept parameters.
fn cli_params(
    world: &crate::model::World,
    ranges: &[String],
    lists: &[String],
) -> Result<Vec<SweepParam>, JobError> {
    let mut out: Vec<SweepParam> = Vec::new();
    for text in ranges {
        let prior =
            Prior::parse(world, text).map_err(|e| JobError::Invalid(format!("--param {text}: {e}")))?;
        out.push(SweepParam {
            key: prior.key,
            field: prior.field,
            domain: Domain::Range { low: prior.low, high: prior.high },
        });
    }
    for text in lists {
        let Some((key, list)) = text.split_once('=') else { bail!("--values {text}: expected KEY=a,b,c") };
        let values = list
            .split(',')
            .map(|s| {
                s.trim().parse::<f64>().map_err(|_| {
                    JobError::Invalid(format!("--values {text}: {:?} is not a number", s.trim()))
                })
            })
            .collect::<Result<Vec<f64>, _>>()?;
        let key = key.trim();
        let field = resolve_values(world, key, &values)
            .map_err(|e| JobError::Invalid(format!("--values {text}: {e}")))?;
        out.push(SweepParam { key: key.to_string(), field, domain: Domain::Values(values) });
    }
    for (i, p) in out.iter().enumerate() {
        if out[..i].iter().any(|q| q.key == p.key) {
            bail!("{} is swept twice; give each key path once", p.key);
        }
    }
    Ok(out)
}

/// Loads the scenario and resolves the design: the spec first, then the
/// file's `[sweep]` table, then [`defaults`].
pub fn prepare(run: &DesignRun) -> Result<Prepared, JobError> {
    let spec = &run.spec;
    let command = spec.analysis.command();
    let scenario = load_one(&spec.file)?;
    let variant = variant_index(&scenario, &spec.variant)?;
    let setup = &scenario.variants[variant].setup;
    let file = scenario.sweep.clone().unwrap_or_default();
    let params = if spec.params.is_empty() && spec.values.is_empty() {
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
        cli_params(&setup.world, &spec.params, &spec.values)?
    };
    if params.is_empty() {
        bail!(
            "{}: nothing to sweep; give --param KEY=LOW:HIGH or --values KEY=a,b,c, or add a [sweep] table with parameters",
            scenario.path.display()
        );
    }
    let (design_name, default_kind) = match &spec.analysis {
        Analysis::Sweep { design } => (design.as_deref().or(file.design.as_deref()), DesignKind::Lhs),
        Analysis::Sensitivity { method, .. } => match method.as_str() {
            "sobol" => (Some("sobol"), DesignKind::Sobol),
            "morris" => (Some("morris"), DesignKind::Morris),
            other => bail!("--method {other:?}: expected sobol or morris"),
        },
        Analysis::Discover { design, .. } => (Some(design.as_deref().unwrap_or("lhs")), DesignKind::Lhs),
    };
    let kind = match design_name {
        Some(name) => DesignKind::parse(name)?,
        None => default_kind,
    };
    let base_points = spec.points.or(file.points.map(|p| p as usize)).unwrap_or(defaults::DESIGN_POINTS);
    let levels = spec.levels.or(file.levels.map(|l| l as usize));
    let replications = defaults::experiment_replications(
        spec.replications,
        file.replications,
        &scenario,
        defaults::DESIGN_REPLICATIONS,
    );
    defaults::check_count("--replications", replications)?;
    defaults::check_count("--points", base_points as u64)?;
    if let Some(l) = levels {
        defaults::check_count("--levels", l as u64)?;
    }
    let crn = spec.crn.unwrap_or(file.crn.unwrap_or(true));
    let seed = defaults::seed(spec.seed, &scenario);
    let design = build_design(kind, &params, base_points, levels, design_seed(seed, "design"))?;
    let out = match (&run.out, run.per_variant) {
        (Some(out), false) => out.clone(),
        (Some(out), true) => out.join(&spec.variant),
        (None, per_variant) => {
            let base = Path::new("results").join(command).join(safe_name(&scenario.name));
            let base = if per_variant { base.join(&spec.variant) } else { base };
            super::default_out(base, run.shard)
        }
    };
    let keys = params.iter().map(|p| p.key.clone()).collect();
    let n = design.values.len();
    let points = match run.shard {
        Some(s) => {
            let (lo, hi) = s.range(n as u64);
            lo as usize..hi as usize
        }
        None => 0..n,
    };
    let fingerprint = fingerprint(&Identity {
        version: env!("CARGO_PKG_VERSION"),
        command,
        scenario: (&scenario.name, &scenario.sha256),
        spec: DesignSpec { file: PathBuf::new(), ..spec.clone() },
    });
    let analysis = plan_analysis(&spec.analysis, &scenario.variants[variant].setup)?;
    Ok(Prepared {
        run: run.clone(),
        merged_shards: 0,
        threads: 0,
        clock: Clock::start(),
        points,
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
        dir: out.clone(),
        out,
        scenario,
        analysis,
    })
}

fn plan_analysis(analysis: &Analysis, setup: &Setup) -> Result<Plan, JobError> {
    Ok(match analysis {
        Analysis::Sweep { .. } => Plan::Sweep,
        Analysis::Sensitivity { method, dyad, stage, year } => {
            let dyad = match dyad {
                Some(label) => dyad_index(setup, label)?,
                None if setup.tracked.is_empty() => bail!("the scenario tracks no dyad"),
                None => 0,
            };
            let year = year.unwrap_or(setup.start.year() + 10);
            let measures = sensitivity_measures(setup, dyad, *stage, year)?;
            Plan::Sensitivity { method: method.clone(), dyad, stage: *stage, year, measures }
        }
        Analysis::Discover { outcome, .. } => {
            Plan::Discover { outcome: outcome.clone(), condition: Condition::parse(outcome, setup)? }
        }
    })
}

impl Prepared {
    fn setup(&self) -> &Setup {
        &self.scenario.variants[self.variant].setup
    }

    fn command(&self) -> &'static str {
        self.run.spec.analysis.command()
    }

    /// Runs this process makes (a shard's share, or the whole design).
    fn total_runs(&self) -> u64 {
        self.points.len() as u64 * self.replications
    }

    fn measures(&self) -> &[NamedMeasure] {
        match &self.analysis {
            Plan::Sensitivity { measures, .. } => measures,
            _ => &[],
        }
    }

    fn condition(&self) -> Option<&Condition> {
        match &self.analysis {
            Plan::Discover { condition, .. } => Some(condition),
            _ => None,
        }
    }

    /// `discover` needs no `runs.csv`: its rows are the points'.
    fn write_runs(&self) -> bool {
        !matches!(self.analysis, Plan::Discover { .. })
    }

    fn details(&self) -> DesignDetails {
        DesignDetails {
            design: self.design.kind.as_str().to_string(),
            design_seed: self.design.seed,
            base_points: self.base_points,
            levels: self.levels,
            design_points: self.design.values.len(),
            replications_per_point: self.replications,
            common_random_numbers: self.crn,
            parameters: self
                .params
                .iter()
                .map(|p| match &p.domain {
                    Domain::Range { low, high } => ParameterEntry {
                        key: p.key.clone(),
                        low: Some(*low),
                        high: Some(*high),
                        values: None,
                    },
                    Domain::Values(v) => {
                        ParameterEntry { key: p.key.clone(), low: None, high: None, values: Some(v.clone()) }
                    }
                })
                .collect(),
            args: self.run.spec.clone(),
            fingerprint: self.fingerprint.clone(),
            shard: self.run.shard,
            points_run: [self.points.start, self.points.end],
            resumed: self.run.resume,
            interrupted: false,
            completed_runs: None,
            next_point: None,
            analysis: None,
        }
    }

    fn manifest(&self, paths: &[PathBuf], details: DesignDetails) -> Manifest<DesignDetails> {
        let s = &self.scenario;
        let entry = ScenarioEntry {
            path: s.path.display().to_string(),
            name: s.name.clone(),
            sha256: s.sha256.clone(),
            seed: self.seed,
            variants: vec![s.variants[self.variant].name.clone()],
            replications: self.replications,
            about: Some(ScenarioAbout::of(s, [s.variants[self.variant].name.as_str()])),
        };
        Manifest::new(
            self.command(),
            command_line(),
            vec![entry],
            self.threads,
            self.clock.timing(),
            self.total_runs(),
            paths,
            details,
        )
    }

    /// The closing line of a design run.
    fn done_line(&self) -> String {
        let elapsed = self.clock.elapsed();
        let how = match self.merged_shards {
            0 => format!("in {elapsed:.1} s on {} thread(s)", self.threads),
            n => format!("merged from {n} shards in {elapsed:.1} s"),
        };
        format!(
            "{} design: {} points x {} replications = {} runs {how}; results in {}\n",
            self.design.kind.as_str(),
            self.design.values.len(),
            self.replications,
            self.total_runs(),
            self.out.display()
        )
    }
}

/// What a run of the design collected besides the files.
struct Collected {
    /// `means[m][p]`: measure `m` averaged over the replications of point `p`.
    means: Vec<Vec<f64>>,
    /// Per run, in run order: its design point and whether the condition held.
    cases: Vec<(u32, bool)>,
    /// Files written.
    paths: Vec<PathBuf>,
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
    files: Vec<FileMark>,
    cases: usize,
}

/// Runs a design job, and its analysis unless it is a shard. A comma list
/// of variants (`--variant baseline,isis_k_surge`) runs the same design on
/// each in turn, each into a folder named after it, and reports them in
/// the order given.
pub fn run(
    run: &DesignRun,
    pool: &Pool,
    stop: &AtomicBool,
    progress: &dyn Progress,
) -> Result<Report, JobError> {
    let variants: Vec<&str> = run.spec.variant.split(',').map(str::trim).collect();
    if variants.len() == 1 {
        return run_one(run, pool, stop, progress);
    }
    if let Some(v) = variants.iter().enumerate().find_map(|(i, v)| variants[..i].contains(v).then_some(v)) {
        bail!("--variant {}: `{v}` is named twice", run.spec.variant);
    }
    if variants.iter().any(|v| v.is_empty()) {
        bail!("--variant {}: an empty name in the list", run.spec.variant);
    }
    let mut report = Report::default();
    for v in variants {
        let mut one = run.clone();
        one.spec.variant = v.to_string();
        one.per_variant = true;
        let r = run_one(&one, pool, stop, progress)?;
        let _ = writeln!(report.text, "== variant {v}");
        report.text.push_str(&r.text);
        report.text.push('\n');
        report.notes.extend(r.notes);
    }
    Ok(report)
}

/// Runs one variant's design (see [`run`]).
fn run_one(
    run: &DesignRun,
    pool: &Pool,
    stop: &AtomicBool,
    progress: &dyn Progress,
) -> Result<Report, JobError> {
    let mut prep = prepare(run)?;
    prep.threads = pool.threads();
    let folder = match open_out(&prep.out, run.resume, &run.replace)? {
        Opened::Work(f) => f,
        Opened::Fresh(f) => {
            prep.run.resume = false;
            f
        }
        Opened::Done(report) => return Ok(report),
    };
    prep.dir = folder.dir().to_path_buf();
    let report = match execute(&prep, pool, stop, progress) {
        Ok(Some(collected)) => finish(&prep, collected),
        Ok(None) => Ok(shard_report(&prep)),
        Err(e) => Err(e),
    };
    match report {
        Ok(mut report) => {
            report.notes.extend(folder.commit()?);
            Ok(report)
        }
        Err(e) => keep_if_interrupted(folder, e),
    }
}

/// Runs the design's points (a shard's slice with `--shard`, what is left
/// with `--resume`), writing `points.csv` (and `runs.csv` unless
/// discovering), folding the measures per point and evaluating the
/// condition per run.
///
/// Checkpoints are taken at point boundaries, at most every
/// `checkpoint_seconds`; a stop keeps the temporary files and writes a
/// checkpoint at the last boundary, so `--resume` writes byte-identical
/// files, also after a SIGKILL. A shard writes its rows, its folded state
/// (`shard-state.json`) and its manifest, and returns `None`: the analysis
/// waits for `detente merge`.
fn execute(
    prep: &Prepared,
    pool: &Pool,
    stop: &AtomicBool,
    progress: &dyn Progress,
) -> Result<Option<Collected>, JobError> {
    let setup = prep.setup();
    let scenario = &prep.scenario;
    let variant = scenario.variants[prep.variant].name.as_str();
    let measures = prep.measures();
    let condition = prep.condition();
    let write_runs = prep.write_runs();
    let out = &prep.dir;
    let target = &prep.out;
    let mark = Shard::mark(prep.run.shard, &prep.fingerprint);
    let checkpoint_path = out.join(CHECKPOINT);
    let (mut files, state, first, mut done) = if prep.run.resume {
        let cp: DesignCheckpoint = read_checkpoint(&checkpoint_path, target)?;
        if cp.fingerprint != mark {
            bail!(
                "{}: the checkpoint belongs to a different run (command, scenario file, options or shard differ); \
                 rerun without --resume (and with --replace) to start afresh",
                target.display()
            );
        }
        let points_done =
            cp.next_point.checked_sub(prep.points.start).filter(|_| cp.next_point <= prep.points.end);
        let consistent = points_done.is_some_and(|n| {
            cp.state.means.iter().all(|m| m.len() == n)
                && cp.runs_done == n as u64 * prep.replications
                && (condition.is_none() || cp.state.cases.len() as u64 == cp.runs_done)
        });
        if !consistent {
            bail!(
                "cannot resume {}: the checkpoint's counts do not agree with each other or with this design \
                 (edited or damaged); nothing was changed",
                target.display()
            );
        }
        crate::output::verify_marks(out, &cp.files)
            .with_context(|| format!("cannot resume the run in {}; nothing was changed", target.display()))?;
        let how = Opening::Resume(&cp.files);
        let files = DesignFiles::open(out, setup, &scenario.report_years, &prep.keys, write_runs, how)
            .with_context(|| format!("cannot resume the run in {}", target.display()))?;
        (files, cp.state, cp.next_point, cp.runs_done)
    } else {
        let files =
            DesignFiles::open(out, setup, &scenario.report_years, &prep.keys, write_runs, Opening::Fresh)
                .with_context(|| format!("cannot write results to {}", target.display()))?;
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
        pool,
    };
    progress.start(prep.total_runs(), "runs", done);
    let mut boundary =
        Boundary { next_point: first, runs_done: done, files: files.sync()?, cases: cases.len() };
    let mut last_checkpoint = Instant::now();
    let mut current: Option<Current> = None;
    let checkpoint = |b: &Boundary, means: &[Vec<f64>], cases: &[(u32, bool)]| -> Result<(), OutputError> {
        let cp = DesignCheckpoint {
            fingerprint: mark.clone(),
            next_point: b.next_point,
            runs_done: b.runs_done,
            files: b.files.clone(),
            state: DesignState::of(means, &cases[..b.cases]),
        };
        write_sealed(&checkpoint_path, &cp)
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
    if !prep.run.resume {
        checkpoint(&boundary, &means, &cases)?;
    }
    let result = run_design(
        &spec,
        &prep.params,
        &prep.design,
        first..prep.points.end,
        stop,
        |p, point_setup: &Setup, runs: &[RunResult]| {
            if current.as_ref().map(|c| c.point) != Some(p) {
                if let Some(c) = current.take() {
                    let next_point = c.point + 1;
                    finish_point(c, &mut files, &mut means)?;
                    boundary =
                        Boundary { next_point, runs_done: done, files: files.sync()?, cases: cases.len() };
                    if last_checkpoint.elapsed().as_secs_f64() >= prep.run.checkpoint_seconds {
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
            progress.advance(runs.len() as u64);
            Ok::<(), OutputError>(())
        },
    );
    progress.finish();
    match result {
        Ok(()) => {}
        Err(BatchError::Consumer(e)) => {
            let kept = if prep.run.resume {
                "the interrupted run is kept as it was at its last checkpoint, for another --resume"
            } else {
                "no partial file was left, and the folder's earlier results are untouched"
            };
            return Err(e).with_context(|| format!("writing results to {} failed; {kept}", target.display()));
        }
        Err(BatchError::Interrupted { .. }) => {
            // Rows past the last point boundary are cut off on resume.
            checkpoint(&boundary, &means, &cases)?;
            files.suspend();
            let details = DesignDetails {
                interrupted: true,
                completed_runs: Some(boundary.runs_done),
                next_point: Some(boundary.next_point),
                ..prep.details()
            };
            prep.manifest(&[], details).write(out)?;
            return Err(JobError::Interrupted(format!(
                "{} interrupted after {} of {} runs; every finished design point is kept. \
                 Continue with the same command and --resume (output folder {}; the unfinished run is in {})",
                prep.command(),
                boundary.runs_done,
                prep.total_runs(),
                target.display(),
                out.display()
            )));
        }
    }
    if let Some(c) = current.take() {
        finish_point(c, &mut files, &mut means)?;
    }
    let mut paths = Vec::new();
    if let Some(shard) = prep.run.shard {
        let state = out.join(SHARD_STATE);
        let sealed = DesignShardState {
            fingerprint: prep.fingerprint.clone(),
            slice: [shard.index, shard.count],
            files: files.sync()?,
            state: DesignState::of(&means, &cases),
        };
        write_sealed(&state, &sealed)?;
        paths.push(state);
    }
    // The checkpoint stays until the folder is committed (which leaves out
    // what the manifest does not list), so a kill in between can resume.
    paths.extend(files.commit()?);
    if prep.run.shard.is_some() {
        prep.manifest(&paths, prep.details()).write(out)?;
        return Ok(None);
    }
    Ok(Some(Collected { means, cases, paths }))
}

fn shard_report(prep: &Prepared) -> Report {
    let Some(shard) = prep.run.shard else { return Report::default() };
    let text = format!(
        "shard {}/{}: design points {}..{} ({} runs) in {:.1} s; rows in {}. \
         Combine all {} shards with `detente merge`.\n",
        shard.index,
        shard.count,
        prep.points.start,
        prep.points.end,
        prep.total_runs(),
        prep.clock.elapsed(),
        prep.out.display(),
        shard.count
    );
    Report { text, ..Report::default() }
}

/// Combines the shard folders of a design run into `out`: rows copied in
/// point order, folded outcomes concatenated, so the analysis sees exactly
/// what an unsharded run would have. Every shard's rows are checked against
/// its sealed state (length and SHA-256 per file, points and runs counted);
/// a shard that fails writes nothing.
pub fn merge(shards: &[PathBuf], out: &Path, replace: &Replace) -> Result<Report, JobError> {
    struct Part {
        path: PathBuf,
        shard: Shard,
        details: DesignDetails,
        sealed: DesignShardState,
    }
    let _locks = super::batch::lock_shards(shards)?;
    let mut parts = Vec::new();
    for path in shards {
        let (manifest, shard) = read_shard::<DesignDetails>(path)?;
        let sealed: DesignShardState = read_sealed(&path.join(SHARD_STATE))
            .map_err(|e| JobError::Invalid(format!("{e}; nothing was merged")))?;
        if sealed.fingerprint != manifest.details.fingerprint || sealed.slice != [shard.index, shard.count] {
            bail!(
                "{}: its state and its manifest describe different shards (edited or mixed up); nothing was merged",
                path.display()
            );
        }
        parts.push(Part { path: path.clone(), shard, details: manifest.details, sealed });
    }
    let marks: Vec<ShardMark<'_>> = parts
        .iter()
        .map(|p| ShardMark { path: &p.path, shard: p.shard, fingerprint: &p.details.fingerprint })
        .collect();
    check_complete(&marks)?;
    parts.sort_by_key(|p| p.shard.index);
    let run = DesignRun {
        spec: parts[0].details.args.clone(),
        out: Some(out.to_path_buf()),
        shard: None,
        resume: false,
        checkpoint_seconds: defaults::CHECKPOINT_SECONDS,
        per_variant: false,
        replace: replace.clone(),
    };
    let mut prep = prepare(&run)?;
    if parts[0].details.fingerprint != prep.fingerprint {
        bail!(
            "the scenario file changed since the shards ran (its SHA-256 differs from the shards' manifests)"
        );
    }
    let write_runs = prep.write_runs();
    let per_point = prep.replications * prep.setup().tracked.len() as u64;
    let folder = match open_out(out, false, replace)? {
        Opened::Work(f) | Opened::Fresh(f) => f,
        Opened::Done(report) => return Ok(report),
    };
    prep.dir = folder.dir().to_path_buf();
    let mut files = DesignFiles::open(
        &prep.dir,
        prep.setup(),
        &prep.scenario.report_years,
        &prep.keys,
        write_runs,
        Opening::Fresh,
    )
    .with_context(|| format!("cannot write to {}", out.display()))?;
    let n = prep.design.values.len() as u64;
    let mut merged = DesignState::default();
    for part in &parts {
        let (lo, hi) = part.shard.range(n);
        let mark = |name: &str| {
            part.sealed.files.iter().find(|m| m.name == name).ok_or_else(|| {
                JobError::Invalid(format!(
                    "{}: its state records nothing of {name}; nothing was merged",
                    part.path.display()
                ))
            })
        };
        let rows =
            copy_rows(&part.path.join("points.csv"), Some(mark("points.csv")?), |r| files.copy_point(r))?;
        if rows != hi - lo {
            bail!("{}: {rows} design points, expected {}", part.path.join("points.csv").display(), hi - lo);
        }
        if write_runs {
            let rows =
                copy_rows(&part.path.join("runs.csv"), Some(mark("runs.csv")?), |r| files.copy_run(r))?;
            if rows != (hi - lo) * per_point {
                bail!(
                    "{}: {rows} rows, expected {} for its {} points; nothing was merged",
                    part.path.join("runs.csv").display(),
                    (hi - lo) * per_point,
                    hi - lo
                );
            }
        }
        let state = &part.sealed.state;
        if merged.means.is_empty() {
            merged.means = vec![Vec::new(); state.means.len()];
        }
        if state.means.len() != merged.means.len() || state.means.iter().any(|m| m.len() as u64 != hi - lo) {
            bail!(
                "{}: does not hold one value per design point and outcome",
                part.path.join(SHARD_STATE).display()
            );
        }
        for (m, s) in merged.means.iter_mut().zip(&state.means) {
            m.extend(s);
        }
        merged.cases.extend(&state.cases);
    }
    let paths = files.commit()?;
    prep.merged_shards = parts.len();
    let mut report = finish(&prep, Collected { means: merged.means(), cases: merged.cases, paths })?;
    report.notes.extend(folder.commit()?);
    Ok(report)
}

/// The analysis of a whole design (run here or merged): its file, the
/// manifest, and what to tell the user.
fn finish(prep: &Prepared, mut collected: Collected) -> Result<Report, JobError> {
    let mut text = String::new();
    let mut details = prep.details();
    match &prep.analysis {
        Plan::Sweep => {}
        Plan::Sensitivity { method, dyad, stage, year, measures } => {
            let names: Vec<String> = measures.iter().map(|m| m.name.clone()).collect();
            let bootstrap_seed = design_seed(prep.seed, "bootstrap");
            let mut rows =
                sensitivity(&prep.design.structure, &prep.keys, &names, &collected.means, bootstrap_seed)?;
            let binary: Vec<bool> =
                measures.iter().map(|m| matches!(m.measure, Measure::ReachedBefore { .. })).collect();
            explain(&mut rows, &names, &collected.means, &binary, &prep.design.values, prep.replications);
            collected.paths.push(write_sensitivity(&prep.dir, &rows)?);
            text = sensitivity_table(&rows);
            details.analysis = Some(AnalysisDetails::Sensitivity {
                method: method.clone(),
                dyad: prep.setup().tracked[*dyad].label.clone(),
                stage: *stage,
                year: *year,
                outcomes: names,
                bootstrap_resamples: BOOTSTRAP,
                bootstrap_seed,
            });
        }
        Plan::Discover { outcome, .. } => {
            let y: Vec<bool> = collected.cases.iter().map(|&(_, v)| v).collect();
            let hits = y.iter().filter(|&&v| v).count();
            if hits == 0 {
                bail!(
                    "`{outcome}` happened in none of the {} runs; widen the ranges or pick another outcome ({CONDITION_GRAMMAR})",
                    y.len()
                );
            }
            let x: Vec<Vec<f64>> =
                collected.cases.iter().map(|&(p, _)| prep.design.values[p as usize].clone()).collect();
            let found = discover(&x, &y, &prep.keys)?;
            collected.paths.push(write_discovery(&prep.dir, &found, &prep.keys)?);
            let chosen = &found.trajectory[found.chosen];
            if !found.warning.is_empty() {
                let _ = writeln!(text, "warning: {}", found.warning);
            }
            let _ = writeln!(
                text,
                "`{outcome}` happens in {:.0} % of all {} runs.",
                100.0 * found.base_rate,
                y.len()
            );
            if found.rules.is_empty() {
                text.push_str("No box of parameter values concentrates it better: it does not depend on the swept ranges in a way PRIM can isolate.\n");
            } else {
                let _ = writeln!(
                    text,
                    "`{outcome}` happens in {:.0} % of runs when {} ({} runs in the box, {:.0} % of the runs where it happens).",
                    100.0 * chosen.density,
                    found.rules.join(" and "),
                    chosen.n_inside,
                    100.0 * chosen.coverage
                );
            }
            details.analysis = Some(AnalysisDetails::Discover {
                outcome: outcome.clone(),
                base_rate: found.base_rate,
                chosen_step: found.chosen,
                rules: found.rules.clone(),
                peel_alpha: 0.05,
                min_mass: 0.05,
                min_coverage: MIN_COVERAGE,
                density_tolerance: DENSITY_TOLERANCE,
            });
        }
    }
    prep.manifest(&collected.paths, details).write(&prep.dir)?;
    text.push_str(&prep.done_line());
    Ok(Report { text, ..Report::default() })
}

/// Per outcome, its base, the parameters in rank order with their main
/// index and the direction of their effect, then the warnings.
fn sensitivity_table(rows: &[SensitivityRow]) -> String {
    let mut out = String::new();
    let fmt = |t: Option<(f64, f64, f64)>| match t {
        Some((v, lo, hi)) => format!("{v:>8.3} [{lo:>7.3}, {hi:>7.3}]"),
        None => format!("{:>27}", "-"),
    };
    let mut last = "";
    let mut warnings: Vec<String> = Vec::new();
    let flush = |out: &mut String, warnings: &mut Vec<String>| {
        for w in warnings.drain(..) {
            let _ = writeln!(out, "  warning: {w}");
        }
    };
    for r in rows {
        if r.outcome != last {
            flush(&mut out, &mut warnings);
            last = &r.outcome;
            out.push('\n');
            let (main, other) = match r.method {
                "morris" => ("mu* [95% CI]", "sigma"),
                _ => ("total [95% CI]", "first order [95% CI]"),
            };
            let base = match r.base.positive_runs {
                Some(k) => format!("base rate {:.1} % ({k} of {} runs)", 100.0 * r.base.mean, r.base.runs),
                None => format!("mean {:.3} over {} runs", r.base.mean, r.base.runs),
            };
            let _ = writeln!(
                out,
                "{} ({base})\n  rank  {:<48} {main:>27}  {other:>27}  effect of a higher value",
                r.outcome, "parameter"
            );
            if r.rank.is_none() {
                out.push_str("  (the outcome did not vary over the design: no parameter moves it)\n");
            }
        }
        for w in r.warning.split("; ").filter(|w| !w.is_empty()) {
            let w =
                if w.starts_with("index above 1") { format!("{}: {w}", r.parameter) } else { w.to_string() };
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        let rank = r.rank.map_or("-".to_string(), |k| k.to_string());
        let effect = match (direction(r.spearman), r.spearman) {
            ("", _) | (_, None) => "-".to_string(),
            ("unclear", Some(rho)) => format!("unclear (rank corr. {rho:+.2})"),
            (d, Some(rho)) => format!("{d} it (rank corr. {rho:+.2})"),
        };
        let _ = match r.method {
            "morris" => writeln!(
                out,
                "  {rank:>4}  {:<48} {}  {:>27}  {effect}",
                r.parameter,
                fmt(r.mu_star),
                r.sigma.map_or("-".into(), |s| format!("{s:.3}"))
            ),
            _ => writeln!(
                out,
                "  {rank:>4}  {:<48} {}  {}  {effect}",
                r.parameter,
                fmt(r.total),
                fmt(r.first_order)
            ),
        };
    }
    flush(&mut out, &mut warnings);
    out.push('\n');
    out
}
