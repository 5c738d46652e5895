//! Calibrations: named parameters fitted to a reference history by ABC.
//!
//! A calibration fits one scenario to the history its `[calibration]` table
//! names, or, given several case files, fits one shared set of mechanism
//! parameters to the whole reference class they form (`crate::cases`:
//! each case keeps its own inputs, the distance is the mean of the cases'),
//! optionally leaving each case out in turn to predict it.
//!
//! A calibration proceeds in rounds of fixed size (see `crate::calibrate`).
//! After every complete round `calibration-state.json` in the output folder
//! holds the population, replaced atomically, so a stop (SIGINT, SIGTERM or
//! SIGKILL) loses at most the round in progress and `--resume` continues
//! from there. `--shard I/N` evaluates one slice of the next round (round 0,
//! or the round after the state in `--population DIR`); [`merge`] completes
//! the round from all slices, exactly as an unsharded run does.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use super::hindcast::{self, load_cases, score_cases, write_hindcast, write_hindcast_as};
use super::shard::{check_complete, read_shard, Shard, ShardDetails, ShardMark};
use super::{
    command_line, defaults, keep_if_interrupted, load_one, open_out, pick_dyad, Clock, Context, JobError,
    Opened, Progress, Report,
};
use crate::batch::{self, Pool};
use crate::calendar::Date;
use crate::calibrate::{Calibration, Method, Next, Objective, OneHistory, Outcome, Particle, Round, State};
use crate::cases::ReferenceClass;
use crate::compare::{Alignment, CompareSpec};
use crate::engine::{Recorder, Simulator};
use crate::model::prior::calibrated_priors;
use crate::model::{Field, Prior, World};
use crate::output::calibration::{
    summarise, write_best_fit, write_params_table, write_tables, ShardFile, StateFile, SHARD_FILE, STATE_FILE,
};
use crate::output::fingerprint;
use crate::output::folder::{safe_name, settle, staging_of, Folder, Replace};
use crate::output::manifest::{file_sha256, read_manifest, Manifest, ScenarioEntry};
use crate::output::seal::{read_sealed, write_sealed};
use crate::reference::ReferencePath;
use crate::scenario::{CalibrationConfig, Scenario};

/// The options that define a calibration: what `detente merge` needs to set it up again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationSpec {
    /// Scenario files: one, whose `[calibration]` table gives defaults for
    /// every option; or several case files, fitted jointly.
    pub scenarios: Vec<PathBuf>,
    /// With several case files: also fit on all cases but each one in turn
    /// and predict the one left out.
    #[serde(default)]
    pub leave_one_out: bool,
    /// Reference history (None: `[calibration].reference`, relative to the scenario).
    pub reference: Option<PathBuf>,
    /// Priors `KEY=LOW:HIGH` (replace the file's priors).
    pub priors: Vec<String>,
    /// `rejection` or `smc`.
    pub method: Option<String>,
    /// Replications per candidate (see [`defaults::experiment_replications`]).
    pub replications: Option<u64>,
    /// Accepted particles.
    pub particles: Option<u64>,
    /// SMC rounds after the first.
    pub rounds: Option<u64>,
    /// Proposals in each SMC round after the first (None: 2 x particles).
    pub proposals: Option<u64>,
    /// Budget of candidate evaluations.
    pub max_evaluations: Option<u64>,
    /// Tracked dyad compared, `a-b` in either order.
    pub dyad: Option<String>,
    /// `calendar` or `origin`.
    pub align: Option<String>,
    /// Reference date month 0 stands for, with origin alignment.
    pub origin: Option<String>,
    /// Variant calibrated.
    pub variant: String,
    /// Master seed (None: the file's `[run] seed`).
    pub seed: Option<u64>,
}

/// A calibration as `detente calibrate` asks for it.
#[derive(Debug, Clone)]
pub struct CalibrationRun {
    /// What is calibrated.
    pub spec: CalibrationSpec,
    /// Output folder (None: `results/calibration/<scenario>`, with `/shard-I` for a shard).
    pub out: Option<PathBuf>,
    /// Evaluate only this slice of the next round's proposals.
    pub shard: Option<Shard>,
    /// Start from the `calibration-state.json` in this folder.
    pub population: Option<PathBuf>,
    /// Continue from the last complete round in the output folder.
    pub resume: bool,
    /// Whether a finished calibration in the output folder may be replaced.
    pub replace: Replace,
}

/// A prior as the manifest records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PriorEntry {
    /// Key path.
    pub key: String,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// A round as the manifest records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundEntry {
    /// Round index.
    pub round: usize,
    /// Largest accepted distance, years.
    pub tolerance: f64,
    /// Candidates evaluated.
    pub evaluations: u64,
    /// Particles kept.
    pub accepted: usize,
    /// Kept over evaluated.
    pub acceptance_rate: f64,
}

