//! `detente calibrate`: fit named parameters to a reference history by ABC.
//!
//! A calibration proceeds in rounds of fixed size (see `crate::calibrate`).
//! After every complete round `calibration-state.json` in the output folder
//! holds the population, replaced atomically, so a stop (SIGINT, SIGTERM or
//! SIGKILL) loses at most the round in progress and `--resume` continues
//! from there. `--shard I/N` evaluates one slice of the next round (round 0,
//! or the round after the state in `--population DIR`); `detente merge`
//! completes the round from all slices, exactly as an unsharded run does.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context, Result};

use super::common::{
    check_complete, fingerprint, load_all, nothing_to_resume, progress, stop_flag, Interrupted, Shard,
    ShardManifest, ShardMark,
};
use super::compare::{load_reference, pick_dyad};
use crate::batch::effective_threads;
use crate::calendar::Date;
use crate::calibrate::{Calibration, Method, Next, Outcome, Round, State};
use crate::compare::{Alignment, CompareSpec};
use crate::model::Setup;
use crate::output::calibration::{
    summarise, write_best_fit, write_tables, ShardFile, StateFile, SHARD_FILE, STATE_FILE,
};
use crate::output::manifest::{file_sha256, sha256_hex, Manifest, ScenarioEntry};
use crate::output::{read_json, write_json};
use crate::reference::ReferencePath;
use crate::scenario::{resolve_prior, CalibrationConfig, Prior, Scenario};

/// Arguments of `detente calibrate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub spec: Spec,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// Output folder (default: results/calibration/<scenario>).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Evaluate only slice I of N (0-based) of the next round's proposals, for `detente merge`.
    #[arg(long, value_name = "I/N", conflicts_with = "resume")]
    pub shard: Option<Shard>,
    /// Start from the calibration-state.json in DIR (a merged round or an unfinished calibration).
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    pub population: Option<PathBuf>,
    /// Continue an interrupted calibration in the same output folder from its last complete round.
    #[arg(long)]
    pub resume: bool,
}

/// The options that define a calibration: what `detente merge` needs to set it up again.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct Spec {
    /// Scenario file (TOML); its [calibration] table gives defaults for every option.
    pub scenario: PathBuf,
    /// Reference history CSV (default: [calibration].reference, relative to the scenario).
    #[arg(long, short = 'r')]
    pub reference: Option<PathBuf>,
    /// Prior KEY=LOW:HIGH on a key path (repeatable; replaces the file's priors).
    #[arg(long = "prior", value_name = "KEY=LOW:HIGH")]
    pub priors: Vec<String>,
    /// `rejection` or `smc`.
    #[arg(long)]
    pub method: Option<String>,
    /// Replications per candidate.
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Accepted particles (population size).
    #[arg(long)]
    pub particles: Option<u64>,
    /// SMC rounds after the first.
    #[arg(long)]
    pub rounds: Option<u64>,
    /// Proposals evaluated in each SMC round after the first (default: 2 x particles).
    #[arg(long)]
    pub proposals: Option<u64>,
    /// Budget of candidate evaluations.
    #[arg(long)]
    pub max_evaluations: Option<u64>,
    /// Tracked dyad compared, `a-b`.
    #[arg(long)]
    pub dyad: Option<String>,
    /// `calendar` or `origin`.
    #[arg(long)]
    pub align: Option<String>,
    /// Reference date month 0 stands for, with `--align origin`.
    #[arg(long)]
    pub origin: Option<String>,
    /// Variant to calibrate (default: baseline).
    #[arg(long, default_value = "baseline")]
    pub variant: String,
    /// Master seed (default: the file's [run] seed).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// A calibration with every option resolved against its scenario file.
struct Prepared {
    spec: Spec,
    scenario: Scenario,
    setup: Setup,
    priors: Vec<Prior>,
    reference_path: PathBuf,
    reference: ReferencePath,
    alignment: Alignment,
    method: Method,
    dyad: usize,
    censor: f64,
    replications: u64,
    particles: usize,
    rounds: usize,
    proposals: u64,
    max_evaluations: u64,
    seed: u64,
    /// Tool version, scenario and reference SHA-256 and every resolved
    /// option that changes results (not threads, folders or the shard).
    fingerprint: String,
}

