//! From swept outcomes to answers: ranked sensitivity indices per outcome,
//! and PRIM boxes stated as rules.
//!
//! Both are thin layers over `stats`: they pick the estimator the design's
//! structure calls for, derive bootstrap generators from one seed in a fixed
//! order, and rank or choose deterministically (ties keep parameter order).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{ExploreError, Structure};
use crate::stats::prim::{choose_box, describe_box, prim, PrimBox, PrimConfig};
use crate::stats::sensitivity::{morris_effects, sobol_indices};
use crate::stats::StatsError;

/// Bootstrap resamples behind every sensitivity interval.
pub const BOOTSTRAP: usize = 500;

/// One parameter's importance for one outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityRow {
    /// Outcome name.
    pub outcome: String,
    /// Parameter key path.
    pub parameter: String,
    /// The parameter's column in the design.
    pub parameter_index: usize,
    /// 1 = most influential for this outcome; `None` when the outcome did not
    /// vary over the design (no index is defined).
    pub rank: Option<usize>,
    /// `morris` or `sobol`.
    pub method: &'static str,
    /// Morris mean absolute elementary effect and its 95 % bootstrap interval.
    pub mu_star: Option<(f64, f64, f64)>,
    /// Morris standard deviation of the elementary effects.
    pub sigma: Option<f64>,
    /// Sobol' first-order index and its 95 % bootstrap interval.
    pub first_order: Option<(f64, f64, f64)>,
    /// Sobol' total index and its 95 % bootstrap interval.
    pub total: Option<(f64, f64, f64)>,
    /// Morris mean elementary effect, signed (effects of opposite sign cancel).
    pub mu: Option<f64>,
    /// Spearman rank correlation between the parameter's value and the
    /// outcome over the design points: the direction of its effect.
    pub spearman: Option<f64>,
    /// What the outcome is and how much data carries it.
    pub base: OutcomeBase,
    /// Why the row should be read with care (empty: no reason found).
    pub warning: String,
}

/// The outcome behind a block of sensitivity rows: its mean over all runs
/// and, for a yes/no outcome, the runs where it happened.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutcomeBase {
    /// Runs over the whole design.
    pub runs: u64,
    /// Mean of the outcome over every run: for a yes/no outcome its base rate.
    pub mean: f64,
    /// For a yes/no outcome, the runs where it happened.
    pub positive_runs: Option<u64>,
}

/// Fewer runs than this where a yes/no outcome happened, and its
/// sensitivity indices or PRIM box rest on too little to be trusted.
pub const MIN_POSITIVE_RUNS: u64 = 50;

/// Direction words for a rank correlation: `raises` (higher values, higher
/// outcome), `lowers`, or `unclear` when it is within ±0.05 of zero.
pub fn direction(spearman: Option<f64>) -> &'static str {
    match spearman {
        Some(r) if r > 0.05 => "raises",
        Some(r) if r < -0.05 => "lowers",
        Some(_) => "unclear",
        None => "",
    }
}

/// Spearman rank correlation of two equally long samples (average ranks for
/// ties); `None` when either is constant or shorter than three.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 3 {
        return None;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// Ranks from 1, ties sharing their average rank.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]).then(a.cmp(&b)));
    let mut out = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = rank;
        }
        i = j + 1;
    }
    out
}

/// Fills in what makes the indices readable: each parameter's direction
/// (Spearman over the design points, `values[p][k]` being parameter `k` at
/// point `p`), the outcome's base, and warnings for a yes/no outcome seen in
/// fewer than [`MIN_POSITIVE_RUNS`] runs and for Sobol' indices above 1.
/// `binary[o]` says whether outcome `o` is yes/no; each point mean covers
/// `replications` runs.
pub fn explain(
    rows: &mut [SensitivityRow],
    outcomes: &[String],
    outputs: &[Vec<f64>],
    binary: &[bool],
    values: &[Vec<f64>],
    replications: u64,
) {
    for (o, name) in outcomes.iter().enumerate() {
        let out = &outputs[o];
        let points = out.len() as u64;
        let runs = points * replications;
        let mean = crate::stats::quantile::mean(out).unwrap_or(f64::NAN);
        let positive_runs =
            binary[o].then(|| out.iter().map(|m| (m * replications as f64).round() as u64).sum::<u64>());
        let base = OutcomeBase { runs, mean, positive_runs };
        for r in rows.iter_mut().filter(|r| r.outcome == *name) {
            let xs: Vec<f64> = values.iter().map(|p| p[r.parameter_index]).collect();
            r.spearman = spearman(&xs, out);
            r.base = base.clone();
            let mut warnings = Vec::new();
            if let Some(pos) = positive_runs {
                if pos < MIN_POSITIVE_RUNS {
                    warnings.push(format!(
                        "only {pos} of {runs} runs have the outcome (fewer than {MIN_POSITIVE_RUNS}): the index rests on few runs (raise --points or --replications)"
                    ));
                }
            }
            let above = |t: Option<(f64, f64, f64)>| t.is_some_and(|t| t.0 > 1.0);
            if above(r.total) || above(r.first_order) {
                warnings.push(
                    "index above 1: a Sobol' index is a share of variance (at most 1), so this is sampling error (raise --points)"
                        .to_string(),
                );
            }
            r.warning = warnings.join("; ");
        }
    }
}

