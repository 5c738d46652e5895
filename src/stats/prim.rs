//! Scenario discovery with PRIM, the Patient Rule Induction Method of
//! Friedman & Fisher (1999): find an axis-aligned box in parameter space
//! where a binary outcome of interest (e.g. "the crisis escalated") is
//! concentrated, and state it as plain threshold rules.

use super::StatsError;

/// Tuning of the peeling (and optional pasting) search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrimConfig {
    /// Share of the points inside the box removed by one peel (and added by
    /// one paste), in `(0, 0.5)`. Small values make the search patient.
    pub peel_alpha: f64,
    /// Smallest share of all points a box may keep, in `(0, 1]`; peels that
    /// would go below it are not considered.
    pub min_mass: f64,
    /// Whether to paste after peeling: greedily widen the last peeled box
    /// while that raises its density.
    pub paste: bool,
}

impl Default for PrimConfig {
    /// `peel_alpha = 0.05`, `min_mass = 0.05`, no pasting.
    fn default() -> Self {
        PrimConfig { peel_alpha: 0.05, min_mass: 0.05, paste: false }
    }
}

/// One box of the PRIM trajectory, with its quality measures.
#[derive(Debug, Clone, PartialEq)]
pub struct PrimBox {
    /// Closed interval `(lo, hi)` per input dimension; a point is inside when
    /// `lo <= x <= hi` in every dimension.
    pub limits: Vec<(f64, f64)>,
    /// Share of all positive cases that fall inside the box.
    pub coverage: f64,
    /// Share of the points inside the box that are positive.
    pub density: f64,
    /// Share of all points inside the box.
    pub mass: f64,
    /// Number of points inside the box.
    pub n_inside: usize,
    /// Dimensions (ascending) whose limits are tighter than the data range.
    pub restricted: Vec<usize>,
}

/// Outcome of a PRIM run.
#[derive(Debug, Clone, PartialEq)]
pub struct PrimResult {
    /// Boxes in the order found: the whole data range first, then one box per
    /// peel, then (with pasting) one box per paste.
    pub trajectory: Vec<PrimBox>,
    /// How many leading boxes of `trajectory` come from peeling (including
    /// the initial box); the rest are pasted.
    pub n_peeled: usize,
    /// `(min, max)` of each input over all points, the reference for
    /// [`PrimBox::restricted`] and [`describe_box`].
    pub data_ranges: Vec<(f64, f64)>,
}

/// Which end of a dimension a peel or paste moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Low,
    High,
}

/// A candidate move: the dimension and side it changes, the new limit, and
/// the counts the resulting box would have.
#[derive(Debug, Clone, Copy)]
struct Move {
    dim: usize,
    side: Side,
    bound: f64,
    n: usize,
    positives: usize,
}

impl Move {
    /// Strictly denser than `positives / n`, compared exactly on integers so
    /// ties are real ties and the documented tie-breaking applies.
    fn denser_than(&self, positives: usize, n: usize) -> bool {
        (self.positives as u128) * (n as u128) > (positives as u128) * (self.n as u128)
    }
}

/// Runs PRIM on points `x` (one row per point, all rows of the same length
/// `d >= 1`) with binary outcomes `y`.
///
/// Peeling: each step considers, for every dimension, cutting off the lowest
/// or the highest `peel_alpha` share of the points currently inside (at least
/// one point; ties at the cut stay inside, so a cut can remove fewer, and a
/// cut that removes nothing is not a candidate). The candidate leaving the
/// densest box wins; ties go to the lowest dimension, then the low side.
/// Candidates whose mass would fall below `min_mass` are skipped, and peeling
/// stops when no candidate strictly raises the density.
///
/// Pasting (optional) then works the other way on the last peeled box: for
/// every dimension and side it admits the nearest `peel_alpha` share (by the
/// box's current count) of the points that satisfy all other limits, and keeps
/// the densest strict improvement, with the same tie-breaking.
///
/// Errors: empty input or zero-width rows, rows of unequal length or a `y` of
/// another length, non-finite inputs, parameters out of range, or no positive
/// case at all (coverage would be 0/0).
pub fn prim(x: &[Vec<f64>], y: &[bool], config: &PrimConfig) -> Result<PrimResult, StatsError> {
    let data_ranges = validate(x, y, config)?;
    let d = data_ranges.len();
    let total_positives = y.iter().filter(|&&v| v).count();
    let new_box = |limits: &[(f64, f64)]| {
        let inside: Vec<usize> = (0..x.len()).filter(|&r| contains(limits, &x[r])).collect();
        make_box(limits, &inside, y, total_positives, x.len(), &data_ranges)
    };

    let mut limits = data_ranges.clone();
    let mut inside: Vec<usize> = (0..x.len()).collect();
    let mut trajectory = vec![new_box(&limits)];
    while let Some(m) = best_peel(x, y, &inside, config, d) {
        set_limit(&mut limits, m);
        inside.retain(|&r| contains(&limits, &x[r]));
        trajectory.push(new_box(&limits));
    }
    let n_peeled = trajectory.len();

    if config.paste {
        while let Some(m) = best_paste(x, y, &limits, &inside, config.peel_alpha) {
            set_limit(&mut limits, m);
            inside = (0..x.len()).filter(|&r| contains(&limits, &x[r])).collect();
            trajectory.push(new_box(&limits));
        }
    }

    Ok(PrimResult { trajectory, n_peeled, data_ranges })
}