impl Prepared {
    fn new(spec: &Spec) -> Result<Prepared> {
        let mut scenarios = load_all(std::slice::from_ref(&spec.scenario))?;
        let scenario = scenarios.remove(0);
        let file = scenario.calibration.clone().unwrap_or_default();
        let variant = scenario
            .variant(&spec.variant)
            .with_context(|| format!("{}: no variant `{}`", spec.scenario.display(), spec.variant))?;
        let setup = variant.setup.clone();
        let world = &setup.world;
        let priors: Vec<Prior> = if spec.priors.is_empty() {
            file.priors.clone()
        } else {
            spec.priors.iter().map(|p| parse_prior(world, p)).collect::<Result<_>>()?
        };
        if priors.is_empty() {
            bail!("no parameters to calibrate: give --prior KEY=LOW:HIGH or a [calibration.priors] table");
        }
        let reference_path = match (&spec.reference, &file.reference) {
            (Some(r), _) => r.clone(),
            (None, Some(r)) => spec.scenario.parent().unwrap_or(Path::new(".")).join(r),
            (None, None) => bail!("no reference: give --reference FILE or [calibration].reference"),
        };
        let reference = load_reference(&reference_path, world.ladder.len())?;
        let alignment = alignment(spec, &file, &reference)?;
        let method = match spec.method.as_deref().or(file.method.as_deref()).unwrap_or("smc") {
            "rejection" => Method::Rejection,
            "smc" => Method::Smc,
            other => bail!("--method: expected rejection or smc, got {other:?}"),
        };
        let dyad = pick_dyad(&scenario, spec.dyad.as_deref().or(file.dyad.as_deref()))?;
        let censor = file.censor_penalty_months.unwrap_or(60.0);
        let particles = spec.particles.or(file.particles).unwrap_or(100) as usize;
        let rounds = spec.rounds.or(file.rounds).unwrap_or(3) as usize;
        let proposals = spec.proposals.or(file.proposals).unwrap_or(2 * particles as u64);
        let replications = spec.replications.or(file.replications).unwrap_or(40);
        let default_budget = match method {
            Method::Rejection => 10 * particles as u64,
            Method::Smc => 2 * particles as u64 + rounds as u64 * proposals,
        };
        let max_evaluations = spec.max_evaluations.or(file.max_evaluations).unwrap_or(default_budget);
        if particles < 2 || replications == 0 || max_evaluations < particles as u64 {
            bail!(
                "need at least 2 particles, 1 replication, and a budget of at least one evaluation per particle"
            );
        }
        if proposals < particles as u64 {
            bail!(
                "{}: proposals ({proposals}, from --proposals or [calibration].proposals) must be at least \
                 particles ({particles}): a round keeps the particles closest of its proposals",
                spec.scenario.display()
            );
        }
        let seed = spec.seed.unwrap_or(scenario.seed);
        let fingerprint = fingerprint(&serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "scenario": (&scenario.name, &scenario.sha256),
            "variant": spec.variant,
            "reference_sha256": file_sha256(&reference_path),
            "priors": priors.iter().map(|p| (&p.key, p.low, p.high)).collect::<Vec<_>>(),
            "alignment": format!("{alignment:?}"),
            "method": format!("{method:?}"),
            "dyad": dyad,
            "censor_penalty_months": censor,
            "replications": replications,
            "particles": particles,
            "rounds": rounds,
            "proposals": proposals,
            "max_evaluations": max_evaluations,
            "seed": seed,
        }));
        Ok(Prepared {
            spec: spec.clone(),
            scenario,
            setup,
            priors,
            reference_path,
            reference,
            alignment,
            method,
            dyad,
            censor,
            replications,
            particles,
            rounds,
            proposals,
            max_evaluations,
            seed,
            fingerprint,
        })
    }

    fn calibration(&self, threads: usize) -> Calibration<'_> {
        Calibration {
            setup: &self.setup,
            scenario: &self.scenario.name,
            dyad: self.dyad,
            compare: CompareSpec::new(&self.reference, self.alignment, self.censor),
            priors: &self.priors,
            method: self.method,
            replications: self.replications,
            particles: self.particles,
            rounds: self.rounds,
            proposals: self.proposals,
            max_evaluations: self.max_evaluations,
            seed: self.seed,
            threads,
        }
    }

    /// The manifest of `command`; `details` come after the calibration's options.
    #[allow(clippy::too_many_arguments)]
    fn manifest(
        &self,
        command: &str,
        threads: usize,
        started: SystemTime,
        elapsed: f64,
        evaluations: u64,
        files: &[PathBuf],
        details: serde_json::Value,
    ) -> Manifest {
        let mut all = serde_json::json!({
            "spec": self.spec,
            "fingerprint": self.fingerprint,
            "reference": self.reference_path.display().to_string(),
            "reference_sha256": file_sha256(&self.reference_path),
            "method": format!("{:?}", self.method).to_lowercase(),
            "particles": self.particles,
            "proposals": self.proposals,
            "max_evaluations": self.max_evaluations,
            "distance": "root mean square over scored stages of the median timing error, years",
            "censor_penalty_months": self.censor,
            "priors": self.priors.iter().map(|p| serde_json::json!({"key": p.key, "low": p.low, "high": p.high})).collect::<Vec<_>>(),
        });
        if let (Some(all), serde_json::Value::Object(more)) = (all.as_object_mut(), details) {
            all.extend(more);
        }
        Manifest::new(
            command,
            vec![ScenarioEntry {
                path: self.scenario.path.display().to_string(),
                name: self.scenario.name.clone(),
                sha256: self.scenario.sha256.clone(),
                seed: self.seed,
                variants: vec![self.spec.variant.clone()],
                replications: self.replications,
            }],
            threads,
            started,
            elapsed,
            evaluations * self.replications,
            files,
            all,
        )
    }

    /// The state in `dir`, which must belong to this calibration.
    fn read_state(&self, dir: &Path, what: &str) -> Result<State> {
        let path = dir.join(STATE_FILE);
        let file: StateFile =
            read_json(&path).with_context(|| format!("{what}: no readable {STATE_FILE}"))?;
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
    fn write_state(&self, dir: &Path, state: &State) -> Result<PathBuf> {
        for name in FINAL_FILES {
            let path = dir.join(name);
            if path.exists() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove stale {}", path.display()))?;
            }
        }
        let path = dir.join(STATE_FILE);
        let file = StateFile { fingerprint: self.fingerprint.clone(), state: state.clone() };
        write_json(&path, &file)
            .with_context(|| format!("cannot write the calibration state to {}", dir.display()))?;
        Ok(path)
    }
}