/// What the manifest of a calibration records besides the common fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CalibrationDetails {
    /// The calibration, for `detente merge`.
    pub spec: CalibrationSpec,
    /// Identifies it: version, files and every resolved option.
    pub fingerprint: String,
    /// Reference histories, one per case.
    pub references: Vec<String>,
    /// Their SHA-256.
    pub reference_sha256: Vec<String>,
    /// `rejection` or `smc`.
    pub method: String,
    /// Accepted particles.
    pub particles: usize,
    /// Proposals per later round.
    pub proposals: u64,
    /// Budget of candidate evaluations.
    pub max_evaluations: u64,
    /// How a candidate's distance is computed.
    pub distance: String,
    /// Months added for a stage never reached.
    pub censor_penalty_months: f64,
    /// The priors.
    pub priors: Vec<PriorEntry>,
    /// Whether it continued from a saved state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<bool>,
    /// Whether it stopped before the end.
    #[serde(default)]
    pub interrupted: bool,
    /// The slice a shard folder holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The round a shard evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round: Option<usize>,
    /// The shard's proposals, `[first, end)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal_range: Option<[u64; 2]>,
    /// Proposals of the whole round the shard belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_proposals: Option<u64>,
    /// Shard folders merged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shards: Option<Vec<String>>,
    /// Rounds completed so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_rounds: Option<usize>,
    /// The round to run next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_round: Option<usize>,
    /// Candidates evaluated so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluations: Option<u64>,
    /// The rounds so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounds: Option<Vec<RoundEntry>>,
    /// Whether every planned round ran within the budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converged: Option<bool>,
    /// Stages scored (one history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<u8>>,
    /// The values `best_fit.toml` sets, in prior order, once finished: the
    /// posterior medians for one history, the refined particle for a class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fitted: Option<Vec<f64>>,
}

impl ShardDetails for CalibrationDetails {
    fn shard(&self) -> Option<Shard> {
        self.shard
    }
    fn interrupted(&self) -> bool {
        self.interrupted
    }
}

/// The calibration's identity, hashed: tool version, scenario and
/// reference SHA-256 and every resolved option that changes results (not
/// threads, folders or the shard).
#[derive(Serialize)]
struct Identity<'a> {
    version: &'static str,
    scenarios: Vec<(&'a str, &'a str)>,
    variant: &'a str,
    reference_sha256: Vec<String>,
    priors: Vec<(&'a str, f64, f64)>,
    alignment: String,
    method: String,
    dyad: usize,
    censor_penalty_months: f64,
    replications: u64,
    particles: usize,
    rounds: usize,
    proposals: u64,
    max_evaluations: u64,
    seed: u64,
}

/// The part of an [`Identity`] that depends on what is fitted.
struct FitIdentity<'a> {
    scenarios: Vec<(&'a str, &'a str)>,
    reference_sha256: Vec<String>,
    alignment: String,
    dyad: usize,
    censor_penalty_months: f64,
}

impl FitIdentity<'_> {
    /// The fingerprint of the calibration of this fit with the resolved options.
    fn fingerprint(
        self,
        spec: &CalibrationSpec,
        priors: &[Prior],
        sampler: &Sampler,
        (replications, seed): (u64, u64),
    ) -> String {
        fingerprint(&Identity {
            version: env!("CARGO_PKG_VERSION"),
            scenarios: self.scenarios,
            variant: &spec.variant,
            reference_sha256: self.reference_sha256,
            priors: priors.iter().map(|p| (p.key.as_str(), p.low, p.high)).collect(),
            alignment: self.alignment,
            method: format!("{:?}", sampler.method),
            dyad: self.dyad,
            censor_penalty_months: self.censor_penalty_months,
            replications,
            particles: sampler.particles,
            rounds: sampler.rounds,
            proposals: sampler.proposals,
            max_evaluations: sampler.max_evaluations,
            seed,
        })
    }
}

/// What is fitted: one scenario to its history, or a reference class.
enum Fit {
    /// One history, the scenario it comes from, and the reference file.
    One(Box<OneHistory>, Box<Scenario>, PathBuf),
    /// A reference class, and its case files.
    Class(ReferenceClass),
}

/// A calibration with every option resolved against its scenario files.
struct Prepared {
    spec: CalibrationSpec,
    fit: Fit,
    priors: Vec<Prior>,
    sampler: Sampler,
    replications: u64,
    seed: u64,
    fingerprint: String,
}

/// Loads a reference history for a ladder of `ladder_len` rungs.
pub fn load_reference(path: &Path, ladder_len: usize) -> Result<ReferencePath, JobError> {
    ReferencePath::load(path, ladder_len).map_err(|e| JobError::Invalid(e.to_string()))
}

/// The options of the sampler, resolved: command line, then the file's table, then the defaults.
struct Sampler {
    method: Method,
    particles: usize,
    rounds: usize,
    proposals: u64,
    max_evaluations: u64,
}

impl Sampler {
    fn new(spec: &CalibrationSpec, file: &CalibrationConfig, what: &str) -> Result<Sampler, JobError> {
        let method = match spec.method.as_deref().or(file.method.as_deref()).unwrap_or("smc") {
            "rejection" => Method::Rejection,
            "smc" => Method::Smc,
            other => bail!("--method: expected rejection or smc, got {other:?}"),
        };
        let particles = spec.particles.or(file.particles).unwrap_or(defaults::PARTICLES);
        let rounds = spec.rounds.or(file.rounds).unwrap_or(defaults::ROUNDS);
        defaults::check_count("--particles", particles)?;
        defaults::check_count("--rounds", rounds.saturating_add(1))?;
        let (particles, rounds) = (particles as usize, rounds as usize);
        let proposals = spec.proposals.or(file.proposals).unwrap_or(2 * particles as u64);
        defaults::check_count("--proposals", proposals)?;
        let default_budget = match method {
            Method::Rejection => 10 * particles as u64,
            Method::Smc => 2 * particles as u64 + rounds as u64 * proposals,
        };
        let max_evaluations = spec.max_evaluations.or(file.max_evaluations).unwrap_or(default_budget);
        if particles < 2 || max_evaluations < particles as u64 {
            bail!("need at least 2 particles and a budget of at least one evaluation per particle");
        }
        if proposals < particles as u64 {
            bail!(
                "{what}: proposals ({proposals}, from --proposals or [calibration].proposals) must be at least \
                 particles ({particles}): a round keeps the particles closest of its proposals"
            );
        }
        Ok(Sampler { method, particles, rounds, proposals, max_evaluations })
    }
}