/// Checks the inputs and returns the data range of each dimension.
fn validate(x: &[Vec<f64>], y: &[bool], config: &PrimConfig) -> Result<Vec<(f64, f64)>, StatsError> {
    let d = match x.first() {
        Some(row) if !row.is_empty() => row.len(),
        _ => {
            return Err(StatsError::InvalidArgument(
                "PRIM needs at least one point with at least one input".into(),
            ))
        }
    };
    if y.len() != x.len() {
        return Err(StatsError::LengthMismatch { what: "y", expected: x.len(), actual: y.len() });
    }
    if !(config.peel_alpha > 0.0 && config.peel_alpha < 0.5) {
        return Err(StatsError::InvalidArgument(format!(
            "peel_alpha must be in (0, 0.5), got {}",
            config.peel_alpha
        )));
    }
    if !(config.min_mass > 0.0 && config.min_mass <= 1.0) {
        return Err(StatsError::InvalidArgument(format!(
            "min_mass must be in (0, 1], got {}",
            config.min_mass
        )));
    }
    if !y.contains(&true) {
        return Err(StatsError::InvalidArgument(
            "y has no positive case, so there is nothing to find".into(),
        ));
    }
    let mut ranges = vec![(f64::INFINITY, f64::NEG_INFINITY); d];
    for (index, row) in x.iter().enumerate() {
        if row.len() != d {
            return Err(StatsError::LengthMismatch { what: "x row", expected: d, actual: row.len() });
        }
        if row.iter().any(|v| !v.is_finite()) {
            return Err(StatsError::NonFinite { what: "x", index });
        }
        for (range, &v) in ranges.iter_mut().zip(row) {
            range.0 = range.0.min(v);
            range.1 = range.1.max(v);
        }
    }
    Ok(ranges)
}

/// Points a peel or paste moves for a box holding `n` points: the `alpha`
/// share, rounded up, at least one. The small epsilon keeps a product such as
/// `0.05 * 2000` that lands a hair above an integer from costing an extra
/// point.
fn step_count(alpha: f64, n: usize) -> usize {
    ((alpha * n as f64 - 1e-9).ceil() as usize).max(1)
}

fn contains(limits: &[(f64, f64)], row: &[f64]) -> bool {
    limits.iter().zip(row).all(|(&(lo, hi), &v)| lo <= v && v <= hi)
}

fn set_limit(limits: &mut [(f64, f64)], m: Move) {
    match m.side {
        Side::Low => limits[m.dim].0 = m.bound,
        Side::High => limits[m.dim].1 = m.bound,
    }
}

/// Keeps `candidate` if it is strictly denser than the best so far; callers
/// offer candidates in tie-breaking order (dimension, then low before high).
fn keep_densest(best: &mut Option<Move>, candidate: Move) {
    let better = match best {
        Some(b) => candidate.denser_than(b.positives, b.n),
        None => true,
    };
    if better {
        *best = Some(candidate);
    }
}