/// The files of a finished calibration.
const FINAL_FILES: [&str; 3] = ["posterior.csv", "calibration_summary.csv", "best_fit.toml"];

/// Round diagnostics as the manifest shows them.
fn rounds_json(rounds: &[Round]) -> serde_json::Value {
    rounds
        .iter()
        .map(|r| {
            serde_json::json!({
                "round": r.round,
                "tolerance": r.tolerance,
                "evaluations": r.evaluations,
                "accepted": r.accepted,
                "acceptance_rate": r.acceptance_rate(),
            })
        })
        .collect()
}

/// Runs `detente calibrate`. Exit 1 when the budget ran out before convergence.
pub fn run(args: Args) -> Result<ExitCode> {
    let prep = Prepared::new(&args.spec)?;
    let base = Path::new("results/calibration").join(&prep.scenario.name);
    let out = match (&args.out, args.shard) {
        (Some(o), _) => o.clone(),
        (None, Some(s)) => base.join(format!("shard-{}", s.index)),
        (None, None) => base,
    };
    let threads = effective_threads(args.threads);
    let calibration = prep.calibration(threads);
    let state = match (&args.population, args.resume) {
        (Some(dir), _) => prep.read_state(
            dir,
            &format!(
                "--population {}: not a merged round or an unfinished calibration (a finished one keeps no state)",
                dir.display()
            ),
        )?,
        (None, true) => prep.read_state(&out, &nothing_to_resume(&out))?,
        (None, false) => State::default(),
    };
    let started = SystemTime::now();
    let clock = Instant::now();
    if let Some(shard) = args.shard {
        return run_shard(&prep, &calibration, shard, state, &out, started);
    }
    // Written before the first round too, so a folder killed at any moment can be resumed.
    let state_path = prep.write_state(&out, &state)?;
    let bar = progress(calibration.planned_evaluations(), "candidates");
    bar.set_position(state.evaluations);
    let (state, outcome) = calibration.run(
        state,
        stop_flag(),
        |done, round| {
            bar.set_position(done);
            bar.set_message(format!("round {round}"));
        },
        |s| prep.write_state(&out, s).map(|_| ()),
    )?;
    bar.finish_and_clear();
    let elapsed = clock.elapsed().as_secs_f64();
    match outcome {
        Outcome::Finished { converged } => finish(
            &prep,
            &state,
            converged,
            &out,
            "calibrate",
            (threads, started, elapsed),
            serde_json::json!({ "resumed": args.resume }),
        ),
        Outcome::Interrupted => {
            let details = serde_json::json!({
                "interrupted": true,
                "resumed": args.resume,
                "completed_rounds": state.rounds.len(),
                "next_round": state.rounds.len(),
                "evaluations": state.evaluations,
                "rounds": rounds_json(&state.rounds),
            });
            prep.manifest("calibrate", threads, started, elapsed, state.evaluations, &[state_path], details)
                .write(&out)?;
            Err(Interrupted(format!(
                "calibration interrupted after {} complete round(s), {} evaluations; {} holds them. \
                 Continue with the same command and --resume",
                state.rounds.len(),
                state.evaluations,
                out.join(STATE_FILE).display()
            ))
            .into())
        }
    }
}