impl Prepared {
    fn new(spec: &CalibrationSpec) -> Result<Prepared, JobError> {
        match spec.scenarios.as_slice() {
            [] => bail!("no scenario file to calibrate"),
            [one] if !spec.leave_one_out => Prepared::one(spec, one),
            _ => Prepared::class(spec),
        }
    }

    /// One scenario fitted to one history.
    fn one(spec: &CalibrationSpec, path: &Path) -> Result<Prepared, JobError> {
        let scenario = load_one(path)?;
        let file = scenario.calibration.clone().unwrap_or_default();
        let Some(variant) = scenario.variant(&spec.variant) else {
            bail!("{}: no variant `{}`", path.display(), spec.variant)
        };
        let setup = variant.setup.clone();
        let world = &setup.world;
        // --prior, else the file's [calibration.priors], else the parameters the model calibrates.
        let priors: Vec<Prior> = match (spec.priors.is_empty(), file.priors.is_empty()) {
            (false, _) => parse_priors(spec, world)?,
            (true, false) => file.priors.clone(),
            (true, true) => calibrated_priors(world),
        };
        let reference_path = match (&spec.reference, &file.reference) {
            (Some(r), _) => r.clone(),
            (None, Some(r)) => path.parent().unwrap_or(Path::new(".")).join(r),
            (None, None) => bail!("no reference: give --reference FILE or [calibration].reference"),
        };
        let reference = load_reference(&reference_path, world.ladder.len())?;
        let alignment = alignment(spec, &file, &reference)?;
        let sampler = Sampler::new(spec, &file, &path.display().to_string())?;
        let dyad = pick_dyad(&scenario, spec.dyad.as_deref().or(file.dyad.as_deref()))?;
        let censor = file.censor_penalty_months.unwrap_or(defaults::CENSOR_PENALTY_MONTHS);
        let replications = defaults::experiment_replications(
            spec.replications,
            file.replications,
            &scenario,
            defaults::CALIBRATION_REPLICATIONS,
        );
        defaults::check_count("--replications", replications)?;
        let seed = defaults::seed(spec.seed, &scenario);
        let identity = FitIdentity {
            scenarios: vec![(&scenario.name, &scenario.sha256)],
            reference_sha256: vec![file_sha256(&reference_path)],
            alignment: format!("{alignment:?}"),
            dyad,
            censor_penalty_months: censor,
        };
        let fingerprint = identity.fingerprint(spec, &priors, &sampler, (replications, seed));
        let objective = OneHistory {
            setup,
            scenario: scenario.name.clone(),
            dyad,
            reference,
            alignment,
            censor_penalty_months: censor,
            replications,
            seed,
        };
        Ok(Prepared::assemble(
            spec,
            Fit::One(Box::new(objective), Box::new(scenario), reference_path),
            priors,
            sampler,
            (replications, seed),
            fingerprint,
        ))
    }

    /// One set of mechanism parameters fitted to a reference class.
    fn class(spec: &CalibrationSpec) -> Result<Prepared, JobError> {
        let what = "a joint calibration takes each case's reference, dyad and alignment from its \
                    [calibration] table and runs its baseline";
        if spec.reference.is_some() || spec.dyad.is_some() || spec.align.is_some() || spec.origin.is_some() {
            bail!("{what}: --reference, --dyad, --align and --origin are for one scenario");
        }
        if spec.variant != "baseline" {
            bail!("{what}: --variant is for one scenario");
        }
        let cases = load_cases(&spec.scenarios)?;
        let world = &cases[0].scenario.base.world;
        let priors =
            if spec.priors.is_empty() { calibrated_priors(world) } else { parse_priors(spec, world)? };
        for p in &priors {
            if !matches!(p.field, Field::Param(_)) {
                bail!("--prior {}: a joint calibration fits mechanism parameters (params.*) only", p.key);
            }
        }
        let sampler = Sampler::new(spec, &CalibrationConfig::default(), "the reference class")?;
        let replications = spec.replications.unwrap_or(defaults::CLASS_REPLICATIONS);
        defaults::check_count("--replications", replications)?;
        let seed = spec.seed.unwrap_or(defaults::CLASS_SEED);
        let identity = FitIdentity {
            scenarios: cases.iter().map(|c| (c.scenario.name.as_str(), c.scenario.sha256.as_str())).collect(),
            reference_sha256: cases.iter().map(|c| file_sha256(&c.reference_path)).collect(),
            alignment: "calendar".into(),
            dyad: 0,
            censor_penalty_months: crate::cases::CENSOR_PENALTY_MONTHS,
        };
        let fingerprint = identity.fingerprint(spec, &priors, &sampler, (replications, seed));
        let class = ReferenceClass { cases, replications, seed };
        Ok(Prepared::assemble(spec, Fit::Class(class), priors, sampler, (replications, seed), fingerprint))
    }

    fn assemble(
        spec: &CalibrationSpec,
        fit: Fit,
        priors: Vec<Prior>,
        sampler: Sampler,
        (replications, seed): (u64, u64),
        fingerprint: String,
    ) -> Prepared {
        Prepared { spec: spec.clone(), fit, priors, sampler, replications, seed, fingerprint }
    }

    fn objective(&self) -> &dyn Objective {
        match &self.fit {
            Fit::One(o, _, _) => o.as_ref(),
            Fit::Class(c) => c,
        }
    }

    /// The name results are filed under: the scenario's, or `reference_class`.
    fn name(&self) -> &str {
        match &self.fit {
            Fit::One(_, s, _) => &s.name,
            Fit::Class(_) => "reference_class",
        }
    }

