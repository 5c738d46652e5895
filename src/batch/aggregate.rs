//! Aggregates across runs, folded in replicate order.
//!
//! Every accumulator here is made of integers: histogram counts, and sums of
//! real values in fixed point ([`Fixed`]). Integer addition is associative,
//! so a batch split into shards and merged gives the very same summaries as
//! the whole batch, whatever the thread count; memory depends on the horizon,
//! never on the number of runs. Quantiles from histograms use the
//! nearest-rank rule on the binned values.

use std::fmt::Display;
use std::ops::AddAssign;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::engine::{DyadOutcome, RunOutcome, TickRecord};
use crate::model::MAX_RUNGS;
use crate::stats::quantile::nearest_rank_counts;

/// A sum of reals in fixed point (units of 1e-12) held in the integer `T`,
/// exact and associative where a float sum would depend on the order of
/// addition. Each integer type has its own `add` (how it treats negative
/// and non-finite values), in the module that uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Display", deserialize = "T: FromStr, T::Err: Display"))]
pub struct FixedSum<T>(#[serde(with = "int_text")] pub(super) T);

/// The integers a [`FixedSum`] is held in.
pub trait FixedInt: Copy + AddAssign {
    /// The integer as the nearest float.
    fn to_f64(self) -> f64;
}

impl FixedInt for u128 {
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl FixedInt for i128 {
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl<T: FixedInt> FixedSum<T> {
    pub(super) const SCALE: f64 = 1e12;

    /// Adds another sum.
    pub fn absorb(&mut self, other: FixedSum<T>) {
        self.0 += other.0;
    }

    /// The sum divided by `n` (0 when n = 0).
    pub fn mean(self, n: u64) -> f64 {
        if n == 0 {
            0.0
        } else {
            self.0.to_f64() / Self::SCALE / n as f64
        }
    }
}

/// A sum of non-negative reals.
pub type Fixed = FixedSum<u128>;

impl Fixed {
    /// Adds `x` (clamped at 0, rounded to 1e-12).
    pub fn add(&mut self, x: f64) {
        self.0 += (x.max(0.0) * Self::SCALE).round() as u128;
    }
}

/// JSON numbers cannot hold every 128-bit integer: write them as decimal text.
pub(crate) mod int_text {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<T: Display, S: Serializer>(x: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&x.to_string())
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Distribution of one tracked dyad's outcomes across the runs of one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DyadSummary {
    /// Runs folded in.
    pub runs: u64,
    /// Stage at month 0 (the same in every run).
    pub initial_stage: u8,
    /// Per stage, counts of runs by first-reach month (length horizon + 1).
    pub reach: Vec<Vec<u32>>,
    /// Runs ending at each stage.
    pub final_stage: [u64; MAX_RUNGS],
    /// Sum of final trust a -> b.
    pub trust_ab_sum: Fixed,
    /// Sum of final trust b -> a.
    pub trust_ba_sum: Fixed,
}

impl DyadSummary {
    /// An empty summary for a ladder of `rungs` over `horizon` months.
    pub fn new(rungs: usize, horizon: u32) -> DyadSummary {
        DyadSummary {
            runs: 0,
            initial_stage: 0,
            reach: vec![vec![0; horizon as usize + 1]; rungs],
            final_stage: [0; MAX_RUNGS],
            trust_ab_sum: Fixed::default(),
            trust_ba_sum: Fixed::default(),
        }
    }

    /// Folds in one run.
    pub fn add(&mut self, d: &DyadOutcome) {
        self.runs += 1;
        self.initial_stage = d.initial_stage;
        for (s, hist) in self.reach.iter_mut().enumerate() {
            if let Some(m) = d.first_reach[s] {
                hist[m as usize] += 1;
            }
        }
        self.final_stage[d.final_stage as usize] += 1;
        self.trust_ab_sum.add(d.final_trust_ab);
        self.trust_ba_sum.add(d.final_trust_ba);
    }

    /// Adds another summary of the same dyad (another shard of the runs).
    pub fn absorb(&mut self, other: &DyadSummary) {
        self.runs += other.runs;
        self.initial_stage = other.initial_stage;
        for (mine, theirs) in self.reach.iter_mut().zip(&other.reach) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
        for (a, b) in self.final_stage.iter_mut().zip(&other.final_stage) {
            *a += b;
        }
        self.trust_ab_sum.absorb(other.trust_ab_sum);
        self.trust_ba_sum.absorb(other.trust_ba_sum);
    }

    /// Share of runs that reached `stage` by month `month` (inclusive).
    pub fn share_by(&self, stage: usize, month: u32) -> f64 {
        self.reached_by(stage, month) as f64 / self.runs.max(1) as f64
    }

    /// Runs that reached `stage` by month `month` (inclusive).
    pub fn reached_by(&self, stage: usize, month: u32) -> u64 {
        let hist = &self.reach[stage];
        let end = (month as usize + 1).min(hist.len());
        hist[..end].iter().map(|&c| c as u64).sum()
    }

    /// The 95 % Wilson interval of [`DyadSummary::share_by`].
    pub fn interval_by(&self, stage: usize, month: u32) -> (f64, f64) {
        crate::stats::proportion::wilson(self.reached_by(stage, month), self.runs)
    }

    /// Quantile of first-reach months among runs that reached `stage`.
    pub fn months_quantile(&self, stage: usize, q: f64) -> Option<u32> {
        nearest_rank_counts(&self.reach[stage], q).map(|m| m as u32)
    }
}

/// Per-month distributions of a tracked dyad across runs, as histograms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesSummary {
    rungs: usize,
    /// Per month: stage counts (rungs), trust a->b (TRUST_BINS), trust b->a, net cooperation (COOP_BINS).
    counts: Vec<u32>,
    stage_sum: Vec<u64>,
}

/// Trust histogram resolution: bins of 0.001 over [0, 1].
pub const TRUST_BINS: usize = 1001;
/// Net cooperation resolution: bins of 0.05 over [-10, 10].
pub const COOP_BINS: usize = 401;

/// One month of one tracked dyad as [`SeriesSummary`] bins it: all a worker
/// keeps of a run's monthly row when only the summary is wanted (8 bytes
/// where the row takes 20; the rows of a chunk of runs in flight are most of
/// the memory a summarised batch needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthBins {
    stage: u16,
    trust_ab: u16,
    trust_ba: u16,
    net_cooperation: u16,
}

impl MonthBins {
    /// The bins of one monthly row.
    pub fn of(r: &TickRecord) -> MonthBins {
        let trust_bin = |t: f32| (t.clamp(0.0, 1.0) as f64 * 1000.0).round() as u16;
        MonthBins {
            stage: r.stage as u16,
            trust_ab: trust_bin(r.trust_ab),
            trust_ba: trust_bin(r.trust_ba),
            net_cooperation: ((r.net_cooperation.clamp(-10.0, 10.0) as f64 + 10.0) * 20.0).round() as u16,
        }
    }
}

/// Quantiles of one month of one dyad.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthBands {
    /// Mean stage.
    pub stage_mean: f64,
    /// 10th, 50th, 90th percentile of the stage.
    pub stage: [f64; 3],
    /// Percentiles of a's trust in b.
    pub trust_ab: [f64; 3],
    /// Percentiles of b's trust in a.
    pub trust_ba: [f64; 3],
    /// Percentiles of net cooperation.
    pub net_cooperation: [f64; 3],
}

