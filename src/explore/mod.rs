//! Scenario exploration: experimental designs over named key paths, the runs
//! at each design point, and what `sweep`, `sensitivity` and `discover` make
//! of them.
//!
//! A design is built on the unit hypercube by `stats::design` and mapped here
//! onto each parameter's domain (a range or a list of values). [`run_design`]
//! runs every point's replications through `batch::par_map`, a bounded number
//! of points at a time, and hands the runs over point by point in order, so
//! callers can fold each point into a summary as it streams past
//! ([`outcome::PointAcc`]). `analysis` turns per-point outcomes into ranked
//! sensitivity indices and per-run outcomes into PRIM boxes. The commands and
//! columns are documented in `docs/EXPLORE.md`.
//!
//! Randomness: the design's generator is seeded from the master seed and a
//! fixed tag ([`design_seed`]), so the same seed gives the same design; a
//! run's seed is `run_seed(master, scenario, variant, p, replicate)` with
//! `p = 0` at every point under common random numbers, and `p` = the point
//! index without them.

pub mod analysis;
pub mod outcome;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::batch::{self, BatchError, Job, RunResult};
use crate::engine::rng::{mix, name_hash};
use crate::engine::{Recorder, Simulator};
use crate::model::{Field, Setup};
use crate::stats::design::{full_factorial, latin_hypercube, morris, saltelli, MorrisDesign, SaltelliLayout};
use crate::stats::StatsError;

/// Design points whose setups are built and run together; bounds memory.
pub const POINT_BATCH: usize = 64;

/// Largest number of design points a sweep accepts (a typo in `--levels`
/// should fail fast, not exhaust memory).
pub const MAX_POINTS: usize = 1_000_000;

/// Why an exploration could not be set up or analysed.
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    /// The design or outcome asked for does not make sense; the text says why.
    #[error("{0}")]
    Invalid(String),
    /// A statistics routine refused its input.
    #[error(transparent)]
    Stats(#[from] StatsError),
}

/// Where a swept parameter's values come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Domain {
    /// Continuous range `[low, high]`.
    Range {
        /// Lower end.
        low: f64,
        /// Upper end.
        high: f64,
    },
    /// A list of values (levels of a factorial, columns of a zip, or discrete
    /// choices of a sampled design).
    Values(Vec<f64>),
}

impl Domain {
    /// The value at unit coordinate `u` in `[0, 1]`: linear on a range, the
    /// `floor(u k)`-th of `k` listed values (the last one at `u = 1`).
    pub fn at(&self, u: f64) -> f64 {
        match self {
            Domain::Range { low, high } => low + u * (high - low),
            Domain::Values(list) => {
                let k = list.len();
                list[((u * k as f64).floor() as usize).min(k.saturating_sub(1))]
            }
        }
    }
}

/// A parameter of a sweep: a key path, its resolved field and its domain.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepParam {
    /// Key path as written (`actors.us.goals.values`).
    pub key: String,
    /// Resolved handle.
    pub field: Field,
    /// Range or values.
    pub domain: Domain,
}

/// The experimental designs `detente sweep` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesignKind {
    /// Every combination of levels.
    Factorial,
    /// Value lists taken side by side: point k uses the k-th value of each.
    Zip,
    /// Latin hypercube sample.
    Lhs,
    /// Saltelli scheme for Sobol' indices.
    Sobol,
    /// Morris trajectories.
    Morris,
}

impl DesignKind {
    /// Parses a design name.
    pub fn parse(name: &str) -> Result<DesignKind, ExploreError> {
        match name {
            "factorial" => Ok(DesignKind::Factorial),
            "zip" => Ok(DesignKind::Zip),
            "lhs" => Ok(DesignKind::Lhs),
            "sobol" => Ok(DesignKind::Sobol),
            "morris" => Ok(DesignKind::Morris),
            other => Err(ExploreError::Invalid(format!(
                "unknown design {other:?}; expected factorial, zip, lhs, sobol or morris"
            ))),
        }
    }

    /// The name used on the command line and in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            DesignKind::Factorial => "factorial",
            DesignKind::Zip => "zip",
            DesignKind::Lhs => "lhs",
            DesignKind::Sobol => "sobol",
            DesignKind::Morris => "morris",
        }
    }
}