/// Evaluates one slice of the round after `base` into `out`.
fn run_shard(
    prep: &Prepared,
    calibration: &Calibration<'_>,
    shard: Shard,
    base: State,
    out: &Path,
    started: SystemTime,
) -> Result<ExitCode> {
    let clock = Instant::now();
    let Next::Round { round, proposals: count } = calibration.next(&base) else {
        bail!("the calibration in --population is complete; there is no round left to shard")
    };
    let (first, end) = shard.range(count);
    let proposals = calibration.proposals(&base, round, (first, end));
    let bar = progress(end - first, "candidates");
    let evaluated = calibration.evaluate(&proposals, stop_flag(), |n| bar.inc(n));
    bar.finish_and_clear();
    let elapsed = clock.elapsed().as_secs_f64();
    let mut details = serde_json::json!({
        "shard": shard,
        "round": round,
        "proposals": [first, end],
        "round_proposals": count,
    });
    let Some(distances) = evaluated else {
        details["interrupted"] = true.into();
        prep.manifest("calibrate", calibration.threads, started, elapsed, 0, &[], details).write(out)?;
        return Err(Interrupted(format!(
            "shard {}/{} of round {round} interrupted; no partial file was left. Run it again to finish it",
            shard.index, shard.count
        ))
        .into());
    };
    let path = out.join(SHARD_FILE);
    let file = ShardFile { fingerprint: prep.fingerprint.clone(), round, first, base, distances };
    write_json(&path, &file).with_context(|| format!("cannot write the shard to {}", out.display()))?;
    details["interrupted"] = false.into();
    prep.manifest("calibrate", calibration.threads, started, elapsed, end - first, &[path], details)
        .write(out)?;
    println!(
        "round {round}, shard {}/{}: proposals {first}..{end} of {count} evaluated in {elapsed:.1} s into {}; \
         merge all {} shards with `detente merge`",
        shard.index,
        shard.count,
        out.display(),
        shard.count
    );
    Ok(ExitCode::SUCCESS)
}

/// One shard folder of a calibration round as `detente merge` reads it.
struct ShardDir {
    path: PathBuf,
    shard: Shard,
    /// The calibration's fingerprint, the round and the state it started
    /// from: shards of one round share all three.
    mark: String,
    spec: Spec,
    command_line: Vec<String>,
    file: ShardFile,
}

fn read_shard(path: &Path) -> Result<ShardDir> {
    let ShardManifest { manifest, shard } = ShardManifest::read(path)?;
    let details = &manifest["details"];
    let spec: Spec = serde_json::from_value(details["spec"].clone())
        .with_context(|| format!("{}: the manifest records no calibration options", path.display()))?;
    let command_line = serde_json::from_value(manifest["command_line"].clone()).unwrap_or_default();
    let file: ShardFile = read_json(&path.join(SHARD_FILE))
        .with_context(|| format!("{}: no readable {SHARD_FILE}", path.display()))?;
    let base = serde_json::to_string(&file.base).context("cannot serialise a calibration state")?;
    let mark = format!("{}/round-{}/{}", file.fingerprint, file.round, sha256_hex(base.as_bytes()));
    Ok(ShardDir { path: path.to_path_buf(), shard, mark, spec, command_line, file })
}