/// The peel leaving the densest box, if any is allowed and raises density.
fn best_peel(x: &[Vec<f64>], y: &[bool], inside: &[usize], config: &PrimConfig, d: usize) -> Option<Move> {
    let n_in = inside.len();
    let k = step_count(config.peel_alpha, n_in);
    if k >= n_in {
        return None;
    }
    let positives_in = inside.iter().filter(|&&r| y[r]).count();
    let mut best: Option<Move> = None;
    let mut values = Vec::with_capacity(n_in);
    for dim in 0..d {
        values.clear();
        values.extend(inside.iter().map(|&r| x[r][dim]));
        values.sort_by(f64::total_cmp);
        for (side, bound) in [(Side::Low, values[k]), (Side::High, values[n_in - 1 - k])] {
            let keep = |v: f64| match side {
                Side::Low => v >= bound,
                Side::High => v <= bound,
            };
            let (mut n, mut positives) = (0, 0);
            for &r in inside {
                if keep(x[r][dim]) {
                    n += 1;
                    positives += usize::from(y[r]);
                }
            }
            if n == n_in || (n as f64) < config.min_mass * x.len() as f64 {
                continue;
            }
            keep_densest(&mut best, Move { dim, side, bound, n, positives });
        }
    }
    best.filter(|m| m.denser_than(positives_in, n_in))
}

/// The paste giving the densest box, if any raises density.
fn best_paste(
    x: &[Vec<f64>],
    y: &[bool],
    limits: &[(f64, f64)],
    inside: &[usize],
    alpha: f64,
) -> Option<Move> {
    let n_in = inside.len();
    let positives_in = inside.iter().filter(|&&r| y[r]).count();
    let k = step_count(alpha, n_in);
    let mut best: Option<Move> = None;
    for (dim, &(lo, hi)) in limits.iter().enumerate() {
        // Points blocked by this dimension's limits alone.
        let blocked = |side: Side| -> Vec<usize> {
            (0..x.len())
                .filter(|&r| {
                    let v = x[r][dim];
                    let outside = match side {
                        Side::Low => v < lo,
                        Side::High => v > hi,
                    };
                    outside
                        && limits
                            .iter()
                            .zip(&x[r])
                            .enumerate()
                            .all(|(j, (&(l, h), &w))| j == dim || (l <= w && w <= h))
                })
                .collect()
        };
        for side in [Side::Low, Side::High] {
            let candidates = blocked(side);
            let mut values: Vec<f64> = candidates.iter().map(|&r| x[r][dim]).collect();
            // Nearest to the box first.
            match side {
                Side::Low => values.sort_by(|a, b| b.total_cmp(a)),
                Side::High => values.sort_by(f64::total_cmp),
            }
            let Some(&bound) = values.get(k.min(values.len()).saturating_sub(1)) else {
                continue;
            };
            let (mut n, mut positives) = (n_in, positives_in);
            for &r in &candidates {
                let v = x[r][dim];
                let admitted = match side {
                    Side::Low => v >= bound,
                    Side::High => v <= bound,
                };
                if admitted {
                    n += 1;
                    positives += usize::from(y[r]);
                }
            }
            keep_densest(&mut best, Move { dim, side, bound, n, positives });
        }
    }
    best.filter(|m| m.denser_than(positives_in, n_in))
}

fn make_box(
    limits: &[(f64, f64)],
    inside: &[usize],
    y: &[bool],
    total_positives: usize,
    n_total: usize,
    data_ranges: &[(f64, f64)],
) -> PrimBox {
    let n_inside = inside.len();
    let positives = inside.iter().filter(|&&r| y[r]).count();
    PrimBox {
        limits: limits.to_vec(),
        coverage: positives as f64 / total_positives as f64,
        // Peeling never empties a box, so n_inside > 0.
        density: positives as f64 / n_inside as f64,
        mass: n_inside as f64 / n_total as f64,
        n_inside,
        restricted: restricted_dims(limits, data_ranges),
    }
}

fn restricted_dims(limits: &[(f64, f64)], data_ranges: &[(f64, f64)]) -> Vec<usize> {
    limits
        .iter()
        .zip(data_ranges)
        .enumerate()
        .filter(|(_, (&(lo, hi), &(min, max)))| lo > min || hi < max)
        .map(|(dim, _)| dim)
        .collect()
}