/// How the points of a design are arranged, for the estimators.
#[derive(Debug, Clone, PartialEq)]
pub enum Structure {
    /// No structure beyond the list of points.
    Plain,
    /// Saltelli blocks, for Sobol' indices.
    Saltelli(SaltelliLayout),
    /// Morris trajectories, for elementary effects.
    Morris(MorrisDesign),
}

/// A built design: the parameter values of every point.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// Which design.
    pub kind: DesignKind,
    /// `values[p][k]`: value of parameter `k` at point `p`.
    pub values: Vec<Vec<f64>>,
    /// Arrangement of the points.
    pub structure: Structure,
    /// Seed of the design's generator.
    pub seed: u64,
}

/// The seed of a design's generator, derived from the master seed so that a
/// sweep is reproduced by its master seed alone. `tag` separates independent
/// uses (`"design"`, `"bootstrap"`).
pub fn design_seed(master: u64, tag: &str) -> u64 {
    mix(mix(master) ^ name_hash(tag))
}

/// Builds a design over `params`.
///
/// * `factorial`: ranges cut into `levels` evenly spaced values (ends
///   included), value lists as given; every combination, last parameter
///   fastest.
/// * `zip`: value lists of equal length, read side by side.
/// * `lhs`: `points` Latin hypercube points.
/// * `sobol`: a Saltelli design with `points` base rows, `points (d + 2)` in
///   all.
/// * `morris`: `points` trajectories on a `levels`-level grid (default 4),
///   `points (d + 1)` in all.
pub fn build_design(
    kind: DesignKind,
    params: &[SweepParam],
    points: usize,
    levels: Option<usize>,
    seed: u64,
) -> Result<Design, ExploreError> {
    if params.is_empty() {
        return Err(ExploreError::Invalid(
            "no parameters to sweep: give --param KEY=LOW:HIGH or --values KEY=a,b,c, or a [sweep] table"
                .into(),
        ));
    }
    let d = params.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let map = |unit: Vec<Vec<f64>>| -> Vec<Vec<f64>> {
        unit.into_iter().map(|u| u.iter().zip(params).map(|(x, p)| p.domain.at(*x)).collect()).collect()
    };
    let need_points = |what: &str| -> Result<(), ExploreError> {
        if points == 0 {
            return Err(ExploreError::Invalid(format!("{what} needs --points of at least 1")));
        }
        Ok(())
    };
    let (values, structure) = match kind {
        DesignKind::Factorial => {
            let mut axes: Vec<Vec<f64>> = Vec::with_capacity(d);
            for p in params {
                axes.push(match &p.domain {
                    Domain::Values(list) => list.clone(),
                    Domain::Range { low, high } => {
                        let k = levels.ok_or_else(|| {
                            ExploreError::Invalid(format!(
                                "factorial design over the range of {} needs --levels K (K >= 2)",
                                p.key
                            ))
                        })?;
                        if k < 2 {
                            return Err(ExploreError::Invalid(format!(
                                "--levels must be at least 2, got {k}"
                            )));
                        }
                        (0..k).map(|i| low + (high - low) * i as f64 / (k - 1) as f64).collect()
                    }
                });
            }
            let counts: Vec<usize> = axes.iter().map(Vec::len).collect();
            let total = counts.iter().try_fold(1usize, |acc, &c| acc.checked_mul(c)).unwrap_or(usize::MAX);
            if total > MAX_POINTS {
                return Err(ExploreError::Invalid(format!(
                    "factorial design has {total} points, more than {MAX_POINTS}; use fewer levels or an LHS design"
                )));
            }
            let rows = full_factorial(&counts)
                .into_iter()
                .map(|idx| idx.iter().zip(&axes).map(|(&i, axis)| axis[i]).collect())
                .collect();
            (rows, Structure::Plain)
        }
        DesignKind::Zip => {
            let mut lists = Vec::with_capacity(d);
            for p in params {
                match &p.domain {
                    Domain::Values(list) => lists.push(list),
                    Domain::Range { .. } => {
                        return Err(ExploreError::Invalid(format!(
                            "zip design needs value lists (--values KEY=a,b,c); {} has a range",
                            p.key
                        )))
                    }
                }
            }
            let n = lists[0].len();
            if let Some((p, l)) = params.iter().zip(&lists).find(|(_, l)| l.len() != n) {
                return Err(ExploreError::Invalid(format!(
                    "zip design needs value lists of equal length: {} has {} values, {} has {n}",
                    p.key,
                    l.len(),
                    params[0].key
                )));
            }
            ((0..n).map(|i| lists.iter().map(|l| l[i]).collect()).collect(), Structure::Plain)
        }
        DesignKind::Lhs => {
            need_points("an LHS design")?;
            check_size(points)?;
            (map(latin_hypercube(points, d, &mut rng)), Structure::Plain)
        }
        DesignKind::Sobol => {
            need_points("a Sobol (Saltelli) design")?;
            check_size(points.saturating_mul(d + 2))?;
            let s = saltelli(points, d, Some(&mut rng))?;
            (map(s.points), Structure::Saltelli(s.layout))
        }
        DesignKind::Morris => {
            if points < 2 {
                return Err(ExploreError::Invalid(format!(
                    "a Morris design needs --points (trajectories) of at least 2, got {points}"
                )));
            }
            check_size(points.saturating_mul(d + 1))?;
            let m = morris(points, d, levels.unwrap_or(4), &mut rng)?;
            (map(m.points.clone()), Structure::Morris(m))
        }
    };
    Ok(Design { kind, values, structure, seed })
}

