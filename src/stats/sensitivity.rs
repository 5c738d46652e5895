//! Global sensitivity analysis of scenario outputs: variance-based Sobol'
//! indices from a Saltelli design and Morris elementary effects from a
//! trajectory design, each with bootstrap percentile intervals so a report can
//! say how far an index can be trusted.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::design::{MorrisDesign, SaltelliLayout};
use super::quantile::{mean, percentile_ci95, sample_sd};
use super::StatsError;

/// First-order and total Sobol' index of one factor with 95 % bootstrap
/// percentile intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SobolIndex {
    /// First-order index `S_i`: share of output variance explained by the
    /// factor alone.
    pub first_order: f64,
    /// 95 % bootstrap percentile interval of `S_i`.
    pub first_order_ci: (f64, f64),
    /// Total index `ST_i`: share of variance involving the factor, including
    /// all its interactions.
    pub total: f64,
    /// 95 % bootstrap percentile interval of `ST_i`.
    pub total_ci: (f64, f64),
}

/// Sobol' indices from the outputs of a [`crate::stats::design::saltelli`]
/// design, `outputs[k]` being the model's value at point `k`.
///
/// * First order, Saltelli et al. (2010):
///   `S_i = mean_j(f(B_j) (f(A_B^i_j) - f(A_j))) / V`.
/// * Total, Jansen (1999): `ST_i = mean_j((f(A_j) - f(A_B^i_j))^2) / (2 V)`.
/// * `V` is the population variance (divisor `2N`) of `f(A)` and `f(B)`
///   pooled, as in SALib.
///
/// Intervals come from `n_bootstrap` resamples of the base rows with
/// replacement (all factors share each resample), then the 2.5 % and 97.5 %
/// percentiles. A resample whose pooled `f(A)`, `f(B)` values are all equal
/// has no variance to apportion and is left out; if every resample is, the
/// interval is `(NaN, NaN)`. Estimates are not clamped to `[0, 1]`: sampling
/// error can push a near-zero index slightly negative.
///
/// Errors: [`StatsError::ZeroVariance`] when `f(A)` and `f(B)` are all equal
/// (the indices would be 0/0), [`StatsError::NonFinite`] for NaN or infinite
/// outputs, [`StatsError::LengthMismatch`] when `outputs` does not match the
/// layout, and [`StatsError::InvalidArgument`] for an empty layout or zero
/// bootstrap resamples.
pub fn sobol_indices(
    layout: &SaltelliLayout,
    outputs: &[f64],
    n_bootstrap: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<SobolIndex>, StatsError> {
    if layout.n_base == 0 || layout.n_factors == 0 {
        return Err(StatsError::InvalidArgument(format!(
            "Saltelli layout must have base rows and factors, got N = {}, d = {}",
            layout.n_base, layout.n_factors
        )));
    }
    if n_bootstrap == 0 {
        return Err(StatsError::InvalidArgument("n_bootstrap must be at least 1".into()));
    }
    check_outputs(outputs, layout.n_points())?;

    let all_rows: Vec<usize> = (0..layout.n_base).collect();
    let point = saltelli_estimate(layout, outputs, &all_rows).ok_or(StatsError::ZeroVariance)?;

    let d = layout.n_factors;
    let mut first_samples = vec![Vec::with_capacity(n_bootstrap); d];
    let mut total_samples = vec![Vec::with_capacity(n_bootstrap); d];
    let mut rows = vec![0; layout.n_base];
    for _ in 0..n_bootstrap {
        for r in rows.iter_mut() {
            *r = rng.random_range(0..layout.n_base);
        }
        if let Some(estimate) = saltelli_estimate(layout, outputs, &rows) {
            for (i, &(s1, st)) in estimate.iter().enumerate() {
                first_samples[i].push(s1);
                total_samples[i].push(st);
            }
        }
    }

    Ok(point
        .iter()
        .zip(first_samples.iter().zip(&total_samples))
        .map(|(&(first_order, total), (fs, ts))| SobolIndex {
            first_order,
            first_order_ci: interval(fs),
            total,
            total_ci: interval(ts),
        })
        .collect())
}

/// `(S_i, ST_i)` for every factor over the given base rows (repeats allowed),
/// or `None` when the pooled `f(A)`, `f(B)` values do not vary.
fn saltelli_estimate(layout: &SaltelliLayout, outputs: &[f64], rows: &[usize]) -> Option<Vec<(f64, f64)>> {
    let n = rows.len() as f64;
    let pooled = || rows.iter().flat_map(|&j| [outputs[layout.a(j)], outputs[layout.b(j)]]);
    // Callers pass at least one row (n_base >= 1 is checked up front).
    let first = outputs[layout.a(rows[0])];
    // Testing equality instead of V == 0 because the two-pass variance of a
    // constant can come out as a tiny positive number from rounding in the
    // mean, which would turn 0/0 into garbage instead of an error.
    if pooled().all(|v| v == first) {
        return None;
    }
    let m = pooled().sum::<f64>() / (2.0 * n);
    let var = pooled().map(|v| (v - m) * (v - m)).sum::<f64>() / (2.0 * n);
    Some(
        (0..layout.n_factors)
            .map(|i| {
                let mut first_sum = 0.0;
                let mut total_sum = 0.0;
                for &j in rows {
                    let fa = outputs[layout.a(j)];
                    let fb = outputs[layout.b(j)];
                    let fab = outputs[layout.ab(j, i)];
                    first_sum += fb * (fab - fa);
                    total_sum += (fa - fab) * (fa - fab);
                }
                (first_sum / n / var, total_sum / (2.0 * n) / var)
            })
            .collect(),
    )
}

/// Morris screening measures of one factor, with elementary effects on the
/// unit scale of the design (multiply a physical range in to get per-unit
/// effects, or equivalently evaluate the model on physical values, which is
/// what makes `mu_star` come out as slope times range).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisEffect {
    /// Mean elementary effect; effects of opposite sign cancel.
    pub mu: f64,
    /// Mean absolute elementary effect (Campolongo et al. 2007), the usual
    /// importance ranking measure.
    pub mu_star: f64,
    /// Sample standard deviation (`r - 1` divisor) of the elementary effects:
    /// large values flag non-linearity or interactions.
    pub sigma: f64,
    /// 95 % bootstrap percentile interval of `mu_star`.
    pub mu_star_ci: (f64, f64),
}