/// Sensitivity of each outcome (`outputs[o][p]`: outcome `o` at design point
/// `p`, the mean over that point's replications) to each parameter.
///
/// Sobol' designs give first-order and total indices (ranked by total),
/// Morris designs mu*, sigma (ranked by mu*). An outcome constant over the
/// design gets unranked rows with empty indices rather than an error: "this
/// outcome never moved" is an answer too. Each outcome's bootstrap draws from
/// its own generator, seeded from `seed` and the outcome's position.
pub fn sensitivity(
    structure: &Structure,
    parameters: &[String],
    outcomes: &[String],
    outputs: &[Vec<f64>],
    seed: u64,
) -> Result<Vec<SensitivityRow>, ExploreError> {
    let mut rows = Vec::new();
    for (o, (name, values)) in outcomes.iter().zip(outputs).enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(crate::engine::rng::mix(seed ^ o as u64));
        let row = |k: usize| SensitivityRow {
            outcome: name.clone(),
            parameter: parameters[k].clone(),
            parameter_index: k,
            rank: None,
            method: "",
            mu_star: None,
            sigma: None,
            first_order: None,
            total: None,
            mu: None,
            spearman: None,
            base: OutcomeBase::default(),
            warning: String::new(),
        };
        let mut block: Vec<(f64, SensitivityRow)> = match structure {
            Structure::Saltelli(layout) => match sobol_indices(layout, &centred(values), BOOTSTRAP, &mut rng)
            {
                Ok(indices) => indices
                    .iter()
                    .enumerate()
                    .map(|(k, ix)| {
                        let mut r = row(k);
                        r.method = "sobol";
                        r.first_order = Some((ix.first_order, ix.first_order_ci.0, ix.first_order_ci.1));
                        r.total = Some((ix.total, ix.total_ci.0, ix.total_ci.1));
                        (ix.total, r)
                    })
                    .collect(),
                Err(StatsError::ZeroVariance) => (0..parameters.len())
                    .map(|k| {
                        let mut r = row(k);
                        r.method = "sobol";
                        (f64::NAN, r)
                    })
                    .collect(),
                Err(e) => return Err(e.into()),
            },
            Structure::Morris(design) => morris_effects(design, values, BOOTSTRAP, &mut rng)?
                .iter()
                .enumerate()
                .map(|(k, e)| {
                    let mut r = row(k);
                    r.method = "morris";
                    r.mu_star = Some((e.mu_star, e.mu_star_ci.0, e.mu_star_ci.1));
                    r.sigma = Some(e.sigma);
                    r.mu = Some(e.mu);
                    (e.mu_star, r)
                })
                .collect(),
            Structure::Plain => {
                return Err(ExploreError::Invalid("sensitivity indices need a sobol or morris design".into()))
            }
        };
        // An outcome that never moved has nothing to rank (Morris effects
        // are then all exactly zero).
        let moved = block.iter().any(|(key, _)| key.is_finite() && *key != 0.0);
        if moved {
            // Stable sort, most important first: equal importance keeps
            // parameter order, undefined (NaN) indices go last.
            block.sort_by(|a, b| match (a.0.is_nan(), b.0.is_nan()) {
                (false, false) => b.0.total_cmp(&a.0),
                (false, true) => std::cmp::Ordering::Less,
                (true, false) => std::cmp::Ordering::Greater,
                (true, true) => std::cmp::Ordering::Equal,
            });
            for (rank, (_, r)) in block.iter_mut().enumerate() {
                r.rank = Some(rank + 1);
            }
        }
        rows.extend(block.into_iter().map(|(_, r)| r));
    }
    Ok(rows)
}

/// `values` minus their mean (summed in order). Sobol' indices do not change
/// when a constant is added to the output, but the first-order estimator's
/// sampling error grows with the output's distance from zero: months to a
/// stage (hundreds) would otherwise drown a variance of a few months.
fn centred(values: &[f64]) -> Vec<f64> {
    let m = crate::stats::quantile::mean(values).unwrap_or(0.0);
    values.iter().map(|v| v - m).collect()
}

/// A PRIM search and the box it settled on.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovery {
    /// Peeling (and pasting) trajectory, the full data box first.
    pub trajectory: Vec<PrimBox>,
    /// Index of the chosen box in `trajectory`.
    pub chosen: usize,
    /// The chosen box's restrictions as plain rules (`key >= 0.55`).
    pub rules: Vec<String>,
    /// `(min, max)` of each parameter over the runs.
    pub data_ranges: Vec<(f64, f64)>,
    /// Share of all runs where the outcome holds.
    pub base_rate: f64,
    /// Runs where the outcome holds.
    pub positive_runs: u64,
    /// Why the box should be read with care (empty: no reason found).
    pub warning: String,
}

