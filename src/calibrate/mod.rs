//! Calibration by approximate Bayesian computation (ABC).
//!
//! A candidate is a vector of values for named key paths, drawn from uniform
//! priors. Its distance to the reference is computed by running
//! `replications` runs with common random numbers (the same replicate seeds
//! for every candidate, so candidates differ by their values, not by luck)
//! and taking the root mean square, over the scored stages, of the median
//! timing error in years. Two samplers:
//!
//! - **rejection**: one round of `max_evaluations` prior draws; keep the
//!   `particles` closest; the tolerance is the largest accepted distance.
//! - **smc** (ABC population Monte Carlo, Beaumont et al. 2009, with the
//!   quantile-based adaptive tolerance of adaptive ABC-PMC): round 0 draws
//!   2 x `particles` candidates from the prior; every later round makes a
//!   fixed number of proposals by resampling the previous population by
//!   weight and perturbing with a Gaussian kernel of twice the weighted
//!   variance, keeps the `particles` closest (the tolerance is the largest
//!   kept distance), and weights them prior over the kernel mixture.
//!
//! Every round has a fixed size and proposal `i` of round `r` comes from its
//! own generator seeded by (seed, r, i), drawing on the previous round's
//! population only. A round's proposals, and so the population it yields,
//! depend on (seed, round, previous population) and nothing else: not on
//! the thread count, on how the round is split into shards, or on whether
//! the calibration was interrupted and resumed between rounds ([`State`]).

use std::sync::atomic::{AtomicBool, Ordering};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::batch::{par_map, Pool};
use crate::compare::{stage_path, Alignment, CompareSpec, SimPath};
use crate::engine::rng::{mix, standard_normal};
use crate::engine::{run_seed, Recorder, Simulator};
use crate::model::{with_overrides, Prior};
use crate::model::{Field, Setup};
use crate::reference::ReferencePath;
use crate::stats::quantile::quantile_sorted;

/// Which sampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Plain rejection sampling.
    Rejection,
    /// Sequential Monte Carlo (population Monte Carlo).
    Smc,
}

/// What a calibration minimises: how far the runs made with a candidate's
/// values are from history. Evaluated on the calling thread (candidates are
/// already spread over the workers), with the same random numbers for
/// every candidate so that candidates differ by their values, not by luck.
pub trait Objective: Sync {
    /// The distance, in years, of the runs with `overrides` applied.
    fn distance(&self, overrides: &[(Field, f64)], sim: &mut Simulator, rec: &mut Recorder) -> f64;
}

/// One scenario held against one reference history: the root mean square,
/// over the scored stages, of the median timing error in years.
#[derive(Debug, Clone)]
pub struct OneHistory {
    /// The setup whose values are calibrated.
    pub setup: Setup,
    /// Scenario name (enters seeds).
    pub scenario: String,
    /// Tracked dyad index compared.
    pub dyad: usize,
    /// The history.
    pub reference: ReferencePath,
    /// Calendar or origin alignment.
    pub alignment: Alignment,
    /// Months added for a stage never reached.
    pub censor_penalty_months: f64,
    /// Replications per candidate.
    pub replications: u64,
    /// Master seed of the runs.
    pub seed: u64,
}

