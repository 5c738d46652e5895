//! Monte Carlo noise on shares and medians: how sure a count of runs makes
//! a probability, and whether two batches differ beyond chance.
//!
//! * [`wilson`]: the Wilson score interval of k successes in n runs (Wilson
//!   1927). Unlike the normal approximation it stays inside [0, 1] and is
//!   informative at k = 0: 0 of 1,000 runs gives [0, 0.38 %].
//! * [`newcombe`]: the interval of a difference of two shares from their
//!   Wilson intervals (Newcombe 1998, method 10).
//! * [`fisher_exact`]: the two-sided p-value of Fisher's exact test on a
//!   2 × 2 table (the sum of the hypergeometric probabilities of every table
//!   no more likely than the one observed), exact for rare outcomes where a
//!   z-test is not.
//! * [`median_interval`]: the distribution-free interval of a median from
//!   two order statistics (binomial ranks, normal approximation).
//! * [`holm`]: Holm's step-down adjustment of many p-values, which keeps the
//!   chance of any false flag in a whole table at or below the level under
//!   any dependence between the tests (Holm 1979).
//!
//! Every function is deterministic and computed in index order.

use super::quantile::Z95;

/// The Wilson score interval (95 %) of `k` successes in `n` trials, as
/// (low, high); (0, 1) when `n` is 0.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (k, n) = (k.min(n) as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let centre = p + z2 / (2.0 * n);
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let denom = 1.0 + z2 / n;
    let low = if k == 0.0 { 0.0 } else { ((centre - half) / denom).max(0.0) };
    let high = if k == n { 1.0 } else { ((centre + half) / denom).min(1.0) };
    (low, high)
}

/// `n` with thousands separators: 2,000.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A share as a percentage with as many decimals as its size needs:
/// 12.3, 2.3, 0.05.
pub fn percent(x: f64) -> String {
    let p = 100.0 * x;
    if p >= 1.0 || p == 0.0 {
        format!("{p:.1}")
    } else {
        format!("{p:.2}")
    }
}

/// k of n runs with its 95 % interval, for a reader: "12.3 % (10.9–13.8)",
/// "3 of 2,000 (0.05–0.44 %)", "none of 2,000 (≤ 0.19 %)".
pub fn share_cell(k: u64, n: u64) -> String {
    let (low, high) = wilson(k, n);
    if n == 0 {
        return "no runs".to_string();
    }
    if k == 0 {
        return format!("none of {} (\u{2264} {} %)", count(n), percent(high));
    }
    if k == n {
        return format!("all {} (\u{2265} {} %)", count(n), percent(low));
    }
    if k < 10 || n - k < 10 {
        return format!("{} of {} ({}\u{2013}{} %)", count(k), count(n), percent(low), percent(high));
    }
    format!("{} % ({}\u{2013}{})", percent(k as f64 / n as f64), percent(low), percent(high))
}

/// Newcombe's hybrid score interval (95 %) of the difference p_b − p_a of
/// two independent shares `k_a / n_a` and `k_b / n_b`.
pub fn newcombe(k_a: u64, n_a: u64, k_b: u64, n_b: u64) -> (f64, f64) {
    let share = |k: u64, n: u64| if n == 0 { 0.0 } else { k.min(n) as f64 / n as f64 };
    let (pa, pb) = (share(k_a, n_a), share(k_b, n_b));
    let (la, ua) = wilson(k_a, n_a);
    let (lb, ub) = wilson(k_b, n_b);
    let d = pb - pa;
    let low = d - ((pb - lb).powi(2) + (ua - pa).powi(2)).sqrt();
    let high = d + ((ub - pb).powi(2) + (pa - la).powi(2)).sqrt();
    (low.max(-1.0), high.min(1.0))
}

/// ln(k!) for k = 0..=n, by summing logarithms (exact to rounding).
fn ln_factorials(n: u64) -> Vec<f64> {
    let mut out = Vec::with_capacity(n as usize + 1);
    let mut acc = 0.0;
    out.push(0.0);
    for k in 1..=n {
        acc += (k as f64).ln();
        out.push(acc);
    }
    out
}

/// Two-sided p-value of Fisher's exact test: `k_a` of `n_a` against `k_b`
/// of `n_b`. 1 when the margins leave only one table.
pub fn fisher_exact(k_a: u64, n_a: u64, k_b: u64, n_b: u64) -> f64 {
    let (k_a, k_b) = (k_a.min(n_a), k_b.min(n_b));
    let n = n_a + n_b;
    let k = k_a + k_b;
    let lf = ln_factorials(n);
    let ln_choose = |n: u64, r: u64| lf[n as usize] - lf[r as usize] - lf[(n - r) as usize];
    let ln_total = ln_choose(n, k);
    // P(X = x): x successes among the n_a runs of batch a, given k in all.
    let ln_p = |x: u64| ln_choose(n_a, x) + ln_choose(n_b, k - x) - ln_total;
    let lo = k.saturating_sub(n_b);
    let hi = k.min(n_a);
    let observed = ln_p(k_a);
    // Tables within a relative 1e-7 of the observed one count as equally likely.
    let cut = observed + 1e-7;
    let mut p = 0.0;
    for x in lo..=hi {
        let l = ln_p(x);
        if l <= cut {
            p += l.exp();
        }
    }
    p.min(1.0)
}

