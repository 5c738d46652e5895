//! Calibration by approximate Bayesian computation (ABC).
//!
//! A candidate is a vector of values for named key paths, drawn from uniform
//! priors. Its distance to the reference is computed by running
//! `replications` runs with common random numbers (the same replicate seeds
//! for every candidate, so candidates differ by their values, not by luck)
//! and taking the root mean square, over the scored stages, of the median
//! timing error in years. Two samplers:
//!
//! - **rejection**: draw candidates from the prior, keep the `particles`
//!   closest; the tolerance is the largest accepted distance.
//! - **smc** (ABC population Monte Carlo, Beaumont et al. 2009): a rejection
//!   round, then rounds that resample the previous population by weight,
//!   perturb with a Gaussian kernel of twice the weighted variance, and accept
//!   proposals within a tolerance set to the median of the previous
//!   population's distances; weights are prior over the kernel mixture.
//!
//! Proposals are drawn sequentially from a seeded generator and evaluated in
//! parallel; acceptance is decided in proposal order, so the result depends
//! on the seed only, never on the thread count.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::batch::par_map;
use crate::compare::{stage_path, CompareSpec, SimPath};
use crate::engine::{run_seed, Recorder, Simulator};
use crate::model::{Field, Setup};
use crate::scenario::{with_overrides, Prior};
use crate::stats::quantile::quantile_sorted;

/// Which sampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Plain rejection sampling.
    Rejection,
    /// Sequential Monte Carlo (population Monte Carlo).
    Smc,
}

/// Everything a calibration needs.
#[derive(Debug, Clone)]
pub struct Calibration<'a> {
    /// The setup whose values are calibrated.
    pub setup: &'a Setup,
    /// Scenario name (enters seeds).
    pub scenario: &'a str,
    /// Tracked dyad index compared.
    pub dyad: usize,
    /// How runs are compared with the reference.
    pub compare: CompareSpec<'a>,
    /// Uniform priors.
    pub priors: &'a [Prior],
    /// Sampler.
    pub method: Method,
    /// Replications per candidate.
    pub replications: u64,
    /// Accepted particles per round.
    pub particles: usize,
    /// SMC rounds after the first.
    pub rounds: usize,
    /// Budget of candidate evaluations.
    pub max_evaluations: u64,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (0 = all).
    pub threads: usize,
}

/// One accepted parameter vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Particle {
    /// Values, in prior order.
    pub values: Vec<f64>,
    /// Distance to the reference (years).
    pub distance: f64,
    /// Normalised importance weight.
    pub weight: f64,
}

/// Diagnostics of one round.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Round {
    /// Round index (0 = the rejection round).
    pub round: usize,
    /// Tolerance used (largest accepted distance in round 0).
    pub tolerance: f64,
    /// Candidates evaluated.
    pub evaluations: u64,
    /// Candidates accepted.
    pub accepted: usize,
    /// accepted / evaluations.
    pub acceptance_rate: f64,
}

/// The result of a calibration.
#[derive(Debug, Clone)]
pub struct Posterior {
    /// Final population.
    pub particles: Vec<Particle>,
    /// Per-round diagnostics.
    pub rounds: Vec<Round>,
    /// Candidate evaluations in all.
    pub evaluations: u64,
    /// False when the budget ran out before the last round filled its population.
    pub converged: bool,
    /// True when a stop was requested; the population is the last complete round's.
    pub interrupted: bool,
}

/// Weighted quantile of `values` (nearest rank on the weighted CDF).
pub fn weighted_quantile(values: &[f64], weights: &[f64], q: f64) -> Option<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let mut cumulative = 0.0;
    for &i in &order {
        cumulative += weights[i];
        if cumulative >= q * total - 1e-12 {
            return Some(values[i]);
        }
    }
    order.last().map(|&i| values[i])
}