/// The three quantiles reported in bands.
pub const BAND_QUANTILES: [f64; 3] = [0.1, 0.5, 0.9];

impl SeriesSummary {
    fn stride(&self) -> usize {
        self.rungs + 2 * TRUST_BINS + COOP_BINS
    }

    /// An empty summary.
    pub fn new(rungs: usize, horizon: u32) -> SeriesSummary {
        let months = horizon as usize + 1;
        SeriesSummary {
            rungs,
            counts: vec![0; months * (rungs + 2 * TRUST_BINS + COOP_BINS)],
            stage_sum: vec![0; months],
        }
    }

    /// Folds in one month of one run.
    pub fn add(&mut self, month: u32, b: &MonthBins) {
        let base = month as usize * self.stride();
        self.counts[base + b.stage as usize] += 1;
        self.counts[base + self.rungs + b.trust_ab as usize] += 1;
        self.counts[base + self.rungs + TRUST_BINS + b.trust_ba as usize] += 1;
        self.counts[base + self.rungs + 2 * TRUST_BINS + b.net_cooperation as usize] += 1;
        self.stage_sum[month as usize] += b.stage as u64;
    }

    /// Adds another summary of the same dyad.
    pub fn absorb(&mut self, other: &SeriesSummary) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.stage_sum.iter_mut().zip(&other.stage_sum) {
            *a += b;
        }
    }

    /// Number of months covered.
    pub fn months(&self) -> usize {
        self.stage_sum.len()
    }

    /// Bands of month `m`, or None if no run reached it.
    pub fn bands(&self, m: usize) -> Option<MonthBands> {
        let base = m * self.stride();
        let stage = &self.counts[base..base + self.rungs];
        let n: u64 = stage.iter().map(|&c| c as u64).sum();
        if n == 0 {
            return None;
        }
        let ab = &self.counts[base + self.rungs..base + self.rungs + TRUST_BINS];
        let ba = &self.counts[base + self.rungs + TRUST_BINS..base + self.rungs + 2 * TRUST_BINS];
        let coop = &self.counts[base + self.rungs + 2 * TRUST_BINS..base + self.stride()];
        let q = |h: &[u32], scale: f64, offset: f64| {
            BAND_QUANTILES.map(|p| nearest_rank_counts(h, p).map_or(f64::NAN, |b| b as f64 * scale + offset))
        };
        Some(MonthBands {
            stage_mean: self.stage_sum[m] as f64 / n as f64,
            stage: q(stage, 1.0, 0.0),
            trust_ab: q(ab, 0.001, 0.0),
            trust_ba: q(ba, 0.001, 0.0),
            net_cooperation: q(coop, 0.05, -10.0),
        })
    }
}