impl Objective for OneHistory {
    fn distance(&self, overrides: &[(Field, f64)], sim: &mut Simulator, rec: &mut Recorder) -> f64 {
        let setup = with_overrides(&self.setup, overrides);
        let compare = CompareSpec::new(&self.reference, self.alignment, self.censor_penalty_months);
        let stages = compare.stages.len();
        let mut errors: Vec<Vec<f64>> = vec![Vec::with_capacity(self.replications as usize); stages];
        let mut path = Vec::new();
        for r in 0..self.replications {
            let seed = run_seed(self.seed, &self.scenario, "calibration", 0, r);
            sim.run(&setup, seed, rec);
            stage_path(rec.series.as_deref().unwrap_or_default(), self.dyad, &mut path);
            let d = compare.distance(SimPath { start: setup.start, stages: &path });
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
}

/// Everything a calibration needs.
#[derive(Clone, Copy)]
pub struct Calibration<'a> {
    /// What is minimised.
    pub objective: &'a dyn Objective,
    /// Uniform priors.
    pub priors: &'a [Prior],
    /// Sampler.
    pub method: Method,
    /// Accepted particles per round.
    pub particles: usize,
    /// SMC rounds after the first.
    pub rounds: usize,
    /// Proposals evaluated in each SMC round after the first.
    pub proposals: u64,
    /// Budget of candidate evaluations.
    pub max_evaluations: u64,
    /// Master seed of the proposals.
    pub seed: u64,
    /// The worker threads candidates are evaluated on.
    pub pool: &'a Pool,
}

/// One accepted parameter vector. Stored exactly (see [`exact`]) so a
/// resumed or merged calibration continues from the very same numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Particle {
    /// Values, in prior order.
    #[serde(with = "exact::vec")]
    pub values: Vec<f64>,
    /// Distance to the reference (years).
    #[serde(with = "exact")]
    pub distance: f64,
    /// Normalised importance weight.
    #[serde(with = "exact")]
    pub weight: f64,
}

/// Diagnostics of one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Round {
    /// Round index (0 = the round of prior draws).
    pub round: usize,
    /// Largest accepted distance.
    #[serde(with = "exact")]
    pub tolerance: f64,
    /// Candidates evaluated.
    pub evaluations: u64,
    /// Candidates accepted.
    pub accepted: usize,
}

impl Round {
    /// accepted / evaluations.
    pub fn acceptance_rate(&self) -> f64 {
        self.accepted as f64 / self.evaluations.max(1) as f64
    }
}

/// How far a calibration got: the population of its last complete round.
/// Everything a later round needs, so it is what a checkpoint, a resume and
/// a merged round carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Population of the last complete round (empty before round 0).
    pub population: Vec<Particle>,
    /// Diagnostics of every complete round.
    pub rounds: Vec<Round>,
    /// Candidates evaluated in the complete rounds.
    pub evaluations: u64,
}

/// What a calibration does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Evaluate round `round`, of `proposals` proposals.
    Round {
        /// Round index.
        round: usize,
        /// Its fixed number of proposals.
        proposals: u64,
    },
    /// Nothing: the population is final.
    Done {
        /// False when the budget ran out before the last round.
        converged: bool,
    },
}

/// How [`Calibration::run`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every round ran, or the budget stopped it (`converged == false`).
    Finished {
        /// False when the budget ran out before the last round.
        converged: bool,
    },
    /// A stop was requested; the state is the last complete round's.
    Interrupted,
}

/// Proposals evaluated between two looks at the stop flag (at least; more
/// with many threads so every thread stays busy).
const CHUNK: usize = 64;