fn check_size(n: usize) -> Result<(), ExploreError> {
    if n > MAX_POINTS {
        return Err(ExploreError::Invalid(format!("the design has {n} points, more than {MAX_POINTS}")));
    }
    Ok(())
}

/// What to run at every point of a design.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec<'a> {
    /// Scenario name (enters seeds).
    pub scenario: &'a str,
    /// Variant name (enters seeds).
    pub variant: &'a str,
    /// The variant's setup, before the design's overrides.
    pub base: &'a Setup,
    /// Replications per point.
    pub replications: u64,
    /// Master seed.
    pub seed: u64,
    /// Common random numbers: the same replicate seeds at every point.
    pub crn: bool,
    /// The worker threads the runs share.
    pub pool: &'a batch::Pool,
}

/// The `point` coordinate entering run seeds at design point `p`.
pub fn seed_point(crn: bool, p: usize) -> u64 {
    if crn {
        0
    } else {
        p as u64
    }
}

/// Runs handed to the worker pool at once (whole points where possible);
/// bounds memory while giving every worker plenty to do even when a point
/// has only a few replications.
pub const RUNS_PER_ROUND: u64 = 4096;

/// Runs the points `points` of `design` (all of them, a shard's slice, or
/// what a resumed sweep still lacks) and hands each chunk of finished runs to
/// `consume(point, setup, runs)`, points in order and replicates in order
/// within a point (a point with more than [`RUNS_PER_ROUND`] replications
/// comes in several chunks). A run's seed depends on its point's index in
/// the whole design, so a slice runs exactly what the whole design runs
/// there. Setups are built at most [`POINT_BATCH`] points at a time, and the
/// runs of several points share one parallel round.
pub fn run_design<E>(
    spec: &RunSpec<'_>,
    params: &[SweepParam],
    design: &Design,
    points: std::ops::Range<usize>,
    stop: &std::sync::atomic::AtomicBool,
    mut consume: impl FnMut(usize, &Setup, &[RunResult]) -> Result<(), E>,
) -> Result<(), BatchError<E>> {
    let mut completed = 0;
    let n_points = points.end.min(design.values.len());
    let per_point = spec.replications;
    let mut start = points.start;
    // Next replicate to run of point `start` (non-zero only when a point
    // with many replications is split across rounds).
    let mut first_rep = 0;
    while start < n_points {
        let batch_end = (start + POINT_BATCH).min(n_points);
        let setups: Vec<Setup> = design.values[start..batch_end]
            .iter()
            .map(|row| {
                let overrides: Vec<(Field, f64)> =
                    params.iter().zip(row).map(|(p, &v)| (p.field, v)).collect();
                crate::model::with_overrides(spec.base, &overrides)
            })
            .collect();
        let jobs: Vec<Job<'_>> = setups
            .iter()
            .enumerate()
            .map(|(k, setup)| Job {
                scenario: spec.scenario,
                variant: spec.variant,
                setup,
                point: seed_point(spec.crn, start + k),
                replications: spec.replications,
                seed: spec.seed,
                first_replicate: 0,
            })
            .collect();
        // Rounds within this batch of setups: (job, replicate) items in point
        // then replicate order, at most RUNS_PER_ROUND of them.
        let mut k = 0;
        while k < jobs.len() {
            let mut items: Vec<(usize, u64)> = Vec::new();
            while k < jobs.len() && (items.len() as u64) < RUNS_PER_ROUND {
                let room = RUNS_PER_ROUND - items.len() as u64;
                let end = (first_rep + room).min(per_point);
                items.extend((first_rep..end).map(|r| (k, r)));
                if end == per_point {
                    k += 1;
                    first_rep = 0;
                } else {
                    first_rep = end;
                }
            }
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(BatchError::Interrupted { completed });
            }
            completed += items.len() as u64;
            let runs = batch::par_map(
                spec.pool,
                &items,
                || (Simulator::new(), Recorder::new(false, false)),
                |(sim, rec), &(job, r)| batch::run_one(&jobs[job], r, sim, rec),
            );
            let mut from = 0;
            while from < runs.len() {
                let job = items[from].0;
                let to = from + items[from..].iter().take_while(|(j, _)| *j == job).count();
                consume(start + job, &setups[job], &runs[from..to]).map_err(BatchError::Consumer)?;
                from = to;
            }
        }
        start = batch_end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(key: &str, domain: Domain) -> SweepParam {
        SweepParam { key: key.into(), field: Field::Param(0), domain }
    }

    #[test]
    fn domains_map_the_unit_interval() {
        let r = Domain::Range { low: 2.0, high: 4.0 };
        assert_eq!((r.at(0.0), r.at(0.5), r.at(1.0)), (2.0, 3.0, 4.0));
        let v = Domain::Values(vec![1.0, 5.0, 9.0]);
        assert_eq!((v.at(0.0), v.at(0.34), v.at(0.99), v.at(1.0)), (1.0, 5.0, 9.0, 9.0));
    }

    #[test]
    fn factorial_and_zip_designs() {
        let ps =
            [param("a", Domain::Range { low: 0.0, high: 1.0 }), param("b", Domain::Values(vec![7.0, 8.0]))];
        let f = build_design(DesignKind::Factorial, &ps, 0, Some(3), 1).unwrap();
        assert_eq!(f.values.len(), 6);
        assert_eq!(f.values[0], [0.0, 7.0]);
        assert_eq!(f.values[5], [1.0, 8.0]);
        assert!(build_design(DesignKind::Factorial, &ps, 0, None, 1).is_err());
        assert!(build_design(DesignKind::Zip, &ps, 0, None, 1).is_err());
        let zs = [param("a", Domain::Values(vec![1.0, 2.0])), param("b", Domain::Values(vec![3.0, 4.0]))];
        let z = build_design(DesignKind::Zip, &zs, 0, None, 1).unwrap();
        assert_eq!(z.values, [[1.0, 3.0], [2.0, 4.0]]);
        let bad = [param("a", Domain::Values(vec![1.0, 2.0])), param("b", Domain::Values(vec![3.0]))];
        assert!(build_design(DesignKind::Zip, &bad, 0, None, 1).is_err());
    }

    #[test]
    fn sampled_designs_are_seeded_and_sized() {
        let ps = [
            param("a", Domain::Range { low: 1.0, high: 2.0 }),
            param("b", Domain::Range { low: 0.0, high: 0.5 }),
        ];
        let l1 = build_design(DesignKind::Lhs, &ps, 10, None, 5).unwrap();
        assert_eq!(l1, build_design(DesignKind::Lhs, &ps, 10, None, 5).unwrap());
        assert_ne!(l1.values, build_design(DesignKind::Lhs, &ps, 10, None, 6).unwrap().values);
        assert!(l1.values.iter().all(|r| (1.0..=2.0).contains(&r[0]) && (0.0..=0.5).contains(&r[1])));
        assert_eq!(build_design(DesignKind::Sobol, &ps, 8, None, 5).unwrap().values.len(), 32);
        assert_eq!(build_design(DesignKind::Morris, &ps, 5, None, 5).unwrap().values.len(), 15);
        assert!(build_design(DesignKind::Morris, &ps, 1, None, 5).is_err());
        assert!(build_design(DesignKind::Lhs, &[], 10, None, 5).is_err());
        assert_ne!(design_seed(1, "design"), design_seed(1, "bootstrap"));
    }
}