    fn calibration<'a>(&'a self, pool: &'a Pool) -> Calibration<'a> {
        Calibration {
            objective: self.objective(),
            priors: &self.priors,
            method: self.sampler.method,
            particles: self.sampler.particles,
            rounds: self.sampler.rounds,
            proposals: self.sampler.proposals,
            max_evaluations: self.sampler.max_evaluations,
            seed: self.seed,
            pool,
        }
    }

    /// The reference files, one per case.
    fn references(&self) -> Vec<PathBuf> {
        match &self.fit {
            Fit::One(_, _, r) => vec![r.clone()],
            Fit::Class(c) => c.cases.iter().map(|c| c.reference_path.clone()).collect(),
        }
    }

    /// The calibration's options as every manifest of it records them.
    fn details(&self) -> CalibrationDetails {
        let references = self.references();
        let (distance, censor) = match &self.fit {
            Fit::One(o, _, _) => (
                "root mean square over scored stages of the median timing error, years".to_string(),
                o.censor_penalty_months,
            ),
            Fit::Class(_) => (
                "mean over the cases of the case distance (docs/VALIDATION.md): CRPS of first-reach times, \
                 missed falls and spurious falls, years"
                    .to_string(),
                crate::cases::CENSOR_PENALTY_MONTHS,
            ),
        };
        CalibrationDetails {
            spec: self.spec.clone(),
            fingerprint: self.fingerprint.clone(),
            references: references.iter().map(|r| r.display().to_string()).collect(),
            reference_sha256: references.iter().map(|r| file_sha256(r)).collect(),
            method: format!("{:?}", self.sampler.method).to_lowercase(),
            particles: self.sampler.particles,
            proposals: self.sampler.proposals,
            max_evaluations: self.sampler.max_evaluations,
            distance,
            censor_penalty_months: censor,
            priors: self
                .priors
                .iter()
                .map(|p| PriorEntry { key: p.key.clone(), low: p.low, high: p.high })
                .collect(),
            resumed: None,
            interrupted: false,
            shard: None,
            round: None,
            proposal_range: None,
            round_proposals: None,
            shards: None,
            completed_rounds: None,
            next_round: None,
            evaluations: None,
            rounds: None,
            converged: None,
            stages: None,
            fitted: None,
        }
    }

    fn manifest(
        &self,
        command: &str,
        threads: usize,
        clock: &Clock,
        evaluations: u64,
        files: &[PathBuf],
        details: CalibrationDetails,
    ) -> Manifest<CalibrationDetails> {
        let entry = |s: &Scenario| ScenarioEntry {
            path: s.path.display().to_string(),
            name: s.name.clone(),
            sha256: s.sha256.clone(),
            seed: self.seed,
            variants: vec![self.spec.variant.clone()],
            replications: self.replications,
            about: None,
        };
        let (scenarios, per_candidate) = match &self.fit {
            Fit::One(_, s, _) => (vec![entry(s)], self.replications),
            Fit::Class(c) => (
                c.cases.iter().map(|c| entry(&c.scenario)).collect(),
                self.replications * c.cases.len() as u64,
            ),
        };
        Manifest::new(
            command,
            command_line(),
            scenarios,
            threads,
            clock.timing(),
            evaluations * per_candidate,
            files,
            details,
        )
    }

    /// The state in `dir`, which must belong to this calibration.
    fn read_state(&self, dir: &Path, what: &str) -> Result<State, JobError> {
        let path = dir.join(STATE_FILE);
        let file: StateFile = read_sealed(&path).map_err(|e| match e {
            e if e.is_missing() => JobError::Invalid(format!("{what}: no {STATE_FILE}")),
            e => JobError::Invalid(format!("{what}: {e}; nothing was changed")),
        })?;
        if file.fingerprint != self.fingerprint {
            bail!(
                "{}: the state belongs to a different calibration (scenario, reference or options differ); \
                 give the same options it was started with",
                path.display()
            );
        }
        Ok(file.state)
    }

    /// Records `state` in `dir` and removes the final files an earlier run
    /// left there: a folder holds either an unfinished calibration or a
    /// finished one, never both.
    fn write_state(&self, dir: &Path, state: &State) -> Result<PathBuf, JobError> {
        for name in FINAL_FILES {
            let path = dir.join(name);
            if path.exists() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove stale {}", path.display()))?;
            }
        }
        let path = dir.join(STATE_FILE);
        let file = StateFile { fingerprint: self.fingerprint.clone(), state: state.clone() };
        write_sealed(&path, &file)
            .with_context(|| format!("cannot write the calibration state to {}", dir.display()))?;
        Ok(path)
    }
}

/// The files of a finished calibration.
const FINAL_FILES: [&str; 4] = ["posterior.csv", "calibration_summary.csv", "best_fit.toml", "hindcast.csv"];

/// Round diagnostics as the manifest shows them.
fn round_entries(rounds: &[Round]) -> Vec<RoundEntry> {
    rounds
        .iter()
        .map(|r| RoundEntry {
            round: r.round,
            tolerance: r.tolerance,
            evaluations: r.evaluations,
            accepted: r.accepted,
            acceptance_rate: r.acceptance_rate(),
        })
        .collect()
}