/// Smallest coverage a chosen box must keep.
pub const MIN_COVERAGE: f64 = 0.5;
/// Boxes within this much density of the densest eligible one count as
/// equally good, and the one with the most coverage wins (see
/// `stats::prim::choose_box`).
pub const DENSITY_TOLERANCE: f64 = 0.03;

/// Runs PRIM (peel 5 %, minimum mass 5 %, no pasting) on one row per run
/// (`x`: the run's parameter values) and chooses the densest box keeping at
/// least half the cases (with a 0.03 density tolerance in favour of
/// coverage).
pub fn discover(x: &[Vec<f64>], y: &[bool], names: &[String]) -> Result<Discovery, ExploreError> {
    let result = prim(x, y, &PrimConfig::default())?;
    let best = choose_box(&result.trajectory, MIN_COVERAGE, DENSITY_TOLERANCE)
        .ok_or_else(|| ExploreError::Invalid("no box keeps half of the cases".into()))?;
    let chosen = result.trajectory.iter().position(|b| std::ptr::eq(b, best)).unwrap_or(0);
    let rules = describe_box(best, names, &result.data_ranges)?;
    let positive_runs = y.iter().filter(|&&v| v).count() as u64;
    let base_rate = positive_runs as f64 / y.len() as f64;
    let warning = if positive_runs < MIN_POSITIVE_RUNS {
        format!(
            "only {positive_runs} of {} runs have the outcome (fewer than {MIN_POSITIVE_RUNS}): the box may fit noise; \
             raise --points or --replications",
            y.len()
        )
    } else {
        String::new()
    };
    Ok(Discovery {
        trajectory: result.trajectory,
        chosen,
        rules,
        data_ranges: result.data_ranges,
        base_rate,
        positive_runs,
        warning,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::design::saltelli;

    #[test]
    fn sobol_ranking_puts_the_dominant_factor_first() {
        let d = saltelli(256, 3, None).unwrap();
        let out: Vec<f64> = d.points.iter().map(|p| 0.1 * p[0] + 3.0 * p[1] + p[2]).collect();
        let flat = vec![1.0; d.points.len()];
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let rows = sensitivity(
            &Structure::Saltelli(d.layout),
            &names,
            &["y".to_string(), "flat".to_string()],
            &[out, flat],
            3,
        )
        .unwrap();
        assert_eq!(rows.len(), 6);
        assert_eq!((rows[0].parameter.as_str(), rows[0].rank), ("b", Some(1)));
        assert_eq!((rows[1].parameter.as_str(), rows[1].rank), ("c", Some(2)));
        assert!(rows[3..].iter().all(|r| r.rank.is_none() && r.total.is_none()));
    }

    #[test]
    fn spearman_gives_the_direction_and_handles_ties() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(spearman(&x, &[10.0, 20.0, 30.0, 45.0]), Some(1.0));
        assert_eq!(spearman(&x, &[4.0, 3.0, 3.0, 1.0]).map(|r| (r * 1e6).round() / 1e6), Some(-0.948683));
        assert_eq!(spearman(&x, &[1.0; 4]), None);
        assert_eq!(direction(Some(0.3)), "raises");
        assert_eq!(direction(Some(-0.3)), "lowers");
        assert_eq!(direction(Some(0.01)), "unclear");
    }

    #[test]
    fn explain_sets_the_base_rate_and_warns_on_few_positive_runs() {
        let d = saltelli(16, 2, None).unwrap();
        // A rare yes/no outcome: one point in 64 has it in half its runs.
        let mut y = vec![0.0; d.points.len()];
        y[0] = 0.5;
        let names = ["a".to_string(), "b".to_string()];
        let outcomes = ["rare".to_string()];
        let mut rows =
            sensitivity(&Structure::Saltelli(d.layout), &names, &outcomes, &[y.clone()], 1).unwrap();
        explain(&mut rows, &outcomes, &[y], &[true], &d.points, 4);
        assert_eq!(rows[0].base.positive_runs, Some(2));
        assert_eq!(rows[0].base.runs, 4 * d.points.len() as u64);
        assert!(rows.iter().all(|r| r.warning.contains("only 2 of")), "{:?}", rows[0].warning);
    }

    #[test]
    fn discovery_finds_a_threshold() {
        let x: Vec<Vec<f64>> =
            (0..200).map(|i| vec![f64::from(i) / 200.0, f64::from((i * 7) % 200) / 200.0]).collect();
        let y: Vec<bool> = x.iter().map(|r| r[0] > 0.6).collect();
        let d = discover(&x, &y, &["p".to_string(), "q".to_string()]).unwrap();
        assert_eq!(d.rules.len(), 1);
        assert!(d.rules[0].starts_with("p >= 0.6"), "{:?}", d.rules);
        assert_eq!(d.trajectory[d.chosen].density, 1.0);
    }
}
