//! Descriptive statistics for Monte Carlo replicates: sample quantiles, mean,
//! standard deviation and normal-approximation confidence intervals, plus the
//! percentile interval the bootstrap routines in `sensitivity` report.
//!
//! Every quantile of the tool is computed here, by one of two definitions
//! (Hyndman & Fan 1996), each where the other would be wrong:
//!
//! * **Definition 7**, linear interpolation between order statistics
//!   ([`quantile_sorted`], and [`percentile_ci95`] on it): for continuous
//!   values (timing errors in `compare`, median errors in `calibrate`,
//!   bootstrap intervals). It is the default of R and NumPy, so analysts
//!   reproduce the numbers.
//! * **Definition 1**, the inverse of the empirical distribution function or
//!   "nearest rank" ([`nearest_rank_counts`] on histograms,
//!   [`nearest_rank_weighted`] on weighted particles): the answer is always
//!   a value some run took. Months to a stage and monthly bands are whole
//!   months that must come out of integer histograms merged across shards,
//!   and a posterior quantile must be a particle's value with the particles'
//!   weights; interpolating would invent months no run had.

/// Two-sided 95 % standard-normal critical value used by [`mean_ci95`].
pub const Z95: f64 = 1.96;

/// Sample quantile of already sorted (ascending) data, Hyndman & Fan (1996)
/// definition 7: linear interpolation between order statistics at position
/// `h = (n - 1) q` (the default of R and NumPy).
///
/// Returns `None` when `sorted` is empty or `q` is not in `[0, 1]` (NaN
/// included). The slice is trusted to be sorted; NaNs in it propagate.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let frac = h - lo as f64;
    let below = sorted[lo];
    match sorted.get(lo + 1) {
        // Skipping the interpolation when frac == 0 keeps q = 0 and q = 1 exact
        // even next to an infinite neighbour.
        Some(&above) if frac > 0.0 => Some(below + frac * (above - below)),
        _ => Some(below),
    }
}

/// Nearest-rank quantile (definition 1) of a histogram: the smallest bin
/// whose cumulative count reaches `q` times the total (at least the first
/// observation). `None` for an empty histogram.
///
/// The rank is `ceil(q * total)` in floating point, so where `q * total`
/// rounds just above a whole number (0.1 * 30 = 3.0000000000000004) the
/// rank is one higher than exact arithmetic gives; `summary.csv` and the
/// bands in `timeseries.csv` have always been computed this way.
pub fn nearest_rank_counts(counts: &[u32], q: f64) -> Option<usize> {
    let total: u64 = counts.iter().map(|&c| c as u64).sum();
    if total == 0 {
        return None;
    }
    let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
    let mut cumulative = 0u64;
    for (bin, &c) in counts.iter().enumerate() {
        cumulative += c as u64;
        if cumulative >= rank {
            return Some(bin);
        }
    }
    None
}

/// Nearest-rank quantile (definition 1) of `values` with `weights`: the
/// smallest value whose cumulative weight reaches `q` of the total, less
/// 1e-12 so that float sums of the weights do not skip a value. `None` when
/// the weights sum to nothing.
pub fn nearest_rank_weighted(values: &[f64], weights: &[f64], q: f64) -> Option<f64> {
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

/// Arithmetic mean, summed in index order; `None` for an empty slice.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// Sample standard deviation with the unbiased `n - 1` divisor, computed in
/// two passes (mean first) to avoid the cancellation of the textbook
/// one-pass formula; `None` for fewer than two values.
pub fn sample_sd(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    let ss: f64 = values.iter().map(|v| (v - m) * (v - m)).sum();
    Some((ss / (values.len() - 1) as f64).sqrt())
}

/// Mean and its 95 % confidence interval `(mean, lo, hi)` from the normal
/// approximation `mean ± 1.96 · sd / √n`.
///
/// This is the large-sample interval: for a handful of replicates it is too
/// narrow (a Student-t quantile would be wider), which is accepted because
/// Monte Carlo runs here use tens of replicates or more. `None` for fewer than
/// two values.
pub fn mean_ci95(values: &[f64]) -> Option<(f64, f64, f64)> {
    let m = mean(values)?;
    let half = Z95 * sample_sd(values)? / (values.len() as f64).sqrt();
    Some((m, m - half, m + half))
}

/// Percentile interval `(q_0.025, q_0.975)` of bootstrap replicates, using
/// [`quantile_sorted`] on a sorted copy. `None` when `samples` is empty.
///
/// Sorting uses `f64::total_cmp`, so the result is defined for any input, but
/// callers should drop non-finite replicates first: NaNs sort to the ends and
/// would widen the interval meaninglessly.
pub fn percentile_ci95(samples: &[f64]) -> Option<(f64, f64)> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some((quantile_sorted(&sorted, 0.025)?, quantile_sorted(&sorted, 0.975)?))
}