/// The standard normal distribution function Φ(x), from the complementary
/// error function (W. J. Cody's rational approximation as in Numerical
/// Recipes' `erfcc`, relative error below 1.2e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

/// Two-sided p-value of a z statistic.
pub fn two_sided(z: f64) -> f64 {
    (2.0 * (1.0 - normal_cdf(z.abs()))).clamp(0.0, 1.0)
}

/// The 95 % distribution-free interval of the median of `n` sorted values,
/// as 1-based ranks (low, high): the order statistics n/2 ∓ 1.96 √n / 2,
/// rounded outwards and kept within 1..=n. None when n is 0.
pub fn median_interval(n: usize) -> Option<(usize, usize)> {
    if n == 0 {
        return None;
    }
    let half = Z95 * (n as f64).sqrt() / 2.0;
    let low = ((n as f64 / 2.0 - half).floor() as i64).max(1) as usize;
    let high = ((n as f64 / 2.0 + half).ceil() as i64 + 1).min(n as i64) as usize;
    Some((low.min(n), high.max(1)))
}

/// Holm's step-down adjusted p-values, in the order given (NaN stays NaN
/// and is not counted as a test).
pub fn holm(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let m = order.len();
    let mut out = vec![f64::NAN; p.len()];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        let adjusted = ((m - rank) as f64 * p[i]).min(1.0);
        running = running.max(adjusted);
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_read_as_counts_when_runs_are_few() {
        assert_eq!(share_cell(0, 2000), "none of 2,000 (\u{2264} 0.19 %)");
        assert_eq!(share_cell(1, 2000), "1 of 2,000 (0.01\u{2013}0.28 %)");
        assert_eq!(share_cell(246, 2000), "12.3 % (10.9\u{2013}13.8)");
        assert_eq!(share_cell(2000, 2000), "all 2,000 (\u{2265} 99.8 %)");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(12), "12");
    }

    #[test]
    fn wilson_matches_known_values() {
        // 0 of 1,000: the "rule of three"-like upper bound, 0.38 %.
        let (l, h) = wilson(0, 1000);
        assert_eq!(l, 0.0);
        assert!((h - 0.003_827).abs() < 1e-5, "{h}");
        // 50 of 100: 40.4 % to 59.6 %.
        let (l, h) = wilson(50, 100);
        assert!((l - 0.403_8).abs() < 1e-3 && (h - 0.596_2).abs() < 1e-3, "{l} {h}");
        assert_eq!(wilson(10, 10).1, 1.0);
        assert_eq!(wilson(0, 0), (0.0, 1.0));
    }

    #[test]
    fn newcombe_brackets_the_difference() {
        let (l, h) = newcombe(50, 100, 70, 100);
        assert!(l < 0.2 && 0.2 < h && l > 0.0, "{l} {h}");
        let (l, h) = newcombe(0, 1000, 0, 1000);
        assert!(l < 0.0 && h > 0.0);
    }

    #[test]
    fn fisher_matches_a_textbook_table() {
        // The tea-tasting table 3/4 against 1/4: two-sided p = 0.4857.
        assert!((fisher_exact(3, 4, 1, 4) - 0.485_714).abs() < 1e-5);
        assert!((fisher_exact(0, 1000, 0, 1000) - 1.0).abs() < 1e-12);
        assert!(fisher_exact(100, 1000, 200, 1000) < 1e-8);
    }

    #[test]
    fn the_normal_distribution_function() {
        assert!((normal_cdf(1.96) - 0.975).abs() < 1e-4);
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((two_sided(1.96) - 0.05).abs() < 1e-3);
    }

    #[test]
    fn median_ranks_cover_the_middle() {
        assert_eq!(median_interval(1), Some((1, 1)));
        let (l, h) = median_interval(100).unwrap();
        assert!((39..=41).contains(&l) && (60..=62).contains(&h), "{l} {h}");
        assert_eq!(median_interval(0), None);
    }

    #[test]
    fn holm_steps_down() {
        let adj = holm(&[0.01, 0.04, f64::NAN, 0.03]);
        assert!((adj[0] - 0.03).abs() < 1e-12);
        assert!((adj[3] - 0.06).abs() < 1e-12);
        assert!((adj[1] - 0.06).abs() < 1e-12, "monotone: never below an earlier step");
        assert!(adj[2].is_nan());
    }
}