/// Morris elementary effects `EE = (f(x_next) - f(x)) / delta` for every step
/// of a [`crate::stats::design::morris`] design, summarised per factor.
///
/// The interval for `mu_star` resamples whole trajectories with replacement
/// (`n_bootstrap` times, shared by all factors) and takes the 2.5 % and
/// 97.5 % percentiles.
///
/// Errors: fewer than two trajectories (no `sigma`), a design whose
/// trajectories do not move each factor exactly once by a finite non-zero
/// step, zero bootstrap resamples ([`StatsError::InvalidArgument`]); an
/// `outputs` length different from the point count
/// ([`StatsError::LengthMismatch`]); NaN or infinite outputs
/// ([`StatsError::NonFinite`]).
pub fn morris_effects(
    design: &MorrisDesign,
    outputs: &[f64],
    n_bootstrap: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<MorrisEffect>, StatsError> {
    let (r, d) = (design.n_trajectories, design.n_factors);
    if n_bootstrap == 0 {
        return Err(StatsError::InvalidArgument("n_bootstrap must be at least 1".into()));
    }
    if design.points.len() != r * (d + 1) {
        return Err(StatsError::LengthMismatch {
            what: "design points",
            expected: r * (d + 1),
            actual: design.points.len(),
        });
    }
    if design.steps.len() != r * d {
        return Err(StatsError::LengthMismatch {
            what: "design steps",
            expected: r * d,
            actual: design.steps.len(),
        });
    }
    check_outputs(outputs, design.points.len())?;

    // effects[t][i]: elementary effect of factor i in trajectory t.
    let mut effects = vec![vec![f64::NAN; d]; r];
    for (t, row) in effects.iter_mut().enumerate() {
        for k in 0..d {
            let step = design.steps[t * d + k];
            let valid =
                step.factor < d && row[step.factor].is_nan() && step.delta.is_finite() && step.delta != 0.0;
            if !valid {
                return Err(StatsError::InvalidArgument(format!(
                    "trajectory {t} step {k} (factor {}, delta {}) does not move a fresh factor by a finite non-zero step",
                    step.factor, step.delta
                )));
            }
            let at = t * (d + 1) + k;
            row[step.factor] = (outputs[at + 1] - outputs[at]) / step.delta;
        }
    }

    // Point summaries first: sample_sd is where fewer than two trajectories
    // shows up, and failing there spares the bootstrap.
    let mut summaries = Vec::with_capacity(d);
    for i in 0..d {
        let ee: Vec<f64> = effects.iter().map(|row| row[i]).collect();
        let abs: Vec<f64> = ee.iter().map(|e| e.abs()).collect();
        match (mean(&ee), mean(&abs), sample_sd(&ee)) {
            (Some(mu), Some(mu_star), Some(sigma)) => summaries.push((mu, mu_star, sigma)),
            _ => {
                return Err(StatsError::InvalidArgument(format!(
                    "Morris effects need at least 2 trajectories, got {r}"
                )))
            }
        }
    }

    let mut boot_mu_star = vec![Vec::with_capacity(n_bootstrap); d];
    let mut picks = vec![0; r];
    for _ in 0..n_bootstrap {
        for p in picks.iter_mut() {
            *p = rng.random_range(0..r);
        }
        for (i, samples) in boot_mu_star.iter_mut().enumerate() {
            samples.push(picks.iter().map(|&t| effects[t][i].abs()).sum::<f64>() / r as f64);
        }
    }

    Ok(summaries
        .into_iter()
        .zip(&boot_mu_star)
        .map(|((mu, mu_star, sigma), boot)| MorrisEffect { mu, mu_star, sigma, mu_star_ci: interval(boot) })
        .collect())
}

/// Length and finiteness checks shared by both estimators.
fn check_outputs(outputs: &[f64], expected: usize) -> Result<(), StatsError> {
    if outputs.len() != expected {
        return Err(StatsError::LengthMismatch { what: "outputs", expected, actual: outputs.len() });
    }
    match outputs.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NonFinite { what: "outputs", index }),
        None => Ok(()),
    }
}