impl Calibration<'_> {
    /// Distance of one candidate, the objective's.
    pub fn distance(&self, values: &[f64], sim: &mut Simulator, rec: &mut Recorder) -> f64 {
        let overrides: Vec<(Field, f64)> =
            self.priors.iter().zip(values).map(|(p, v)| (p.field, *v)).collect();
        self.objective.distance(&overrides, sim, rec)
    }

    fn population_size(&self) -> usize {
        self.particles.max(2)
    }

    /// Size of round 0: the whole budget for rejection, 2 x particles for SMC.
    fn first_round(&self) -> u64 {
        let n = self.population_size() as u64;
        match self.method {
            Method::Rejection => self.max_evaluations.max(n),
            Method::Smc => (2 * n).min(self.max_evaluations.max(n)),
        }
    }

    /// Evaluations of the whole calibration: round 0 and every later round
    /// the budget allows.
    pub fn planned_evaluations(&self) -> u64 {
        let first = self.first_round();
        match self.method {
            Method::Rejection => first,
            Method::Smc => {
                let later = (self.max_evaluations.saturating_sub(first) / self.proposals.max(1))
                    .min(self.rounds as u64);
                first + later * self.proposals
            }
        }
    }

    /// The round after `state`, or the end: rejection has one round; SMC
    /// has `rounds` more, as long as the next one fits the budget.
    pub fn next(&self, state: &State) -> Next {
        let round = state.rounds.len();
        if round == 0 {
            return Next::Round { round, proposals: self.first_round() };
        }
        if self.method == Method::Rejection || round > self.rounds {
            return Next::Done { converged: true };
        }
        if state.evaluations + self.proposals > self.max_evaluations {
            return Next::Done { converged: false };
        }
        Next::Round { round, proposals: self.proposals }
    }

    /// Proposals `range.0 .. range.1` of `round`, the round after `state`.
    /// Each has its own generator, so any slice equals the same slice of
    /// the whole round.
    pub fn proposals(&self, state: &State, round: usize, range: (u64, u64)) -> Vec<Vec<f64>> {
        let sigma = if round == 0 { Vec::new() } else { self.kernel_widths(&state.population) };
        let round_seed = mix(mix(self.seed ^ 0xca1b) ^ round as u64);
        (range.0..range.1)
            .map(|i| {
                let mut rng = ChaCha8Rng::seed_from_u64(mix(round_seed ^ i));
                if round == 0 {
                    self.draw_prior(&mut rng)
                } else {
                    self.perturb(&state.population, &sigma, &mut rng)
                }
            })
            .collect()
    }

    /// Distances of `candidates`, in order, evaluated in parallel a chunk at
    /// a time; `progress(n)` after each chunk of n. None when a stop was
    /// requested before the last chunk: the partial work is dropped.
    pub fn evaluate(
        &self,
        candidates: &[Vec<f64>],
        stop: &AtomicBool,
        mut progress: impl FnMut(u64),
    ) -> Option<Vec<f64>> {
        let chunk = CHUNK.max(8 * self.pool.threads());
        let mut out = Vec::with_capacity(candidates.len());
        for part in candidates.chunks(chunk) {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            let distances = par_map(
                self.pool,
                part,
                || (Simulator::new(), Recorder::new(true, false)),
                |(sim, rec), values| self.distance(values, sim, rec),
            );
            out.extend(distances);
            progress(part.len() as u64);
        }
        Some(out)
    }

    /// Completes `round` from all its `proposals` and their `distances`:
    /// keeps the `particles` closest (ties by proposal index), the tolerance
    /// is the largest kept distance, and weights are uniform in round 0,
    /// prior over the kernel mixture of `state`'s population after it.
    pub fn complete_round(
        &self,
        state: &State,
        round: usize,
        proposals: &[Vec<f64>],
        distances: &[f64],
    ) -> State {
        let mut order: Vec<usize> = (0..proposals.len().min(distances.len())).collect();
        order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]).then(a.cmp(&b)));
        order.truncate(self.population_size());
        let sigma = if round == 0 { Vec::new() } else { self.kernel_widths(&state.population) };
        let mut population: Vec<Particle> = order
            .iter()
            .map(|&i| {
                let values = proposals[i].clone();
                let weight =
                    if round == 0 { 1.0 } else { self.importance(&values, &state.population, &sigma) };
                Particle { values, distance: distances[i], weight }
            })
            .collect();
        let total: f64 = population.iter().map(|p| p.weight).sum();
        for p in &mut population {
            p.weight /= total;
        }
        let mut rounds = state.rounds.clone();
        rounds.push(Round {
            round,
            tolerance: population.last().map_or(f64::INFINITY, |p| p.distance),
            evaluations: proposals.len() as u64,
            accepted: population.len(),
        });
        State { population, rounds, evaluations: state.evaluations + proposals.len() as u64 }
    }

    /// Runs the rounds after `state` to the end; `progress(evaluations, round)`
    /// after each chunk of evaluations, `checkpoint(state)` after each
    /// complete round. On a stop the unfinished round is dropped and the last
    /// complete round's state is returned with [`Outcome::Interrupted`].
    pub fn run<E>(
        &self,
        mut state: State,
        stop: &AtomicBool,
        mut progress: impl FnMut(u64, usize),
        mut checkpoint: impl FnMut(&State) -> Result<(), E>,
    ) -> Result<(State, Outcome), E> {
        loop {
            let (round, count) = match self.next(&state) {
                Next::Done { converged } => return Ok((state, Outcome::Finished { converged })),
                Next::Round { round, proposals } => (round, proposals),
            };
            let proposals = self.proposals(&state, round, (0, count));
            let mut done = state.evaluations;
            let evaluated = self.evaluate(&proposals, stop, |n| {
                done += n;
                progress(done, round);
            });
            let Some(distances) = evaluated else { return Ok((state, Outcome::Interrupted)) };
            state = self.complete_round(&state, round, &proposals, &distances);
            checkpoint(&state)?;
        }
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

/// Serde for numbers that must come back bit for bit: the shortest decimal
/// that parses back to the same `f64` (Rust's `{:?}`, which also writes
/// `inf` and `NaN`), as a JSON string, since JSON number parsing is not
/// guaranteed to round-trip.
pub mod exact {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    /// Writes one number.
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{x:?}"))
    }

    /// Reads one number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(|_| D::Error::custom(format!("expected a number, got {text:?}")))
    }

    /// The same for a list of numbers.
    pub mod vec {
        use serde::{de::Error, ser::SerializeSeq, Deserialize, Deserializer, Serializer};

        /// Writes the numbers.
        pub fn serialize<S: Serializer>(xs: &[f64], s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(xs.len()))?;
            for x in xs {
                seq.serialize_element(&format!("{x:?}"))?;
            }
            seq.end()
        }

        /// Reads the numbers.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
            Vec::<String>::deserialize(d)?
                .iter()
                .map(|t| t.parse().map_err(|_| D::Error::custom(format!("expected a number, got {t:?}"))))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_rounds_proposals_do_not_depend_on_how_it_is_sliced() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let s = crate::scenario::load(&root.join("scenarios/reference-class/us_vietnam_1975.toml")).unwrap();
        let reference =
            ReferencePath::load(&root.join("scenarios/reference/us_vietnam.csv"), s.base.world.ladder.len())
                .unwrap();
        let priors = crate::model::prior::calibrated_priors(&s.base.world);
        let objective = OneHistory {
            setup: s.base.clone(),
            scenario: s.name.clone(),
            dyad: 0,
            reference,
            alignment: Alignment::Calendar,
            censor_penalty_months: 60.0,
            replications: 1,
            seed: 3,
        };
        let calibration = Calibration {
            objective: &objective,
            priors: &priors,
            method: Method::Smc,
            particles: 10,
            rounds: 2,
            proposals: 23,
            max_evaluations: 100,
            seed: 3,
            pool: &crate::batch::Pool::new(1).unwrap(),
        };
        let sliced = |state: &State, round: usize, cuts: &[u64]| -> Vec<Vec<f64>> {
            cuts.windows(2).flat_map(|w| calibration.proposals(state, round, (w[0], w[1]))).collect()
        };
        let start = State::default();
        let Next::Round { round: 0, proposals: k0 } = calibration.next(&start) else { panic!() };
        let first = calibration.proposals(&start, 0, (0, k0));
        assert_eq!(first, sliced(&start, 0, &[0, 7, 8, k0]));
        // A made-up distance: what matters here is the population, not its fit.
        let distances: Vec<f64> = first.iter().map(|v| v.iter().sum()).collect();
        let state = calibration.complete_round(&start, 0, &first, &distances);
        let Next::Round { round: 1, proposals: 23 } = calibration.next(&state) else { panic!() };
        let whole = calibration.proposals(&state, 1, (0, 23));
        assert_eq!(whole, sliced(&state, 1, &[0, 11, 23]));
        assert_eq!(whole, sliced(&state, 1, &[0, 1, 2, 3, 15, 23]));
        assert_ne!(whole[..10], first[..10], "round 1 proposes anew");
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<State>(&json).unwrap(), state, "a state reads back bit for bit");
    }
}