/// `detente merge` for the shards of a calibration round: completes the
/// round into `--out`, and finishes the calibration if it was the last.
pub(super) fn merge(args: &super::merge::Args) -> Result<ExitCode> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let mut shards = args.shards.iter().map(|p| read_shard(p)).collect::<Result<Vec<_>>>()?;
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
    let calibration = prep.calibration(1);
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
    let elapsed = clock.elapsed().as_secs_f64();
    let shard_paths: Vec<String> = shards.iter().map(|s| s.path.display().to_string()).collect();
    match calibration.next(&state) {
        Next::Done { converged } => finish(
            &prep,
            &state,
            converged,
            &args.out,
            "merge",
            (0, started, elapsed),
            serde_json::json!({ "shards": shard_paths }),
        ),
        Next::Round { round: next, .. } => {
            let path = prep.write_state(&args.out, &state)?;
            let details = serde_json::json!({
                "shards": shard_paths,
                "completed_rounds": state.rounds.len(),
                "next_round": next,
                "evaluations": state.evaluations,
                "rounds": rounds_json(&state.rounds),
            });
            prep.manifest("merge", 0, started, elapsed, count, &[path], details).write(&args.out)?;
            println!(
                "round {round} merged from {} shards into {} (tolerance {:.2} years).\nnext: run round {next} \
                 as shards, then merge them:\n  {}",
                shards.len(),
                args.out.display(),
                state.rounds.last().map_or(f64::NAN, |r| r.tolerance),
                next_command(&shards[0].command_line, &args.out)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
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
/// calibration_summary.csv, best_fit.toml, manifest.json), removes the state
/// file and prints the posterior. Shared by `calibrate` and `merge`, so
/// both write the same bytes.
fn finish(
    prep: &Prepared,
    state: &State,
    converged: bool,
    out: &Path,
    command: &str,
    (threads, started, elapsed): (usize, SystemTime, f64),
    details: serde_json::Value,
) -> Result<ExitCode> {
    let summary = summarise(&prep.priors, &state.population);
    let mut files = write_tables(out, &prep.priors, &state.population, &summary)?;
    let text = std::fs::read_to_string(&prep.spec.scenario)
        .with_context(|| format!("cannot read {}", prep.spec.scenario.display()))?;
    let best = out.join("best_fit.toml");
    let note = format!(
        "Calibrated on {} ({} alignment), {} evaluations of {} replications, seed {}.",
        prep.reference_path.display(),
        if matches!(prep.alignment, Alignment::Calendar) { "calendar" } else { "origin" },
        state.evaluations,
        prep.replications,
        prep.seed
    );
    write_best_fit(&best, &text, &summary, &note)?;
    files.push(best);
    let state_path = out.join(STATE_FILE);
    if state_path.exists() {
        std::fs::remove_file(&state_path)
            .with_context(|| format!("cannot remove {} after finishing", state_path.display()))?;
    }
    let mut all = serde_json::json!({
        "rounds": rounds_json(&state.rounds),
        "evaluations": state.evaluations,
        "converged": converged,
        "interrupted": false,
        "stages": prep.calibration(threads).compare.stages,
    });
    if let (Some(all), serde_json::Value::Object(more)) = (all.as_object_mut(), details) {
        all.extend(more);
    }
    prep.manifest(command, threads, started, elapsed, state.evaluations, &files, all).write(out)?;
    println!("{:<44} {:>10} {:>10} {:>10} {:>10}", "parameter", "prior", "p05", "median", "p95");
    for (p, s) in prep.priors.iter().zip(&summary) {
        println!(
            "{:<44} {:>10} {:>10.4} {:>10.4} {:>10.4}",
            p.key,
            format!("{}-{}", p.low, p.high),
            s.quantiles[0],
            s.quantiles[1],
            s.quantiles[2]
        );
    }
    for r in &state.rounds {
        println!(
            "round {}: tolerance {:.2} years, {} evaluations, acceptance {:.0}%",
            r.round,
            r.tolerance,
            r.evaluations,
            r.acceptance_rate() * 100.0
        );
    }
    println!("calibration complete; results in {} ({elapsed:.1} s)", out.display());
    if !converged {
        eprintln!("warning: the evaluation budget ran out before the last round");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_prior(world: &crate::model::World, text: &str) -> Result<Prior> {
    let (key, range) =
        text.split_once('=').with_context(|| format!("--prior {text}: expected KEY=LOW:HIGH"))?;
    let (lo, hi) = range.split_once(':').with_context(|| format!("--prior {text}: expected KEY=LOW:HIGH"))?;
    let parse =
        |s: &str| s.trim().parse::<f64>().with_context(|| format!("--prior {text}: {s:?} is not a number"));
    resolve_prior(world, key.trim(), &[parse(lo)?, parse(hi)?])
        .map_err(|e| anyhow::anyhow!("--prior {text}: {e}"))
}

fn alignment(spec: &Spec, file: &CalibrationConfig, reference: &ReferencePath) -> Result<Alignment> {
    match spec.align.as_deref().or(file.align.as_deref()).unwrap_or("calendar") {
        "calendar" => Ok(Alignment::Calendar),
        "origin" => {
            let origin = match spec.origin.as_deref().or(file.origin.as_deref()) {
                Some(t) => Date::parse(t).map_err(|e| anyhow::anyhow!("origin: {e}"))?,
                None => reference.origin(),
            };
            Ok(Alignment::Origin { reference_origin: origin })
        }
        other => bail!("--align: expected calendar or origin, got {other:?}"),
    }
}