/// Runs a calibration, or one shard of a round. The report says when the
/// budget ran out before convergence.
pub fn run(
    run: &CalibrationRun,
    pool: &Pool,
    stop: &AtomicBool,
    progress: &dyn Progress,
) -> Result<Report, JobError> {
    if run.resume && (run.shard.is_some() || run.population.is_some()) {
        bail!(
            "--resume continues the calibration in its own folder; it takes neither --shard nor --population"
        );
    }
    let prep = Prepared::new(&run.spec)?;
    let base = Path::new("results/calibration").join(safe_name(prep.name()));
    let target = run.out.clone().unwrap_or_else(|| super::default_out(base, run.shard));
    // The population is read before the output folder is opened: it may be
    // the folder's own earlier round.
    let population = match &run.population {
        Some(dir) => {
            let _locks = settle(dir, "detente calibrate (reading this population)")?;
            let what = format!(
                "--population {}: not a merged round or an unfinished calibration (a finished one keeps no state)",
                dir.display()
            );
            let here = prep.read_state(dir, &what);
            match (here, staging_of(dir)) {
                (Ok(state), _) => Some(state),
                (Err(_), Some(staging)) if staging.join(STATE_FILE).exists() => {
                    Some(prep.read_state(&staging, &what)?)
                }
                (Err(e), _) => return Err(e),
            }
        }
        None => None,
    };
    let (folder, resume) = match open_out(&target, run.resume, &run.replace)? {
        Opened::Work(f) => (f, run.resume),
        Opened::Fresh(f) => (f, false),
        Opened::Done(report) => return Ok(report),
    };
    let out = folder.dir().to_path_buf();
    if run.spec.leave_one_out {
        if run.shard.is_some() || run.population.is_some() {
            bail!("--leave-one-out runs its fits in sub-folders of --out; it takes neither --shard nor --population");
        }
        let result = leave_one_out(run, &prep, &folder, pool, stop, progress);
        return commit_or_keep(folder, result);
    }
    let calibration = prep.calibration(pool);
    let state = match (population, resume) {
        (Some(state), _) => state,
        (None, true) => prep.read_state(&out, &format!("cannot resume {}", target.display()))?,
        (None, false) => State::default(),
    };
    let clock = Clock::start();
    if let Some(shard) = run.shard {
        // An interrupted shard keeps nothing: it runs again from the start.
        let report = run_shard(&prep, &calibration, shard, state, &out, &target, &clock, stop, progress)?;
        return commit_or_keep(folder, Ok(report));
    }
    // Written before the first round too, so a folder killed at any moment can be resumed.
    let state_path = prep.write_state(&out, &state)?;
    progress.start(calibration.planned_evaluations(), "candidates", state.evaluations);
    let result = calibration.run(
        state,
        stop,
        |done, round| progress.set(done, &format!("round {round}")),
        |s| prep.write_state(&out, s).map(|_| ()),
    );
    progress.finish();
    let (state, outcome) = match result {
        Ok(r) => r,
        Err(e) => return keep_if_interrupted(folder, e),
    };
    let resumed = Some(resume);
    let result = match outcome {
        Outcome::Finished { converged } => finish(
            &prep,
            &state,
            converged,
            (&out, &target),
            "calibrate",
            (pool.threads(), &clock),
            CalibrationDetails { resumed, ..prep.details() },
        ),
        Outcome::Interrupted => {
            let details = CalibrationDetails {
                interrupted: true,
                resumed,
                completed_rounds: Some(state.rounds.len()),
                next_round: Some(state.rounds.len()),
                evaluations: Some(state.evaluations),
                rounds: Some(round_entries(&state.rounds)),
                ..prep.details()
            };
            prep.manifest("calibrate", pool.threads(), &clock, state.evaluations, &[state_path], details)
                .write(&out)?;
            Err(JobError::Interrupted(format!(
                "calibration interrupted after {} complete round(s), {} evaluations; {} holds them. \
                 Continue with the same command and --resume",
                state.rounds.len(),
                state.evaluations,
                out.join(STATE_FILE).display()
            )))
        }
    };
    commit_or_keep(folder, result)
}

/// Commits the folder of a finished job, or keeps it for `--resume` after an
/// interruption (see [`keep_if_interrupted`]).
fn commit_or_keep(folder: Folder, result: Result<Report, JobError>) -> Result<Report, JobError> {
    match result {
        Ok(mut report) => {
            report.notes.extend(folder.commit()?);
            Ok(report)
        }
        Err(e) => keep_if_interrupted(folder, e),
    }
}

/// Evaluates one slice of the round after `base` into `out`.
#[allow(clippy::too_many_arguments)]
fn run_shard(
    prep: &Prepared,
    calibration: &Calibration<'_>,
    shard: Shard,
    base: State,
    out: &Path,
    target: &Path,
    clock: &Clock,
    stop: &AtomicBool,
    progress: &dyn Progress,
) -> Result<Report, JobError> {
    let Next::Round { round, proposals: count } = calibration.next(&base) else {
        bail!("the calibration in --population is complete; there is no round left to shard")
    };
    let (first, end) = shard.range(count);
    let proposals = calibration.proposals(&base, round, (first, end));
    progress.start(end - first, "candidates", 0);
    let evaluated = calibration.evaluate(&proposals, stop, |n| progress.advance(n));
    progress.finish();
    let threads = calibration.pool.threads();
    let details = CalibrationDetails {
        shard: Some(shard),
        round: Some(round),
        proposal_range: Some([first, end]),
        round_proposals: Some(count),
        ..prep.details()
    };
    let Some(distances) = evaluated else {
        return Err(JobError::Interrupted(format!(
            "shard {}/{} of round {round} interrupted; no partial file was left. Run it again to finish it",
            shard.index, shard.count
        )));
    };
    let path = out.join(SHARD_FILE);
    let file = ShardFile { fingerprint: prep.fingerprint.clone(), round, first, base, distances };
    write_sealed(&path, &file).with_context(|| format!("cannot write the shard to {}", target.display()))?;
    prep.manifest("calibrate", threads, clock, end - first, &[path], details).write(out)?;
    let text = format!(
        "round {round}, shard {}/{}: proposals {first}..{end} of {count} evaluated in {:.1} s into {}; \
         merge all {} shards with `detente merge`\n",
        shard.index,
        shard.count,
        clock.elapsed(),
        target.display(),
        shard.count
    );
    Ok(Report { text, ..Report::default() })
}