/// Picks a box from a trajectory: among boxes with coverage at least
/// `min_coverage`, those whose density is within `density_tolerance` of the
/// highest such density qualify, and the one covering the most positives wins
/// (then the denser, then the earlier). `None` if no box reaches
/// `min_coverage`.
///
/// With `density_tolerance = 0` this is simply the densest box meeting the
/// coverage floor (0.5 is a common floor). On noisy outcomes, late peels often
/// only shave off mislabelled points, buying a sliver of density for real
/// coverage and spurious restrictions; a tolerance of a few hundredths, in the
/// spirit of CART's one-standard-error rule, keeps the simpler, larger box.
pub fn choose_box(trajectory: &[PrimBox], min_coverage: f64, density_tolerance: f64) -> Option<&PrimBox> {
    let eligible = || trajectory.iter().filter(|b| b.coverage >= min_coverage);
    let best = eligible().map(|b| b.density).fold(f64::NEG_INFINITY, f64::max);
    eligible().filter(|b| b.density >= best - density_tolerance).fold(None, |kept: Option<&PrimBox>, b| {
        match kept {
            Some(k) if (k.coverage, k.density) >= (b.coverage, b.density) => Some(k),
            _ => Some(b),
        }
    })
}

/// Plain-language rules for a box, one per dimension restricted relative to
/// `data_ranges` (normally [`PrimResult::data_ranges`]), in dimension order:
/// `"name >= lo"`, `"name <= hi"` or `"lo <= name <= hi"`, numbers rounded
/// to 3 significant digits. Limits are inclusive, hence `>=` and `<=`.
///
/// Errors when `names` or `data_ranges` do not have one entry per dimension
/// of the box.
pub fn describe_box<S: AsRef<str>>(
    b: &PrimBox,
    names: &[S],
    data_ranges: &[(f64, f64)],
) -> Result<Vec<String>, StatsError> {
    let d = b.limits.len();
    if names.len() != d {
        return Err(StatsError::LengthMismatch { what: "names", expected: d, actual: names.len() });
    }
    if data_ranges.len() != d {
        return Err(StatsError::LengthMismatch {
            what: "data_ranges",
            expected: d,
            actual: data_ranges.len(),
        });
    }
    Ok(b.limits
        .iter()
        .zip(data_ranges)
        .zip(names)
        .filter_map(|((&(lo, hi), &(min, max)), name)| {
            let name = name.as_ref();
            match (lo > min, hi < max) {
                (true, true) => Some(format!("{} <= {name} <= {}", sig3(lo), sig3(hi))),
                (true, false) => Some(format!("{name} >= {}", sig3(lo))),
                (false, true) => Some(format!("{name} <= {}", sig3(hi))),
                (false, false) => None,
            }
        })
        .collect())
}

