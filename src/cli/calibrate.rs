//! `detente calibrate`: fit named parameters to a reference history by ABC.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context, Result};

use super::common::{load_all, progress};
use super::compare::{load_reference, pick_dyad};
use crate::batch::effective_threads;
use crate::calendar::Date;
use crate::calibrate::{Calibration, Method};
use crate::compare::{Alignment, CompareSpec};
use crate::output::calibration::{summarise, write_best_fit, write_tables};
use crate::output::manifest::{file_sha256, Manifest, ScenarioEntry};
use crate::scenario::{resolve_prior, CalibrationConfig, Prior};

/// Arguments of `detente calibrate`.
#[derive(Debug, clap::Args)]
pub struct Args {
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
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// Output folder (default: results/calibration/<scenario>).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

/// Runs `detente calibrate`. Exit 1 when the budget ran out before convergence.
pub fn run(args: Args) -> Result<ExitCode> {
    let scenarios = load_all(std::slice::from_ref(&args.scenario))?;
    let scenario = &scenarios[0];
    let file = scenario.calibration.clone().unwrap_or_default();
    let variant = scenario
        .variant(&args.variant)
        .with_context(|| format!("{}: no variant `{}`", args.scenario.display(), args.variant))?;
    let world = &variant.setup.world;
    let priors: Vec<Prior> = if args.priors.is_empty() {
        file.priors.clone()
    } else {
        args.priors.iter().map(|p| parse_prior(world, p)).collect::<Result<_>>()?
    };
    if priors.is_empty() {
        bail!("no parameters to calibrate: give --prior KEY=LOW:HIGH or a [calibration.priors] table");
    }
    let reference_path = match (&args.reference, &file.reference) {
        (Some(r), _) => r.clone(),
        (None, Some(r)) => args.scenario.parent().unwrap_or(Path::new(".")).join(r),
        (None, None) => bail!("no reference: give --reference FILE or [calibration].reference"),
    };
    let reference = load_reference(&reference_path, world.ladder.len())?;
    let alignment = alignment(&args, &file, &reference)?;
    let method = match args.method.as_deref().or(file.method.as_deref()).unwrap_or("smc") {
        "rejection" => Method::Rejection,
        "smc" => Method::Smc,
        other => bail!("--method: expected rejection or smc, got {other:?}"),
    };
    let dyad = pick_dyad(scenario, args.dyad.as_deref().or(file.dyad.as_deref()))?;
    let censor = file.censor_penalty_months.unwrap_or(60.0);
    let particles = args.particles.or(file.particles).unwrap_or(100) as usize;
    let rounds = args.rounds.or(file.rounds).unwrap_or(3) as usize;
    let replications = args.replications.or(file.replications).unwrap_or(40);
    let default_budget = match method {
        Method::Rejection => 10 * particles as u64,
        Method::Smc => 2 * particles as u64 * (rounds as u64 + 1) * 3,
    };
    let max_evaluations = args.max_evaluations.or(file.max_evaluations).unwrap_or(default_budget);
    if particles < 2 || replications == 0 || max_evaluations < particles as u64 {
        bail!(
            "need at least 2 particles, 1 replication, and a budget of at least one evaluation per particle"
        );
    }
    let threads = effective_threads(args.threads);
    let seed = args.seed.unwrap_or(scenario.seed);
    let calibration = Calibration {
        setup: &variant.setup,
        scenario: &scenario.name,
        dyad,
        compare: CompareSpec::new(&reference, alignment, censor),
        priors: &priors,
        method,
        replications,
        particles,
        rounds,
        max_evaluations,
        seed,
        threads,
    };
    let started = SystemTime::now();
    let clock = Instant::now();
    let bar = progress(max_evaluations, "candidates");
    let posterior = calibration.run(super::common::stop_flag(), |done, round| {
        bar.set_position(done);
        bar.set_message(format!("round {round}"));
    });
    bar.finish_and_clear();
    let out = args.out.clone().unwrap_or_else(|| Path::new("results/calibration").join(&scenario.name));
    let summary = summarise(&priors, &posterior);
    let mut files = write_tables(&out, &priors, &posterior, &summary)?;
    let text = std::fs::read_to_string(&args.scenario)
        .with_context(|| format!("cannot read {}", args.scenario.display()))?;
    let best = out.join("best_fit.toml");
    let note = format!(
        "Calibrated on {} ({} alignment), {} evaluations of {} replications, seed {}.",
        reference_path.display(),
        if matches!(alignment, Alignment::Calendar) { "calendar" } else { "origin" },
        posterior.evaluations,
        replications,
        seed
    );
    write_best_fit(&best, &text, &summary, &note)?;
    files.push(best);
    let elapsed = clock.elapsed().as_secs_f64();
    let runs = posterior.evaluations * replications;
    Manifest::new(
        "calibrate",
        vec![ScenarioEntry {
            path: scenario.path.display().to_string(),
            name: scenario.name.clone(),
            sha256: scenario.sha256.clone(),
            seed,
            variants: vec![args.variant.clone()],
            replications,
        }],
        threads,
        started,
        elapsed,
        runs,
        &files,
        serde_json::json!({
            "reference": reference_path.display().to_string(),
            "reference_sha256": file_sha256(&reference_path),
            "method": format!("{method:?}").to_lowercase(),
            "particles": particles,
            "rounds": posterior.rounds,
            "evaluations": posterior.evaluations,
            "max_evaluations": max_evaluations,
            "converged": posterior.converged,
            "interrupted": posterior.interrupted,
            "distance": "root mean square over scored stages of the median timing error, years",
            "stages": calibration.compare.stages,
            "censor_penalty_months": censor,
            "priors": priors.iter().map(|p| serde_json::json!({"key": p.key, "low": p.low, "high": p.high})).collect::<Vec<_>>(),
        }),
    )
    .write(&out)?;
    println!("{:<44} {:>10} {:>10} {:>10} {:>10}", "parameter", "prior", "p05", "median", "p95");
    for (p, s) in priors.iter().zip(&summary) {
        println!(
            "{:<44} {:>10} {:>10.4} {:>10.4} {:>10.4}",
            p.key,
            format!("{}-{}", p.low, p.high),
            s.quantiles[0],
            s.quantiles[1],
            s.quantiles[2]
        );
    }
    for r in &posterior.rounds {
        println!(
            "round {}: tolerance {:.2} years, {} evaluations, acceptance {:.0}%",
            r.round,
            r.tolerance,
            r.evaluations,
            r.acceptance_rate * 100.0
        );
    }
    println!("results in {} ({elapsed:.1} s)", out.display());
    if posterior.interrupted {
        eprintln!(
            "interrupted: the results hold the last complete round ({} of {}); rerun to calibrate fully",
            posterior.rounds.len() - 1,
            calibration.rounds
        );
        return Ok(ExitCode::from(130));
    }
    if !posterior.converged {
        eprintln!("warning: the evaluation budget ran out before the last round filled its population");
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

fn alignment(
    args: &Args,
    file: &CalibrationConfig,
    reference: &crate::reference::ReferencePath,
) -> Result<Alignment> {
    match args.align.as_deref().or(file.align.as_deref()).unwrap_or("calendar") {
        "calendar" => Ok(Alignment::Calendar),
        "origin" => {
            let origin = match args.origin.as_deref().or(file.origin.as_deref()) {
                Some(t) => Date::parse(t).map_err(|e| anyhow::anyhow!("origin: {e}"))?,
                None => reference.origin(),
            };
            Ok(Alignment::Origin { reference_origin: origin })
        }
        other => bail!("--align: expected calendar or origin, got {other:?}"),
    }
}