/// One shard folder of a calibration round as `detente merge` reads it.
struct ShardDir {
    path: PathBuf,
    shard: Shard,
    /// The calibration's fingerprint, the round and the state it started
    /// from: shards of one round share all three.
    mark: String,
    spec: CalibrationSpec,
    command_line: Vec<String>,
    file: ShardFile,
}

fn read_calibration_shard(path: &Path) -> Result<ShardDir, JobError> {
    let (manifest, shard) = read_shard::<CalibrationDetails>(path)?;
    let file: ShardFile = read_sealed(&path.join(SHARD_FILE))
        .map_err(|e| JobError::Invalid(format!("{}: {e}; nothing was merged", path.display())))?;
    let mark = format!("{}/round-{}/{}", file.fingerprint, file.round, fingerprint(&file.base));
    Ok(ShardDir {
        path: path.to_path_buf(),
        shard,
        mark,
        spec: manifest.details.spec,
        command_line: manifest.command_line,
        file,
    })
}

/// Completes a calibration round from its shard folders into `out`, and
/// finishes the calibration if it was the last round.
pub fn merge(shard_paths: &[PathBuf], out: &Path, replace: &Replace) -> Result<Report, JobError> {
    let clock = Clock::start();
    let _locks = super::batch::lock_shards(shard_paths)?;
    let mut shards = shard_paths.iter().map(|p| read_calibration_shard(p)).collect::<Result<Vec<_>, _>>()?;
    let marks: Vec<ShardMark<'_>> =
        shards.iter().map(|s| ShardMark { path: &s.path, shard: s.shard, fingerprint: &s.mark }).collect();
    check_complete(&marks)?;
    shards.sort_by_key(|s| s.shard.index);
    let prep = Prepared::new(&shards[0].spec)?;
    let first = &shards[0].file;
    if prep.fingerprint != first.fingerprint {
        bail!(
            "the scenario or reference file changed since the shards ran (their SHA-256 differ from the \
             shards' manifests)"
        );
    }
    // Completing a round evaluates nothing: one worker is all it needs.
    let pool = Pool::new(1)?;
    let calibration = prep.calibration(&pool);
    let (round, base) = (first.round, first.base.clone());
    let count = match calibration.next(&base) {
        Next::Round { round: r, proposals } if r == round => proposals,
        _ => bail!("{}: round {round} does not follow the state it records", shards[0].path.display()),
    };
    let mut distances = Vec::with_capacity(count as usize);
    for s in &shards {
        let (lo, hi) = s.shard.range(count);
        if s.file.first != lo || s.file.distances.len() as u64 != hi - lo {
            bail!("{}: holds proposals other than its slice {lo}..{hi} of the round", s.path.display());
        }
        distances.extend_from_slice(&s.file.distances);
    }
    let proposals = calibration.proposals(&base, round, (0, count));
    let state = calibration.complete_round(&base, round, &proposals, &distances);
    let shard_names: Vec<String> = shards.iter().map(|s| s.path.display().to_string()).collect();
    let folder = match open_out(out, false, replace)? {
        Opened::Work(f) | Opened::Fresh(f) => f,
        Opened::Done(report) => return Ok(report),
    };
    let dir = folder.dir().to_path_buf();
    let result = match calibration.next(&state) {
        Next::Done { converged } => finish(
            &prep,
            &state,
            converged,
            (&dir, out),
            "merge",
            (0, &clock),
            CalibrationDetails { shards: Some(shard_names), ..prep.details() },
        ),
        Next::Round { round: next, .. } => {
            let path = prep.write_state(&dir, &state)?;
            let details = CalibrationDetails {
                shards: Some(shard_names),
                completed_rounds: Some(state.rounds.len()),
                next_round: Some(next),
                evaluations: Some(state.evaluations),
                rounds: Some(round_entries(&state.rounds)),
                ..prep.details()
            };
            prep.manifest("merge", 0, &clock, count, &[path], details).write(&dir)?;
            let text = format!(
                "round {round} merged from {} shards into {} (tolerance {:.2} years).\nnext: run round {next} \
                 as shards, then merge them:\n  {}\n",
                shards.len(),
                out.display(),
                state.rounds.last().map_or(f64::NAN, |r| r.tolerance),
                next_command(&shards[0].command_line, out)
            );
            Ok(Report { text, ..Report::default() })
        }
    };
    commit_or_keep(folder, result)
}

/// A shard's command line for the next round: `--population` names the
/// merged folder; `--shard` and `--out` are left for the user to fill in.
fn next_command(command_line: &[String], population: &Path) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut skip_value = false;
    for word in command_line {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let name = word.split('=').next().unwrap_or_default();
        if matches!(name, "--population" | "--shard" | "--out" | "-o") {
            skip_value = !word.contains('=');
            continue;
        }
        words.push(word.clone());
    }
    words.extend(["--population".into(), population.display().to_string()]);
    words.extend(["--shard", "I/N", "--out", "SHARD_DIR"].map(String::from));
    words.join(" ")
}