/// Summary of a set of replicate values, as reported per scenario metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of values summarised.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (`n - 1` divisor).
    pub sd: f64,
    /// Lower end of the normal-approximation 95 % interval for the mean.
    pub ci_lo: f64,
    /// Upper end of the normal-approximation 95 % interval for the mean.
    pub ci_hi: f64,
}

impl Summary {
    /// Summarises `values`; `None` for fewer than two values, where the
    /// spread, and so the interval, is undefined.
    pub fn from_values(values: &[f64]) -> Option<Summary> {
        let sd = sample_sd(values)?;
        let (mean, ci_lo, ci_hi) = mean_ci95(values)?;
        Some(Summary { n: values.len(), mean, sd, ci_lo, ci_hi })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn type7_quantiles_match_r() {
        // R: quantile(c(1,2,3,4), c(0, .25, .5, 1)) -> 1, 1.75, 2.5, 4
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&x, 0.0), Some(1.0));
        assert!(close(quantile_sorted(&x, 0.25).unwrap(), 1.75));
        assert!(close(quantile_sorted(&x, 0.5).unwrap(), 2.5));
        assert_eq!(quantile_sorted(&x, 1.0), Some(4.0));
        // R: quantile(c(1,3,7,15), .9) -> 12.6
        assert!(close(quantile_sorted(&[1.0, 3.0, 7.0, 15.0], 0.9).unwrap(), 12.6));
        assert_eq!(quantile_sorted(&[5.0], 0.3), Some(5.0));
    }

    #[test]
    fn nearest_rank_of_a_histogram() {
        // Values 0, 1, 1, 2, 5 as a histogram.
        let h = [1, 2, 1, 0, 0, 1];
        assert_eq!(nearest_rank_counts(&h, 0.5), Some(1));
        assert_eq!(nearest_rank_counts(&h, 0.1), Some(0));
        assert_eq!(nearest_rank_counts(&h, 0.9), Some(5));
        assert_eq!(nearest_rank_counts(&h, 0.0), Some(0));
        assert_eq!(nearest_rank_counts(&[0, 0], 0.5), None);
    }

    #[test]
    fn nearest_rank_of_weighted_values() {
        let v = [3.0, 1.0, 2.0];
        let w = [1.0, 1.0, 2.0];
        assert_eq!(nearest_rank_weighted(&v, &w, 0.5), Some(2.0));
        assert_eq!(nearest_rank_weighted(&v, &w, 0.1), Some(1.0));
        assert_eq!(nearest_rank_weighted(&v, &w, 1.0), Some(3.0));
        assert_eq!(nearest_rank_weighted(&v, &[0.0; 3], 0.5), None);
    }

    #[test]
    fn quantile_rejects_empty_and_out_of_range() {
        assert_eq!(quantile_sorted(&[], 0.5), None);
        assert_eq!(quantile_sorted(&[1.0], -0.1), None);
        assert_eq!(quantile_sorted(&[1.0], 1.1), None);
        assert_eq!(quantile_sorted(&[1.0], f64::NAN), None);
    }

    #[test]
    fn mean_sd_and_interval_by_hand() {
        // Classic example: mean 5, sum of squares 32, var = 32/7.
        let x = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&x), Some(5.0));
        let sd = sample_sd(&x).unwrap();
        assert!(close(sd, (32.0f64 / 7.0).sqrt()));
        let (m, lo, hi) = mean_ci95(&x).unwrap();
        let half = 1.96 * (32.0f64 / 7.0).sqrt() / 8.0f64.sqrt();
        assert!(close(m, 5.0) && close(lo, 5.0 - half) && close(hi, 5.0 + half));
        assert!((half - 1.481_620_734_0).abs() < 1e-9);

        let s = Summary::from_values(&x).unwrap();
        assert_eq!(s.n, 8);
        assert!(close(s.sd, sd) && close(s.ci_lo, lo) && close(s.ci_hi, hi));
    }

    #[test]
    fn too_little_data_is_none() {
        assert_eq!(mean(&[]), None);
        assert_eq!(sample_sd(&[1.0]), None);
        assert_eq!(mean_ci95(&[1.0]), None);
        assert_eq!(Summary::from_values(&[1.0]), None);
        assert_eq!(percentile_ci95(&[]), None);
    }

    #[test]
    fn percentile_interval_of_unsorted_samples() {
        // 0..=100 shuffled by a fixed stride: q_0.025 = 2.5, q_0.975 = 97.5.
        let samples: Vec<f64> = (0..101).map(|i| ((i * 37) % 101) as f64).collect();
        let (lo, hi) = percentile_ci95(&samples).unwrap();
        assert!(close(lo, 2.5) && close(hi, 97.5));
    }
}