/// Outcome totals of one armed group across runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Runs folded in.
    pub runs: u64,
    /// Sum of attacks.
    pub attacks_sum: u64,
    /// Sum of peak strengths.
    pub peak_sum: Fixed,
    /// Sum of final strengths.
    pub final_sum: Fixed,
}

/// Everything aggregated for one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSummary {
    /// One per tracked dyad.
    pub dyads: Vec<DyadSummary>,
    /// One per tracked dyad, when series are summarised.
    pub series: Vec<SeriesSummary>,
    /// One per armed group.
    pub groups: Vec<GroupSummary>,
    /// The decisions behind the tracked dyads' paths (empty unless recorded).
    #[serde(default)]
    pub why: super::why::WhySummary,
}

impl JobSummary {
    /// An empty summary for `dyads` tracked dyads and `groups` armed groups.
    pub fn new(dyads: usize, groups: usize, rungs: usize, horizon: u32, series: bool) -> JobSummary {
        JobSummary {
            dyads: (0..dyads).map(|_| DyadSummary::new(rungs, horizon)).collect(),
            series: if series {
                (0..dyads).map(|_| SeriesSummary::new(rungs, horizon)).collect()
            } else {
                Vec::new()
            },
            groups: vec![GroupSummary::default(); groups],
            why: super::why::WhySummary::default(),
        }
    }

    /// Folds in one run (call in replicate order); `bins` are its monthly
    /// rows binned ([`MonthBins::of`]) in the order the run records them:
    /// month by month, the tracked dyads in order within a month.
    pub fn add(&mut self, outcome: &RunOutcome, bins: &[MonthBins]) {
        for (s, d) in self.dyads.iter_mut().zip(&outcome.dyads) {
            s.add(d);
        }
        for (s, g) in self.groups.iter_mut().zip(&outcome.groups) {
            s.runs += 1;
            s.attacks_sum += g.attacks as u64;
            s.peak_sum.add(g.peak_strength);
            s.final_sum.add(g.final_strength);
        }
        let dyads = self.series.len();
        if dyads > 0 {
            for (i, b) in bins.iter().enumerate() {
                self.series[i % dyads].add((i / dyads) as u32, b);
            }
        }
    }

    /// Adds the summary of another slice of the same job's runs.
    pub fn absorb(&mut self, other: &JobSummary) {
        for (a, b) in self.dyads.iter_mut().zip(&other.dyads) {
            a.absorb(b);
        }
        for (a, b) in self.series.iter_mut().zip(&other.series) {
            a.absorb(b);
        }
        for (a, b) in self.groups.iter_mut().zip(&other.groups) {
            a.runs += b.runs;
            a.attacks_sum += b.attacks_sum;
            a.peak_sum.absorb(b.peak_sum);
            a.final_sum.absorb(b.final_sum);
        }
        self.why.absorb(&other.why);
    }
}