/// Writes the final files of a calibration into `out` (posterior.csv,
/// calibration_summary.csv, best_fit.toml, and for a reference class
/// hindcast.csv of every case at the fitted values; manifest.json),
/// removes the state file and reports the posterior. Shared by `calibrate`
/// and `merge`, so both write the same bytes.
fn finish(
    prep: &Prepared,
    state: &State,
    converged: bool,
    (out, target): (&Path, &Path),
    command: &str,
    (threads, clock): (usize, &Clock),
    details: CalibrationDetails,
) -> Result<Report, JobError> {
    let summary = summarise(&prep.priors, &state.population);
    let mut files = write_tables(out, &prep.priors, &state.population, &summary)?;
    let best = out.join("best_fit.toml");
    let mut fitted: Vec<f64> = summary.iter().map(|s| s.quantiles[1]).collect();
    let mut hindcast_text = String::new();
    let stages = match &prep.fit {
        Fit::One(o, scenario, _) => {
            let text = crate::input::read_to_string(&scenario.path, crate::input::SCENARIO_CAP)
                .with_context(|| format!("cannot read {}", scenario.path.display()))?;
            let text = crate::scenario::edit::without_variant(&text, "calibrated")
                .map_err(|e| JobError::Invalid(format!("{}: {e}", scenario.path.display())))?;
            let note = format!(
                "Calibrated on {} ({} alignment), {} evaluations of {} replications, seed {}.",
                prep.references()[0].display(),
                if matches!(o.alignment, Alignment::Calendar) { "calendar" } else { "origin" },
                state.evaluations,
                prep.replications,
                prep.seed
            );
            write_best_fit(&best, &text, &summary, &note)?;
            Some(CompareSpec::new(&o.reference, o.alignment, o.censor_penalty_months).stages)
        }
        Fit::Class(class) => {
            let pool = Pool::new(threads.max(1))?;
            let (chosen, refined) = refine(class, &prep.priors, &state.population, &pool);
            fitted = state.population[chosen].values.clone();
            let note = format!(
                "Joint calibration on {} cases ({}), {} evaluations of {} runs per case, seed {}.\n\
                 The particle closest to history when the {} closest are run again with {} runs per case \
                 on other seeds (distance {:.3} years).\n\
                 Paste the tables into a scenario, or read them as the fitted defaults.",
                class.cases.len(),
                class.cases.iter().map(|c| c.name()).collect::<Vec<_>>().join(", "),
                state.evaluations,
                prep.replications,
                prep.seed,
                refined.len(),
                REFINE_FACTOR * prep.replications,
                refined.iter().copied().fold(f64::INFINITY, f64::min),
            );
            let keys: Vec<String> = prep.priors.iter().map(|p| p.key.clone()).collect();
            write_params_table(&best, &keys, &fitted, &note)?;
            // How the fit does on each case, with fresh runs (each case's own seed).
            let overrides: Vec<(Field, f64)> =
                prep.priors.iter().zip(&fitted).map(|(p, v)| (p.field, *v)).collect();
            let scored = score_cases(&class.cases, &overrides, hindcast::REPLICATIONS, None, &pool);
            files.push(write_hindcast(out, &scored, hindcast::REPLICATIONS)?);
            hindcast_text = hindcast::summarise(&scored).0;
            None
        }
    };
    files.push(best);
    // The state file stays until the folder is committed (which leaves out
    // what the manifest does not list), so a kill in between can resume.
    let details = CalibrationDetails {
        rounds: Some(round_entries(&state.rounds)),
        evaluations: Some(state.evaluations),
        converged: Some(converged),
        stages,
        fitted: Some(fitted),
        ..details
    };
    prep.manifest(command, threads, clock, state.evaluations, &files, details).write(out)?;
    let mut report = Report::default();
    let t = &mut report.text;
    let _ = writeln!(t, "{:<44} {:>10} {:>10} {:>10} {:>10}", "parameter", "prior", "p05", "median", "p95");
    for (p, s) in prep.priors.iter().zip(&summary) {
        let _ = writeln!(
            t,
            "{:<44} {:>10} {:>10.4} {:>10.4} {:>10.4}",
            p.key,
            format!("{}-{}", p.low, p.high),
            s.quantiles[0],
            s.quantiles[1],
            s.quantiles[2]
        );
    }
    for r in &state.rounds {
        let _ = writeln!(
            t,
            "round {}: tolerance {:.2} years, {} evaluations, acceptance {:.0}%",
            r.round,
            r.tolerance,
            r.evaluations,
            r.acceptance_rate() * 100.0
        );
    }
    t.push_str(&hindcast_text);
    let _ = writeln!(t, "calibration complete; results in {} ({:.1} s)", target.display(), clock.elapsed());
    if !converged {
        report.notes.push("warning: the evaluation budget ran out before the last round".into());
        report.budget_exhausted = true;
    }
    Ok(report)
}

/// How many of the closest particles a joint calibration runs again.
const REFINE_TOP: usize = 10;
/// How many times the candidate's runs per case they are run with.
const REFINE_FACTOR: u64 = 4;