impl Calibration<'_> {
    /// Distance of one candidate: RMS over scored stages of the median timing error, in years.
    pub fn distance(&self, values: &[f64], sim: &mut Simulator, rec: &mut Recorder) -> f64 {
        let overrides: Vec<(Field, f64)> =
            self.priors.iter().zip(values).map(|(p, v)| (p.field, *v)).collect();
        let setup = with_overrides(self.setup, &overrides);
        let stages = self.compare.stages.len();
        let mut errors: Vec<Vec<f64>> = vec![Vec::with_capacity(self.replications as usize); stages];
        let mut path = Vec::new();
        for r in 0..self.replications {
            let seed = run_seed(self.seed, self.scenario, "calibration", 0, r);
            sim.run(&setup, seed, rec);
            stage_path(rec.series.as_deref().unwrap_or_default(), self.dyad, &mut path);
            let d = self.compare.distance(SimPath { start: setup.start, stages: &path });
            for (k, t) in d.stages.iter().enumerate() {
                if let Some(e) = t.error_months {
                    errors[k].push(e);
                }
            }
        }
        let mut sum = 0.0;
        let mut scored = 0;
        for mut e in errors {
            e.sort_by(f64::total_cmp);
            if let Some(median) = quantile_sorted(&e, 0.5) {
                sum += (median / 12.0).powi(2);
                scored += 1;
            }
        }
        if scored == 0 {
            f64::INFINITY
        } else {
            (sum / scored as f64).sqrt()
        }
    }

    fn evaluate(&self, candidates: &[Vec<f64>]) -> Vec<f64> {
        par_map(
            self.threads,
            candidates,
            || (Simulator::new(), Recorder::new(true, false)),
            |(sim, rec), values| self.distance(values, sim, rec),
        )
        .unwrap_or_else(|_| {
            let (mut sim, mut rec) = (Simulator::new(), Recorder::new(true, false));
            candidates.iter().map(|v| self.distance(v, &mut sim, &mut rec)).collect()
        })
    }

    /// Runs the calibration; `progress(evaluations_so_far, round)` is called after each batch.
    pub fn run(
        &self,
        stop: &std::sync::atomic::AtomicBool,
        mut progress: impl FnMut(u64, usize),
    ) -> Posterior {
        let stopped = || stop.load(std::sync::atomic::Ordering::Relaxed);
        let mut rng = ChaCha8Rng::seed_from_u64(crate::engine::rng::mix(self.seed ^ 0xca1b));
        let n = self.particles.max(2);
        let first_batch = match self.method {
            Method::Rejection => self.max_evaluations.max(n as u64),
            Method::Smc => (2 * n as u64).min(self.max_evaluations.max(n as u64)),
        };
        let candidates: Vec<Vec<f64>> = (0..first_batch).map(|_| self.draw_prior(&mut rng)).collect();
        let distances = self.evaluate(&candidates);
        let mut evaluations = first_batch;
        progress(evaluations, 0);
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]).then(a.cmp(&b)));
        order.truncate(n);
        let w = 1.0 / order.len() as f64;
        let mut population: Vec<Particle> = order
            .iter()
            .map(|&i| Particle { values: candidates[i].clone(), distance: distances[i], weight: w })
            .collect();
        let tolerance = population.iter().map(|p| p.distance).fold(0.0, f64::max);
        let mut rounds = vec![Round {
            round: 0,
            tolerance,
            evaluations,
            accepted: population.len(),
            acceptance_rate: population.len() as f64 / evaluations as f64,
        }];
        let mut converged = true;
        let mut interrupted = false;
        if self.method == Method::Smc {
            for round in 1..=self.rounds {
                if stopped() {
                    interrupted = true;
                    break;
                }
                let distances: Vec<f64> = population.iter().map(|p| p.distance).collect();
                let weights: Vec<f64> = population.iter().map(|p| p.weight).collect();
                let tolerance = weighted_quantile(&distances, &weights, 0.5).unwrap_or(f64::INFINITY);
                let sigma = self.kernel_widths(&population);
                let mut next: Vec<Particle> = Vec::new();
                let mut round_evals = 0;
                while next.len() < n && evaluations < self.max_evaluations && !stopped() {
                    let batch = (n as u64).min(self.max_evaluations - evaluations);
                    let proposals: Vec<Vec<f64>> =
                        (0..batch).map(|_| self.perturb(&population, &sigma, &mut rng)).collect();
                    let d = self.evaluate(&proposals);
                    evaluations += batch;
                    round_evals += batch;
                    progress(evaluations, round);
                    for (values, distance) in proposals.into_iter().zip(d) {
                        if distance <= tolerance && next.len() < n {
                            let weight = self.importance(&values, &population, &sigma);
                            next.push(Particle { values, distance, weight });
                        }
                    }
                }
                if stopped() && next.len() < n {
                    interrupted = true;
                    break;
                }
                if next.len() < 2 {
                    converged = false;
                    break;
                }
                if next.len() < n {
                    converged = false;
                }
                let total: f64 = next.iter().map(|p| p.weight).sum();
                for p in &mut next {
                    p.weight /= total;
                }
                rounds.push(Round {
                    round,
                    tolerance,
                    evaluations: round_evals,
                    accepted: next.len(),
                    acceptance_rate: next.len() as f64 / round_evals.max(1) as f64,
                });
                population = next;
                if !converged {
                    break;
                }
            }
        }
        Posterior { particles: population, rounds, evaluations, converged, interrupted }
    }

    fn draw_prior(&self, rng: &mut ChaCha8Rng) -> Vec<f64> {
        self.priors.iter().map(|p| p.low + rng.random::<f64>() * (p.high - p.low)).collect()
    }

    /// Kernel standard deviation per parameter: sqrt(2 x weighted variance).
    fn kernel_widths(&self, population: &[Particle]) -> Vec<f64> {
        (0..self.priors.len())
            .map(|k| {
                let mean: f64 = population.iter().map(|p| p.weight * p.values[k]).sum();
                let var: f64 = population.iter().map(|p| p.weight * (p.values[k] - mean).powi(2)).sum();
                let floor = 1e-6 * (self.priors[k].high - self.priors[k].low);
                (2.0 * var).sqrt().max(floor)
            })
            .collect()
    }

    fn perturb(&self, population: &[Particle], sigma: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64> {
        loop {
            let u: f64 = rng.random();
            let mut acc = 0.0;
            let mut pick = population.len() - 1;
            for (i, p) in population.iter().enumerate() {
                acc += p.weight;
                if u < acc {
                    pick = i;
                    break;
                }
            }
            let values: Vec<f64> = population[pick]
                .values
                .iter()
                .zip(sigma)
                .map(|(v, s)| v + s * standard_normal(rng))
                .collect();
            if values.iter().zip(self.priors).all(|(v, p)| *v >= p.low && *v <= p.high) {
                return values;
            }
        }
    }

    /// Unnormalised importance weight: uniform prior over the kernel mixture.
    fn importance(&self, values: &[f64], population: &[Particle], sigma: &[f64]) -> f64 {
        let mixture: f64 = population
            .iter()
            .map(|p| {
                let z2: f64 =
                    values.iter().zip(&p.values).zip(sigma).map(|((a, b), s)| ((a - b) / s).powi(2)).sum();
                p.weight * (-0.5 * z2).exp()
            })
            .sum();
        if mixture > 0.0 {
            1.0 / mixture
        } else {
            0.0
        }
    }
}

/// Box-Muller transform; one normal draw from two uniforms.
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_quantiles() {
        let v = [3.0, 1.0, 2.0];
        let w = [1.0, 1.0, 2.0];
        assert_eq!(weighted_quantile(&v, &w, 0.5), Some(2.0));
        assert_eq!(weighted_quantile(&v, &w, 0.1), Some(1.0));
        assert_eq!(weighted_quantile(&v, &w, 1.0), Some(3.0));
    }
}
