//! `detente sweep`: run an experimental design over named key paths and
//! write `points.csv` (one row per design point), a point-keyed `runs.csv`
//! and `manifest.json`.
//!
//! The design options ([`DesignArgs`]) and the machinery that resolves them
//! against a scenario's `[sweep]` table ([`prepare`]) and runs the design
//! while folding each point's runs as they stream past ([`execute`]) are
//! shared with `sensitivity` and `discover`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use anyhow::{anyhow, bail, Context, Result};

use super::common::{load_all, progress, stop_flag, Interrupted};
use crate::batch::{effective_threads, BatchError, RunResult};
use crate::explore::outcome::{Condition, NamedMeasure, PointAcc};
use crate::explore::{
    build_design, design_seed, run_design, Design, DesignKind, Domain, RunSpec, SweepParam,
};
use crate::model::Setup;
use crate::output::explore::{PointsWriter, SweepRunsWriter};
use crate::output::manifest::{Manifest, ScenarioEntry};
use crate::output::OutputError;
use crate::scenario::{resolve_prior, resolve_values, Scenario};

/// Default replications per design point when neither the command line nor
/// `[sweep]` gives them.
pub(super) const DEFAULT_REPLICATIONS: u64 = 20;

/// Options that choose a design and how it is run.
#[derive(Debug, Clone, clap::Args)]
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
    /// Output folder (default: results/<command>/<scenario name>).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

/// Arguments of `detente sweep`.
#[derive(Debug, clap::Args)]
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
}

impl Prepared {
    pub(super) fn setup(&self) -> &Setup {
        &self.scenario.variants[self.variant].setup
    }

    pub(super) fn total_runs(&self) -> u64 {
        self.design.values.len() as u64 * self.replications
    }

    /// The manifest's scenario entry and the design's details.
    /// Prints the closing line of a design run.
    pub(super) fn print_done(&self, elapsed: f64) {
        println!(
            "{} design: {} points x {} replications = {} runs in {elapsed:.1} s on {} thread(s); results in {}",
            self.design.kind.as_str(),
            self.design.values.len(),
            self.replications,
            self.total_runs(),
            self.threads,
            self.out.display()
        );
    }

    pub(super) fn manifest(
        &self,
        command: &str,
        started: SystemTime,
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
        });
        if let (Some(d), Some(e)) = (details.as_object_mut(), extra.as_object_mut()) {
            d.append(e);
        }
        Manifest::new(command, vec![entry], self.threads, started, elapsed, self.total_runs(), paths, details)
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
/// 20 replications, common random numbers on).
pub(super) fn prepare(
    args: &DesignArgs,
    design: Option<&str>,
    default_design: DesignKind,
    command: &str,
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
    let out = args.out.clone().unwrap_or_else(|| Path::new("results").join(command).join(&scenario.name));
    let keys = params.iter().map(|p| p.key.clone()).collect();
    Ok(Prepared {
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

/// Runs the design, writing `points.csv` (and `runs.csv` if `write_runs`),
/// folding `measures` per point and evaluating `condition` per run.
pub(super) fn execute(
    command: &str,
    prep: &Prepared,
    measures: &[NamedMeasure],
    condition: Option<&Condition>,
    write_runs: bool,
) -> Result<Collected> {
    let setup = prep.setup();
    let scenario = &prep.scenario;
    let variant = scenario.variants[prep.variant].name.as_str();
    let out = &prep.out;
    let context = || format!("cannot write results to {}", out.display());
    let mut points =
        PointsWriter::create(out, setup, &scenario.report_years, &prep.keys).with_context(context)?;
    let mut runs_file = if write_runs {
        Some(SweepRunsWriter::create(out, setup, &prep.keys).with_context(context)?)
    } else {
        None
    };
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
    let started = SystemTime::now();
    let started_clock = Instant::now();
    let mut means = vec![Vec::with_capacity(prep.design.values.len()); measures.len()];
    let mut cases = Vec::new();
    let mut current: Option<Current> = None;
    let finish_point =
        |c: Current, points: &mut PointsWriter, means: &mut Vec<Vec<f64>>| -> Result<(), OutputError> {
            let n = c.acc.runs().max(1) as f64;
            for (m, s) in means.iter_mut().zip(&c.sums) {
                m.push(s / n);
            }
            points.write(c.point, &prep.design.values[c.point], &c.acc)
        };
    let result = run_design(
        &spec,
        &prep.params,
        &prep.design,
        stop_flag(),
        |p, point_setup: &Setup, runs: &[RunResult]| {
            if current.as_ref().map(|c| c.point) != Some(p) {
                if let Some(c) = current.take() {
                    finish_point(c, &mut points, &mut means)?;
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
            if let Some(f) = runs_file.as_mut() {
                f.write((&scenario.name, variant), p, point_setup, &prep.design.values[p], runs)?;
            }
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
        Err(BatchError::Interrupted { completed }) => {
            // The unfinished files are dropped (their temporary names removed);
            // the manifest says how far the design got.
            let details = serde_json::json!({
                "interrupted": true,
                "completed_runs": completed,
                "completed_points": means.first().map_or(0, |m| m.len()),
            });
            prep.manifest(command, started, started_clock.elapsed().as_secs_f64(), &[], details)
                .write(out)?;
            return Err(Interrupted(format!(
                "{command} interrupted after {completed} of {} runs; no partial file was left, \
                 and manifest.json in {} records how far it got",
                prep.total_runs(),
                out.display()
            ))
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(c) = current.take() {
        finish_point(c, &mut points, &mut means)?;
    }
    let mut paths = vec![points.commit()?];
    if let Some(f) = runs_file {
        paths.push(f.commit()?);
    }
    Ok(Collected { means, cases, paths })
}

/// Runs `detente sweep`.
pub fn run(args: Args) -> Result<ExitCode> {
    let prep = prepare(&args.design_args, args.design.as_deref(), DesignKind::Lhs, "sweep")?;
    let started = SystemTime::now();
    let clock = Instant::now();
    let collected = execute("sweep", &prep, &[], None, true)?;
    let elapsed = clock.elapsed().as_secs_f64();
    prep.manifest("sweep", started, elapsed, &collected.paths, serde_json::json!({})).write(&prep.out)?;
    prep.print_done(elapsed);
    Ok(ExitCode::SUCCESS)
}