/// `v` rounded to 3 significant digits without trailing zeros, switching to
/// exponent notation outside `[1e-4, 1e6)` where plain digits get unwieldy.
fn sig3(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let exp = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        return format!("{v:.2e}");
    }
    if exp >= 2 {
        let scale = 10f64.powi(exp - 2);
        return format!("{:.0}", (v / scale).round() * scale);
    }
    let text = format!("{:.*}", (2 - exp) as usize, v);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::design::latin_hypercube;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn column(values: &[f64]) -> Vec<Vec<f64>> {
        values.iter().map(|&v| vec![v]).collect()
    }

    #[test]
    fn one_dimensional_peeling_by_hand() {
        // x = 0..19, positive from 10 up. alpha = 0.1: the box drops two
        // points from below at each step (ceil(0.1 n) = 2 while n > 10) until
        // it is exactly [10, 19] with density 1; nothing beats 1 after that.
        let xs: Vec<f64> = (0..20).map(f64::from).collect();
        let y: Vec<bool> = (0..20).map(|i| i >= 10).collect();
        let config = PrimConfig { peel_alpha: 0.1, ..PrimConfig::default() };
        let result = prim(&column(&xs), &y, &config).unwrap();
        let lows: Vec<f64> = result.trajectory.iter().map(|b| b.limits[0].0).collect();
        assert_eq!(lows, [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(result.n_peeled, 6);
        let last = result.trajectory.last().unwrap();
        assert_eq!(last.limits, vec![(10.0, 19.0)]);
        assert_eq!((last.coverage, last.density, last.mass), (1.0, 1.0, 0.5));
        assert_eq!(last.n_inside, 10);
        assert_eq!(last.restricted, vec![0]);
        let first = &result.trajectory[0];
        assert_eq!((first.density, first.restricted.len()), (0.5, 0));
    }

    #[test]
    fn ties_go_to_lowest_dimension_then_low_side() {
        // Both inputs equal i and positives sit in the middle (5 <= i < 15):
        // all four first peels remove two negatives and tie at 10/18.
        let x: Vec<Vec<f64>> = (0..20).map(|i| vec![f64::from(i); 2]).collect();
        let y: Vec<bool> = (0..20).map(|i| (5..15).contains(&i)).collect();
        let config = PrimConfig { peel_alpha: 0.1, ..PrimConfig::default() };
        let result = prim(&x, &y, &config).unwrap();
        let step1 = &result.trajectory[1];
        assert_eq!(step1.limits, vec![(2.0, 19.0), (0.0, 19.0)]);
        assert_eq!(step1.restricted, vec![0]);
        assert_eq!(step1.density, 10.0 / 18.0);
    }

    #[test]
    fn min_mass_stops_peeling() {
        // Positives only in the top 2 %: with min_mass 0.25 no box may hold
        // fewer than 25 of the 100 points.
        let xs: Vec<f64> = (0..100).map(f64::from).collect();
        let y: Vec<bool> = (0..100).map(|i| i >= 98).collect();
        let config = PrimConfig { min_mass: 0.25, ..PrimConfig::default() };
        let result = prim(&column(&xs), &y, &config).unwrap();
        assert!(result.trajectory.iter().all(|b| b.mass >= 0.25));
        assert!(result.trajectory.last().unwrap().n_inside < 30);
    }

    #[test]
    fn pasting_by_hand() {
        // x = 0..19 with labels: 0 negative, 1..=11 positive except 6,
        // 12..=19 negative. alpha = 0.1. Peeling cuts the negatives above in
        // pairs down to [0, 11] (10/12), then the pair {0, 1} from below for
        // [2, 11] (9/10), where single-point peels no longer help. Pasting
        // one point (ceil(0.1 * 10)) back below admits x = 1, a positive:
        // [1, 11] at 10/11; after that every paste lowers the density.
        let xs: Vec<f64> = (0..20).map(f64::from).collect();
        let y: Vec<bool> = (0..20).map(|i| (1..=11).contains(&i) && i != 6).collect();
        let config = PrimConfig { peel_alpha: 0.1, min_mass: 0.05, paste: true };
        let result = prim(&column(&xs), &y, &config).unwrap();
        let limits: Vec<(f64, f64)> = result.trajectory.iter().map(|b| b.limits[0]).collect();
        assert_eq!(
            limits,
            [(0.0, 19.0), (0.0, 17.0), (0.0, 15.0), (0.0, 13.0), (0.0, 11.0), (2.0, 11.0), (1.0, 11.0)]
        );
        assert_eq!(result.n_peeled, 6);
        let pasted = result.trajectory.last().unwrap();
        assert_eq!(pasted.density, 10.0 / 11.0);
        assert_eq!((pasted.coverage, pasted.n_inside), (1.0, 11));
        // Without pasting the trajectory stops at the peeled box.
        let plain = prim(&column(&xs), &y, &PrimConfig { paste: false, ..config }).unwrap();
        assert_eq!(plain.trajectory[..], result.trajectory[..6]);
    }

    #[test]
    fn finds_the_planted_box_in_noisy_data() {
        // y = x0 > 0.6 && x1 < 0.5 on 2000 Latin hypercube points in 3-d,
        // each label flipped with probability 0.05. (Checked offline over 60
        // seeds with and without pasting: all pass with these settings, while
        // a zero tolerance lets noise-shaving peels restrict x2 or x0's top.)
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let x = latin_hypercube(2000, 3, &mut rng);
        let y: Vec<bool> = x.iter().map(|p| (p[0] > 0.6 && p[1] < 0.5) != rng.random_bool(0.05)).collect();
        for paste in [false, true] {
            let config = PrimConfig { paste, ..PrimConfig::default() };
            let result = prim(&x, &y, &config).unwrap();
            let chosen = choose_box(&result.trajectory, 0.5, 0.03).unwrap();
            let rules = describe_box(chosen, &["x0", "x1", "x2"], &result.data_ranges).unwrap();
            let (lo0, hi0) = chosen.limits[0];
            let (lo1, hi1) = chosen.limits[1];
            assert!((0.55..0.7).contains(&lo0), "{chosen:?}");
            assert_eq!(hi0, result.data_ranges[0].1);
            assert!((0.4..0.55).contains(&hi1), "{chosen:?}");
            assert_eq!(lo1, result.data_ranges[1].0);
            assert_eq!(chosen.restricted, vec![0, 1]);
            assert!(chosen.density > 0.85 && chosen.coverage >= 0.5);
            assert_eq!(rules, ["x0 >= 0.605", "x1 <= 0.489"]);
        }
    }

    #[test]
    fn choose_box_trades_density_for_coverage() {
        let mk = |coverage: f64, density: f64| PrimBox {
            limits: vec![(0.0, 1.0)],
            coverage,
            density,
            mass: 0.5,
            n_inside: 1,
            restricted: vec![],
        };
        let trajectory = vec![mk(1.0, 0.3), mk(0.8, 0.7), mk(0.7, 0.7), mk(0.4, 0.95)];
        assert_eq!(choose_box(&trajectory, 0.5, 0.0), Some(&trajectory[1]));
        assert_eq!(choose_box(&trajectory, 0.3, 0.0), Some(&trajectory[3]));
        assert_eq!(choose_box(&trajectory, 1.01, 0.0), None);
        // Within 0.3 of the best (0.95) only boxes at density >= 0.65
        // qualify; the one with the most coverage wins.
        assert_eq!(choose_box(&trajectory, 0.3, 0.3), Some(&trajectory[1]));
        assert_eq!(choose_box(&trajectory, 0.3, 0.7), Some(&trajectory[0]));
    }

    #[test]
    fn describe_box_rules_and_rounding() {
        let b = PrimBox {
            limits: vec![(0.55012, 1.0), (0.0, 0.8), (0.2, 0.8), (-1.0, 1.0), (1234.5, 99999.0)],
            coverage: 0.5,
            density: 0.9,
            mass: 0.2,
            n_inside: 10,
            restricted: vec![0, 1, 2, 4],
        };
        let ranges = vec![(0.0, 1.0), (0.0, 1.0), (0.0, 1.0), (-1.0, 1.0), (0.0, 1e5)];
        let rules = describe_box(&b, &["x1", "x2", "x3", "x4", "x5"], &ranges).unwrap();
        assert_eq!(rules, ["x1 >= 0.55", "x2 <= 0.8", "0.2 <= x3 <= 0.8", "1230 <= x5 <= 100000"]);
        assert!(describe_box(&b, &["x1"], &ranges).is_err());
        assert!(describe_box(&b, &["a", "b", "c", "d", "e"], &ranges[..2]).is_err());
    }

    #[test]
    fn three_significant_digits() {
        assert_eq!(sig3(0.123456), "0.123");
        assert_eq!(sig3(-2.71428), "-2.71");
        assert_eq!(sig3(12.0), "12");
        assert_eq!(sig3(0.99951), "1");
        assert_eq!(sig3(12345.0), "12300");
        assert_eq!(sig3(0.000123456), "0.000123");
        assert_eq!(sig3(0.0), "0");
        assert_eq!(sig3(1.5e-7), "1.50e-7");
        assert_eq!(sig3(2.5e9), "2.50e9");
    }

    #[test]
    fn prim_validates_input() {
        let config = PrimConfig::default();
        let x = vec![vec![0.0, 1.0], vec![1.0, 0.0]];
        assert!(prim(&[], &[], &config).is_err());
        assert!(prim(&[vec![]], &[true], &config).is_err());
        assert!(matches!(prim(&x, &[true], &config), Err(StatsError::LengthMismatch { what: "y", .. })));
        assert!(matches!(prim(&x, &[false, false], &config), Err(StatsError::InvalidArgument(_))));
        assert!(matches!(
            prim(&[vec![0.0, 1.0], vec![1.0]], &[true, false], &config),
            Err(StatsError::LengthMismatch { what: "x row", .. })
        ));
        assert_eq!(
            prim(&[vec![0.0, 1.0], vec![f64::NAN, 0.0]], &[true, false], &config),
            Err(StatsError::NonFinite { what: "x", index: 1 })
        );
        for (peel_alpha, min_mass) in [(0.0, 0.05), (0.5, 0.05), (f64::NAN, 0.05), (0.1, 0.0), (0.1, 1.5)] {
            let bad = PrimConfig { peel_alpha, min_mass, paste: false };
            assert!(matches!(prim(&x, &[true, false], &bad), Err(StatsError::InvalidArgument(_))));
        }
    }
}