/// Percentile interval, `(NaN, NaN)` when no replicate survived.
fn interval(samples: &[f64]) -> (f64, f64) {
    percentile_ci95(samples).unwrap_or((f64::NAN, f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::design::{morris, saltelli, MorrisStep};
    use rand::SeedableRng;
    use std::f64::consts::PI;

    fn ishigami(x: &[f64]) -> f64 {
        // Unit cube onto [-pi, pi]^3; a = 7, b = 0.1.
        let [x1, x2, x3] = [0, 1, 2].map(|k| -PI + 2.0 * PI * x[k]);
        x1.sin() + 7.0 * x2.sin().powi(2) + 0.1 * x3.powi(4) * x1.sin()
    }

    #[test]
    fn ishigami_sobol_indices_match_literature() {
        // Analytic values, e.g. Saltelli et al. (2008), Global Sensitivity
        // Analysis: The Primer, section 4.
        let s1 = [0.3139, 0.4424, 0.0];
        let st = [0.5576, 0.4424, 0.2437];
        let mut rng = ChaCha8Rng::seed_from_u64(2024);
        let design = saltelli(4096, 3, Some(&mut rng)).unwrap();
        let outputs: Vec<f64> = design.points.iter().map(|p| ishigami(p)).collect();
        let indices = sobol_indices(&design.layout, &outputs, 300, &mut rng).unwrap();
        for (i, idx) in indices.iter().enumerate() {
            println!(
                "x{}: S1 = {:.4} [{:.4}, {:.4}], ST = {:.4} [{:.4}, {:.4}]",
                i + 1,
                idx.first_order,
                idx.first_order_ci.0,
                idx.first_order_ci.1,
                idx.total,
                idx.total_ci.0,
                idx.total_ci.1
            );
            assert!((idx.first_order - s1[i]).abs() < 0.03, "S1 x{}", i + 1);
            assert!((idx.total - st[i]).abs() < 0.03, "ST x{}", i + 1);
            let (lo, hi) = idx.first_order_ci;
            assert!(lo <= s1[i] && s1[i] <= hi, "S1 CI x{}", i + 1);
            let (lo, hi) = idx.total_ci;
            assert!(lo <= st[i] && st[i] <= hi, "ST CI x{}", i + 1);
        }
    }

    #[test]
    fn additive_model_has_equal_first_and_total_indices() {
        // f = x0 + 2 x1 on the unit square: V = 1/12 + 4/12, so S = (0.2, 0.8)
        // and, with no interaction, ST = S.
        let design = saltelli(1024, 2, None).unwrap();
        let outputs: Vec<f64> = design.points.iter().map(|p| p[0] + 2.0 * p[1]).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let indices = sobol_indices(&design.layout, &outputs, 50, &mut rng).unwrap();
        for (idx, want) in indices.iter().zip([0.2, 0.8]) {
            assert!((idx.first_order - want).abs() < 0.01, "{idx:?}");
            assert!((idx.total - want).abs() < 0.01, "{idx:?}");
        }
    }

    #[test]
    fn constant_output_is_a_zero_variance_error() {
        let design = saltelli(64, 2, None).unwrap();
        // 0.1 does not average back to itself exactly, so this also guards
        // against a rounding-sized variance slipping through.
        let outputs = vec![0.1; design.points.len()];
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert_eq!(sobol_indices(&design.layout, &outputs, 10, &mut rng), Err(StatsError::ZeroVariance));
    }

    #[test]
    fn degenerate_bootstrap_resamples_are_skipped() {
        // Two base rows, one factor. Row 0: f(A) = f(B) = 1, f(A_B) = 3;
        // row 1: f(A) = f(B) = 2, f(A_B) = 2. V = 0.25;
        // S = mean(fb (fab - fa)) / V = ((1 * 2) + 0) / 2 / 0.25 = 4,
        // ST = mean((fa - fab)^2) / 2 / V = (4 / 2) / 2 / 0.25 = 4.
        // A resample drawing one row twice has no variance and is skipped,
        // so every surviving resample reproduces the estimate exactly.
        let layout = SaltelliLayout { n_base: 2, n_factors: 1 };
        let outputs = [1.0, 1.0, 3.0, 2.0, 2.0, 2.0];
        let mut saw_all_skipped = false;
        for seed in 0..32 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let idx = sobol_indices(&layout, &outputs, 1, &mut rng).unwrap()[0];
            assert_eq!((idx.first_order, idx.total), (4.0, 4.0));
            if idx.first_order_ci.0.is_nan() {
                saw_all_skipped = true;
                assert!(idx.total_ci.0.is_nan() && idx.total_ci.1.is_nan());
            } else {
                assert_eq!(idx.first_order_ci, (4.0, 4.0));
                assert_eq!(idx.total_ci, (4.0, 4.0));
            }
        }
        assert!(saw_all_skipped);
    }

    #[test]
    fn sobol_indices_validate_input() {
        let design = saltelli(8, 2, None).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut outputs: Vec<f64> = (0..design.points.len()).map(|k| k as f64).collect();
        assert!(matches!(
            sobol_indices(&design.layout, &outputs[1..], 10, &mut rng),
            Err(StatsError::LengthMismatch { expected: 32, actual: 31, .. })
        ));
        assert!(matches!(
            sobol_indices(&design.layout, &outputs, 0, &mut rng),
            Err(StatsError::InvalidArgument(_))
        ));
        let empty = SaltelliLayout { n_base: 0, n_factors: 2 };
        assert!(matches!(sobol_indices(&empty, &[], 10, &mut rng), Err(StatsError::InvalidArgument(_))));
        outputs[5] = f64::NAN;
        assert_eq!(
            sobol_indices(&design.layout, &outputs, 10, &mut rng),
            Err(StatsError::NonFinite { what: "outputs", index: 5 })
        );
    }

    #[test]
    fn morris_on_linear_model_recovers_slopes_times_range() {
        // Inputs mapped onto [-5, 5] (range 10): f = 2 x1 + 0.5 x2 + 0 x3, so
        // every elementary effect is slope * range whatever the direction.
        let range = 10.0;
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let design = morris(30, 3, 4, &mut rng).unwrap();
        let outputs: Vec<f64> = design
            .points
            .iter()
            .map(|p| {
                let x: Vec<f64> = p.iter().map(|u| -5.0 + range * u).collect();
                2.0 * x[0] + 0.5 * x[1] + 0.0 * x[2]
            })
            .collect();
        let effects = morris_effects(&design, &outputs, 100, &mut rng).unwrap();
        for (e, want) in effects.iter().zip([2.0 * range, 0.5 * range, 0.0]) {
            assert!((e.mu_star - want).abs() < 1e-9, "{e:?}");
            assert!((e.mu - want).abs() < 1e-9, "{e:?}");
            assert!(e.sigma < 1e-9, "{e:?}");
            assert!((e.mu_star_ci.0 - want).abs() < 1e-9 && (e.mu_star_ci.1 - want).abs() < 1e-9);
        }
    }

    #[test]
    fn morris_on_ishigami_matches_grid_expectations() {
        // With p = 4 the levels are -pi, -pi/3, pi/3, pi and Δ = 2/3, so:
        // * |EE_2| = 7 * |sin^2 step| / Δ = 7 * 0.75 * 1.5 = 7.875 for every
        //   step, while its sign depends on direction (mu_2 ~ 0, sigma_2 > 0);
        // * E|EE_1| = (√3/2)(1 + 0.1 E[x3^4]) * 1.5 = 7.704, with
        //   E[x3^4] = (pi^4 + (pi/3)^4) / 2;
        // * E|EE_3| = 0.1 E|sin x1| (pi^4 - (pi/3)^4) * 1.5 = 6.249 with
        //   E|sin x1| = √3/4, and E[EE_3] = 0 by symmetry: x3 acts only
        //   through its interaction with x1.
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let design = morris(200, 3, 4, &mut rng).unwrap();
        let outputs: Vec<f64> = design.points.iter().map(|p| ishigami(p)).collect();
        let e = morris_effects(&design, &outputs, 200, &mut rng).unwrap();
        let x4 = (PI.powi(4) + (PI / 3.0).powi(4)) / 2.0;
        let mu_star_1 = 3f64.sqrt() / 2.0 * (1.0 + 0.1 * x4) * 1.5;
        let mu_star_3 = 0.1 * 3f64.sqrt() / 4.0 * (PI.powi(4) - (PI / 3.0).powi(4)) * 1.5;
        for (i, ei) in e.iter().enumerate() {
            println!("Ishigami Morris x{}: {ei:?}", i + 1);
        }
        assert!((e[1].mu_star - 7.875).abs() < 1e-9);
        assert!(e[1].mu.abs() < 2.0 && e[1].sigma > 7.0);
        assert!((e[0].mu_star - mu_star_1).abs() < 1.5);
        assert!((e[2].mu_star - mu_star_3).abs() < 1.5);
        assert!(e[2].mu.abs() < 2.5 && e[2].sigma > 5.0);
        assert!(e[1].mu_star > e[2].mu_star && e[0].mu_star > e[2].mu_star);
        for (ei, truth) in e.iter().zip([mu_star_1, 7.875, mu_star_3]) {
            // x2's interval is degenerate at 7.875, so allow for rounding.
            let (lo, hi) = ei.mu_star_ci;
            assert!(lo - 1e-9 <= truth && truth <= hi + 1e-9, "{ei:?}");
        }
    }

    #[test]
    fn morris_interaction_gives_positive_sigma() {
        // f = x1 x2: EE_1 = x2, which varies over the trajectories.
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let design = morris(40, 2, 4, &mut rng).unwrap();
        let outputs: Vec<f64> = design.points.iter().map(|p| p[0] * p[1]).collect();
        let e = morris_effects(&design, &outputs, 50, &mut rng).unwrap();
        assert!(e[0].sigma > 0.1 && e[1].sigma > 0.1, "{e:?}");
    }

    #[test]
    fn morris_effects_validate_input() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let design = morris(3, 2, 4, &mut rng).unwrap();
        let outputs = vec![1.0; design.points.len()];
        assert!(matches!(
            morris_effects(&design, &outputs[1..], 10, &mut rng),
            Err(StatsError::LengthMismatch { what: "outputs", .. })
        ));
        assert!(matches!(
            morris_effects(&design, &outputs, 0, &mut rng),
            Err(StatsError::InvalidArgument(_))
        ));
        let single = morris(1, 2, 4, &mut rng).unwrap();
        assert!(matches!(
            morris_effects(&single, &[0.0; 3], 10, &mut rng),
            Err(StatsError::InvalidArgument(_))
        ));
        let mut twice = design.clone();
        twice.steps[1] = MorrisStep { factor: twice.steps[0].factor, delta: twice.delta };
        assert!(matches!(
            morris_effects(&twice, &outputs, 10, &mut rng),
            Err(StatsError::InvalidArgument(_))
        ));
        let mut short = design.clone();
        short.steps.pop();
        assert!(matches!(
            morris_effects(&short, &outputs, 10, &mut rng),
            Err(StatsError::LengthMismatch { what: "design steps", .. })
        ));
        let mut bad = outputs.clone();
        bad[2] = f64::INFINITY;
        assert!(matches!(
            morris_effects(&design, &bad, 10, &mut rng),
            Err(StatsError::NonFinite { index: 2, .. })
        ));
    }
}