/// The particle a joint calibration ships: the closest to history when the
/// [`REFINE_TOP`] closest are run again with [`REFINE_FACTOR`] times the
/// runs per case on other seeds. A particle's distance in its round is one
/// noisy draw, and the closest of many noisy draws is closest partly by
/// luck; running the finalists again with fresh seeds picks the one that is
/// close for a reason. Returns its index and the finalists' new distances.
fn refine(
    class: &ReferenceClass,
    priors: &[Prior],
    population: &[Particle],
    pool: &Pool,
) -> (usize, Vec<f64>) {
    let mut order: Vec<usize> = (0..population.len()).collect();
    order.sort_by(|&a, &b| population[a].distance.total_cmp(&population[b].distance).then(a.cmp(&b)));
    order.truncate(REFINE_TOP);
    let again = ReferenceClass {
        cases: class.cases.clone(),
        replications: class.replications * REFINE_FACTOR,
        seed: crate::engine::rng::mix(class.seed ^ 0x7265_6669_6e65),
    };
    let distances = batch::par_map(
        pool,
        &order,
        || (Simulator::new(), Recorder::new(true, false)),
        |(sim, rec), &k| {
            let overrides: Vec<(Field, f64)> =
                priors.iter().zip(&population[k].values).map(|(p, v)| (p.field, *v)).collect();
            again.distance(&overrides, sim, rec)
        },
    );
    let best =
        (0..order.len()).min_by(|&a, &b| distances[a].total_cmp(&distances[b]).then(a.cmp(&b))).unwrap_or(0);
    (order[best], distances)
}

/// Fits on all cases but each one in turn (each fit in its own sub-folder
/// `leave-one-out/<case>`, resumable there) and holds the case left out
/// against its history at that fit's values:
/// `leave-one-out.csv` has the rows of every left-out case.
fn leave_one_out(
    run: &CalibrationRun,
    prep: &Prepared,
    folder: &Folder,
    pool: &Pool,
    stop: &AtomicBool,
    progress: &dyn Progress,
) -> Result<Report, JobError> {
    let Fit::Class(class) = &prep.fit else { bail!("--leave-one-out needs several case files") };
    if class.cases.len() < 2 {
        bail!("--leave-one-out needs at least two case files");
    }
    // A fold leaves out one file: a file of several histories would leave
    // out all of them at once.
    if let Some(case) = class.cases.iter().find(|c| c.name != c.scenario.name) {
        bail!(
            "--leave-one-out leaves out one case file at a time; {} holds several histories",
            case.file.display()
        );
    }
    let clock = Clock::start();
    let out = folder.dir();
    // Unfinished until the last fit is in: `--resume` continues the fits.
    let unfinished = CalibrationDetails { interrupted: true, ..prep.details() };
    prep.manifest("calibrate", pool.threads(), &clock, 0, &[], unfinished).write(out)?;
    let mut scored = Vec::new();
    let mut text = String::new();
    for (k, case) in class.cases.iter().enumerate() {
        let mut spec = run.spec.clone();
        spec.leave_one_out = false;
        spec.scenarios.remove(k);
        let sub = out.join("leave-one-out").join(case.name());
        let finished = read_manifest::<CalibrationDetails>(&sub)
            .ok()
            .filter(|m| !m.details.interrupted && m.details.spec == spec)
            .and_then(|m| m.details.fitted);
        let fitted = match finished {
            Some(m) => m,
            None => {
                let resume = staging_of(&sub).is_some_and(|s| s.join(STATE_FILE).exists());
                let one = CalibrationRun {
                    spec,
                    out: Some(sub.clone()),
                    shard: None,
                    population: None,
                    resume,
                    replace: Replace::Yes,
                };
                self::run(&one, pool, stop, progress)?;
                read_manifest::<CalibrationDetails>(&sub)?.details.fitted.ok_or_else(|| {
                    JobError::Invalid(format!("{}: the fit recorded no fitted values", sub.display()))
                })?
            }
        };
        let overrides: Vec<(Field, f64)> =
            prep.priors.iter().zip(&fitted).map(|(p, v)| (p.field, *v)).collect();
        let left_out =
            score_cases(std::slice::from_ref(case), &overrides, hindcast::REPLICATIONS, None, pool);
        let _ = writeln!(text, "left out: {}", case.name());
        scored.extend(left_out);
    }
    let path = write_hindcast_as(out, "leave-one-out.csv", &scored, hindcast::REPLICATIONS)?;
    let (table, _) = hindcast::summarise(&scored);
    text.push_str(&table);
    let files = [path.clone(), out.join("leave-one-out")];
    prep.manifest("calibrate", pool.threads(), &clock, 0, &files, prep.details()).write(out)?;
    let _ = writeln!(
        text,
        "leave-one-out predictions in {} ({:.1} s)",
        folder.shown(&path).display(),
        clock.elapsed()
    );
    Ok(Report { text, ..Report::default() })
}

/// The `--prior` options, resolved against `world`.
fn parse_priors(spec: &CalibrationSpec, world: &World) -> Result<Vec<Prior>, JobError> {
    spec.priors
        .iter()
        .map(|p| Prior::parse(world, p).map_err(|e| JobError::Invalid(format!("--prior {p}: {e}"))))
        .collect()
}

fn alignment(
    spec: &CalibrationSpec,
    file: &CalibrationConfig,
    reference: &ReferencePath,
) -> Result<Alignment, JobError> {
    match spec.align.as_deref().or(file.align.as_deref()).unwrap_or("calendar") {
        "calendar" => Ok(Alignment::Calendar),
        "origin" => {
            let origin = match spec.origin.as_deref().or(file.origin.as_deref()) {
                Some(t) => Date::parse(t).map_err(|e| JobError::Invalid(format!("origin: {e}")))?,
                None => reference.origin(),
            };
            Ok(Alignment::Origin { reference_origin: origin })
        }
        other => bail!("--align: expected calendar or origin, got {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_round_command_names_the_merged_population() {
        let line: Vec<String> = [
            "detente",
            "calibrate",
            "v.toml",
            "--shard",
            "0/4",
            "--out=s0",
            "--population",
            "old",
            "-n",
            "8",
        ]
        .map(String::from)
        .into();
        assert_eq!(
            next_command(&line, Path::new("merged")),
            "detente calibrate v.toml -n 8 --population merged --shard I/N --out SHARD_DIR"
        );
    }
}
