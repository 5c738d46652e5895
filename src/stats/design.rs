//! Experimental designs over scenario parameters, expressed on the unit
//! hypercube `[0, 1]^d` (callers map each coordinate onto a parameter's
//! physical range): full factorials, Latin hypercubes, the Sobol'
//! low-discrepancy sequence, the Saltelli sampling scheme for Sobol' indices
//! and Morris one-at-a-time trajectories for screening.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::StatsError;

/// All combinations of factor level indices, `levels[k]` levels for factor
/// `k`, with the last factor varying fastest (odometer order).
///
/// A factor with zero levels makes the design empty; no factors at all gives
/// the single empty combination, the usual convention for an empty product.
pub fn full_factorial(levels: &[usize]) -> Vec<Vec<usize>> {
    if levels.contains(&0) {
        return Vec::new();
    }
    // An overflowing count cannot be allocated anyway; start small and let the
    // allocator report it as the rows arrive.
    let total = levels.iter().try_fold(1usize, |acc, &l| acc.checked_mul(l)).unwrap_or(0);
    let mut out = Vec::with_capacity(total);
    let mut current = vec![0; levels.len()];
    loop {
        out.push(current.clone());
        let mut k = levels.len();
        loop {
            if k == 0 {
                return out;
            }
            k -= 1;
            current[k] += 1;
            if current[k] < levels[k] {
                break;
            }
            current[k] = 0;
        }
    }
}

/// Latin hypercube sample of `n` points in `[0, 1]^d`.
///
/// Each dimension is cut into `n` equal strata and every stratum holds exactly
/// one point, placed uniformly at random inside it; the stratum-to-point
/// assignment is an independent random permutation per dimension. Random
/// draws happen dimension by dimension (one shuffle, then `n` jitters), so a
/// seed fixes the design.
pub fn latin_hypercube(n: usize, d: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    let mut points = vec![vec![0.0; d]; n];
    let mut strata: Vec<usize> = (0..n).collect();
    for k in 0..d {
        // Shuffling the previous dimension's permutation is still a uniformly
        // random permutation, and saves an allocation per dimension.
        strata.shuffle(rng);
        for (row, &stratum) in points.iter_mut().zip(&strata) {
            let jitter: f64 = rng.random();
            row[k] = (stratum as f64 + jitter) / n as f64;
        }
    }
    points
}

/// Number of dimensions [`SobolSequence`] carries direction numbers for.
pub const SOBOL_MAX_DIMENSIONS: usize = 64;

/// Bits of precision of each Sobol' coordinate; also caps the sequence at
/// `2^32 - 1` points after the skipped origin.
const SOBOL_BITS: usize = 32;

/// Joe & Kuo (2008) direction numbers, file `new-joe-kuo-6.21201`, for
/// dimensions 2 to 64 (dimension 1 is the van der Corput sequence and needs no
/// entry). Each row is `(s, a, [m_1 .. m_s])`: `s` is the degree of the
/// primitive polynomial, the bits of `a` its inner coefficients, and `m_k`
/// the odd initial direction integers (`m_k < 2^k`).
const JOE_KUO: [(u32, u32, &[u32]); SOBOL_MAX_DIMENSIONS - 1] = [
    (1, 0, &[1]),
    (2, 1, &[1, 3]),
    (3, 1, &[1, 3, 1]),
    (3, 2, &[1, 1, 1]),
    (4, 1, &[1, 1, 3, 3]),
    (4, 4, &[1, 3, 5, 13]),
    (5, 2, &[1, 1, 5, 5, 17]),
    (5, 4, &[1, 1, 5, 5, 5]),
    (5, 7, &[1, 1, 7, 11, 19]),
    (5, 11, &[1, 1, 5, 1, 1]),
    (5, 13, &[1, 1, 1, 3, 11]),
    (5, 14, &[1, 3, 5, 5, 31]),
    (6, 1, &[1, 3, 3, 9, 7, 49]),
    (6, 13, &[1, 1, 1, 15, 21, 21]),
    (6, 16, &[1, 3, 1, 13, 27, 49]),
    (6, 19, &[1, 1, 1, 15, 7, 5]),
    (6, 22, &[1, 3, 1, 15, 13, 25]),
    (6, 25, &[1, 1, 5, 5, 19, 61]),
    (7, 1, &[1, 3, 7, 11, 23, 15, 103]),
    (7, 4, &[1, 3, 7, 13, 13, 15, 69]),
    (7, 7, &[1, 1, 3, 13, 7, 35, 63]),
    (7, 8, &[1, 3, 5, 9, 1, 25, 53]),
    (7, 14, &[1, 3, 1, 13, 9, 35, 107]),
    (7, 19, &[1, 3, 1, 5, 27, 61, 31]),
    (7, 21, &[1, 1, 5, 11, 19, 41, 61]),
    (7, 28, &[1, 3, 5, 3, 3, 13, 69]),
    (7, 31, &[1, 1, 7, 13, 1, 19, 1]),
    (7, 32, &[1, 3, 7, 5, 13, 19, 59]),
    (7, 37, &[1, 1, 3, 9, 25, 29, 41]),
    (7, 41, &[1, 3, 5, 13, 23, 1, 55]),
    (7, 42, &[1, 3, 7, 3, 13, 59, 17]),
    (7, 50, &[1, 3, 1, 3, 5, 53, 69]),
    (7, 55, &[1, 1, 5, 5, 23, 33, 13]),
    (7, 56, &[1, 1, 7, 7, 1, 61, 123]),
    (7, 59, &[1, 1, 7, 9, 13, 61, 49]),
    (7, 62, &[1, 3, 3, 5, 3, 55, 33]),
    (8, 14, &[1, 3, 1, 15, 31, 13, 49, 245]),
    (8, 21, &[1, 3, 5, 15, 31, 59, 63, 97]),
    (8, 22, &[1, 3, 1, 11, 11, 11, 77, 249]),
    (8, 38, &[1, 3, 1, 11, 27, 43, 71, 9]),
    (8, 47, &[1, 1, 7, 15, 21, 11, 81, 45]),
    (8, 49, &[1, 3, 7, 3, 25, 31, 65, 79]),
    (8, 50, &[1, 3, 1, 1, 19, 11, 3, 205]),
    (8, 52, &[1, 1, 5, 9, 19, 21, 29, 157]),
    (8, 56, &[1, 3, 7, 11, 1, 33, 89, 185]),
    (8, 67, &[1, 3, 3, 3, 15, 9, 79, 71]),
    (8, 70, &[1, 3, 7, 11, 15, 39, 119, 27]),
    (8, 84, &[1, 1, 3, 1, 11, 31, 97, 225]),
    (8, 97, &[1, 1, 1, 3, 23, 43, 57, 177]),
    (8, 103, &[1, 3, 7, 7, 17, 17, 37, 71]),
    (8, 115, &[1, 3, 1, 5, 27, 63, 123, 213]),
    (8, 122, &[1, 1, 3, 5, 11, 43, 53, 133]),
    (9, 8, &[1, 3, 5, 5, 29, 17, 47, 173, 479]),
    (9, 13, &[1, 3, 3, 11, 3, 1, 109, 9, 69]),
    (9, 16, &[1, 1, 1, 5, 17, 39, 23, 5, 343]),
    (9, 22, &[1, 3, 1, 5, 25, 15, 31, 103, 499]),
    (9, 25, &[1, 1, 1, 11, 11, 17, 63, 105, 183]),
    (9, 44, &[1, 1, 5, 11, 9, 29, 97, 231, 363]),
    (9, 47, &[1, 1, 5, 15, 19, 45, 41, 7, 383]),
    (9, 52, &[1, 3, 7, 7, 31, 19, 83, 137, 221]),
    (9, 55, &[1, 1, 1, 3, 23, 15, 111, 223, 83]),
    (9, 59, &[1, 1, 5, 13, 31, 15, 55, 25, 161]),
    (9, 62, &[1, 1, 3, 13, 25, 47, 39, 87, 257]),
];

/// Direction numbers `v_k = m_k / 2^k`, stored scaled by `2^32`, for one
/// dimension. `None` stands for dimension 1, where every `m_k` is 1.
fn direction_numbers(row: Option<(u32, u32, &[u32])>) -> [u32; SOBOL_BITS] {
    let mut v = [0u32; SOBOL_BITS];
    let Some((s, a, m)) = row else {
        for (k, vk) in v.iter_mut().enumerate() {
            *vk = 1 << (SOBOL_BITS - 1 - k);
        }
        return v;
    };
    let s = s as usize;
    for k in 0..SOBOL_BITS {
        v[k] = if k < s {
            m[k] << (SOBOL_BITS - 1 - k)
        } else {
            // Bratley & Fox recurrence on the scaled numbers: the polynomial's
            // leading and constant terms give v_{k-s} ^ (v_{k-s} >> s), the
            // inner coefficients (bits of a, highest first) the other terms.
            let mut x = v[k - s] ^ (v[k - s] >> s);
            for j in 1..s {
                if (a >> (s - 1 - j)) & 1 == 1 {
                    x ^= v[k - j];
                }
            }
            x
        };
    }
    v
}

/// Sobol' low-discrepancy sequence in up to [`SOBOL_MAX_DIMENSIONS`]
/// dimensions with Joe & Kuo (2008) direction numbers, generated in Gray-code
/// order (Antonov & Saleev), unscrambled.
///
/// The all-zero first point is skipped, so the first point produced is
/// `(0.5, 0.5, ...)`. Because of that skip, the `(0, k, 1)`-net property of
/// each coordinate holds for the first `2^k - 1` points produced together with
/// the origin. The iterator ends after `2^32 - 1` points.
#[derive(Debug, Clone)]
pub struct SobolSequence {
    directions: Vec<[u32; SOBOL_BITS]>,
    state: Vec<u32>,
    /// Gray-code index of the point held in `state`.
    index: u64,
}

impl SobolSequence {
    /// A generator for `d` dimensions, `1 <= d <= SOBOL_MAX_DIMENSIONS`.
    pub fn new(d: usize) -> Result<SobolSequence, StatsError> {
        if d == 0 || d > SOBOL_MAX_DIMENSIONS {
            return Err(StatsError::InvalidArgument(format!(
                "Sobol' dimension must be in 1..={SOBOL_MAX_DIMENSIONS}, got {d}"
            )));
        }
        let directions =
            (0..d).map(|k| direction_numbers(k.checked_sub(1).map(|row| JOE_KUO[row]))).collect();
        Ok(SobolSequence { directions, state: vec![0; d], index: 0 })
    }

    /// Number of coordinates in each point.
    pub fn dimensions(&self) -> usize {
        self.directions.len()
    }
}

impl Iterator for SobolSequence {
    type Item = Vec<f64>;

    /// The next point, each coordinate in `[0, 1)`.
    fn next(&mut self) -> Option<Vec<f64>> {
        // Gray code: consecutive points differ by the direction number whose
        // index is the lowest zero bit of the previous point's index.
        let bit = self.index.trailing_ones() as usize;
        if bit >= SOBOL_BITS {
            return None;
        }
        self.index += 1;
        let scale = (1u64 << SOBOL_BITS) as f64;
        Some(
            self.state
                .iter_mut()
                .zip(&self.directions)
                .map(|(x, v)| {
                    *x ^= v[bit];
                    f64::from(*x) / scale
                })
                .collect(),
        )
    }
}

/// Where each evaluation of a [`saltelli`] design sits among the outputs.
///
/// Points come in blocks of `n_factors + 2`, one block per base row `j`:
/// `A_j`, `B_j`, then `A_B^i_j` for `i = 0 .. n_factors`, where `A_B^i` is
/// `A` with column `i` taken from `B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaltelliLayout {
    /// Number of base rows `N` in each of the matrices `A` and `B`.
    pub n_base: usize,
    /// Number of uncertain factors `d`.
    pub n_factors: usize,
}

impl SaltelliLayout {
    /// Total number of model evaluations, `N (d + 2)`.
    pub fn n_points(&self) -> usize {
        self.n_base * self.block()
    }

    /// Index of `A_j` in the point (and output) list.
    pub fn a(&self, j: usize) -> usize {
        j * self.block()
    }

    /// Index of `B_j` in the point (and output) list.
    pub fn b(&self, j: usize) -> usize {
        j * self.block() + 1
    }

    /// Index of `A_B^i_j`, base row `j` of `A` with factor `i` from `B`.
    pub fn ab(&self, j: usize, i: usize) -> usize {
        j * self.block() + 2 + i
    }

    fn block(&self) -> usize {
        self.n_factors + 2
    }
}

/// Points of a Saltelli design and the layout needed to read its outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct SaltelliDesign {
    /// The `N (d + 2)` points to evaluate, in [`SaltelliLayout`] order.
    pub points: Vec<Vec<f64>>,
    /// How the points are arranged.
    pub layout: SaltelliLayout,
}

/// Saltelli et al. (2010) sampling scheme for first-order and total Sobol'
/// indices with `n_base` base rows and `d` factors: `N (d + 2)` points.
///
/// `A` and `B` are the first and last `d` columns of the first `N` points of a
/// `2d`-dimensional [`SobolSequence`], so `d <= SOBOL_MAX_DIMENSIONS / 2`.
/// With `shift = Some(rng)` every one of the `2d` columns is moved by its own
/// uniform offset modulo 1 (a Cranley–Patterson rotation, `2d` draws in column
/// order) so different seeds give different but equally well-spread designs,
/// which lets replicated analyses expose quasi-Monte Carlo error; `None`
/// keeps the plain deterministic sequence.
pub fn saltelli(
    n_base: usize,
    d: usize,
    shift: Option<&mut ChaCha8Rng>,
) -> Result<SaltelliDesign, StatsError> {
    if d == 0 || 2 * d > SOBOL_MAX_DIMENSIONS {
        return Err(StatsError::InvalidArgument(format!(
            "Saltelli design needs 1..={} factors, got {d}",
            SOBOL_MAX_DIMENSIONS / 2
        )));
    }
    if n_base == 0 || n_base as u64 >= 1u64 << SOBOL_BITS {
        return Err(StatsError::InvalidArgument(format!(
            "n_base must be in 1..2^{SOBOL_BITS}, got {n_base}"
        )));
    }
    let offsets: Vec<f64> = match shift {
        Some(rng) => (0..2 * d).map(|_| rng.random::<f64>()).collect(),
        None => vec![0.0; 2 * d],
    };
    let layout = SaltelliLayout { n_base, n_factors: d };
    let mut points = Vec::with_capacity(layout.n_points());
    for base in SobolSequence::new(2 * d)?.take(n_base) {
        let row: Vec<f64> = base
            .iter()
            .zip(&offsets)
            .map(|(x, u)| {
                let s = x + u;
                if s >= 1.0 {
                    s - 1.0
                } else {
                    s
                }
            })
            .collect();
        let (a, b) = row.split_at(d);
        points.push(a.to_vec());
        points.push(b.to_vec());
        for i in 0..d {
            let mut ab = a.to_vec();
            ab[i] = b[i];
            points.push(ab);
        }
    }
    Ok(SaltelliDesign { points, layout })
}

/// One move along a Morris trajectory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisStep {
    /// The factor that changed.
    pub factor: usize,
    /// Signed change of that factor on the unit scale, `+Δ` or `-Δ`.
    pub delta: f64,
}

/// Morris one-at-a-time screening design.
#[derive(Debug, Clone, PartialEq)]
pub struct MorrisDesign {
    /// `r (d + 1)` points: trajectory `t` occupies rows
    /// `t (d + 1) ..= t (d + 1) + d`.
    pub points: Vec<Vec<f64>>,
    /// `r d` steps: step `t d + k` leads from point `t (d + 1) + k` to the
    /// next point; each factor moves exactly once per trajectory.
    pub steps: Vec<MorrisStep>,
    /// Number of trajectories `r`.
    pub n_trajectories: usize,
    /// Number of factors `d`.
    pub n_factors: usize,
    /// Number of grid levels `p`.
    pub levels: usize,
    /// Step size `Δ = p / (2 (p - 1))`.
    pub delta: f64,
}

/// Morris (1991) trajectories: `r` random walks on the `p`-level grid
/// `{0, 1/(p-1), ..., 1}^d`, each starting at a random grid point and moving
/// every factor once, in random order, by `±Δ` with `Δ = p / (2 (p - 1))`.
///
/// `p` must be even and at least 2: only then does `Δ` land on the grid, and
/// every level is then equally likely to be visited. Per trajectory the draws
/// are a factor-order shuffle, then for each factor a base level and a
/// direction.
pub fn morris(r: usize, d: usize, p: usize, rng: &mut ChaCha8Rng) -> Result<MorrisDesign, StatsError> {
    if r == 0 || d == 0 {
        return Err(StatsError::InvalidArgument(format!(
            "Morris design needs at least one trajectory and one factor, got r = {r}, d = {d}"
        )));
    }
    if p < 2 || !p.is_multiple_of(2) {
        return Err(StatsError::InvalidArgument(format!("Morris levels p must be even and >= 2, got {p}")));
    }
    let jump = p / 2;
    let grid = (p - 1) as f64;
    let delta = jump as f64 / grid;
    let mut points = Vec::with_capacity(r * (d + 1));
    let mut steps = Vec::with_capacity(r * d);
    let mut order: Vec<usize> = (0..d).collect();
    for _ in 0..r {
        order.shuffle(rng);
        // Levels are kept as integers so every coordinate is an exact grid
        // value rather than an accumulation of rounded steps.
        let mut level = vec![0usize; d];
        let mut up = vec![true; d];
        for (l, u) in level.iter_mut().zip(up.iter_mut()) {
            let base = rng.random_range(0..jump);
            *u = rng.random_bool(0.5);
            *l = if *u { base } else { base + jump };
        }
        points.push(level.iter().map(|&l| l as f64 / grid).collect());
        for &factor in &order {
            let signed = if up[factor] {
                level[factor] += jump;
                delta
            } else {
                level[factor] -= jump;
                -delta
            };
            points.push(level.iter().map(|&l| l as f64 / grid).collect());
            steps.push(MorrisStep { factor, delta: signed });
        }
    }
    Ok(MorrisDesign { points, steps, n_trajectories: r, n_factors: d, levels: p, delta })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn full_factorial_last_factor_fastest() {
        let design = full_factorial(&[2, 3]);
        let expected: Vec<Vec<usize>> =
            vec![vec![0, 0], vec![0, 1], vec![0, 2], vec![1, 0], vec![1, 1], vec![1, 2]];
        assert_eq!(design, expected);
        assert_eq!(full_factorial(&[2, 2, 2]).len(), 8);
        assert!(full_factorial(&[3, 0]).is_empty());
        assert_eq!(full_factorial(&[]), vec![Vec::<usize>::new()]);
    }

    #[test]
    fn latin_hypercube_fills_every_stratum_once() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = 50;
        let points = latin_hypercube(n, 4, &mut rng);
        assert_eq!(points.len(), n);
        for k in 0..4 {
            let mut hits = vec![0; n];
            for p in &points {
                assert!((0.0..=1.0).contains(&p[k]));
                hits[((p[k] * n as f64) as usize).min(n - 1)] += 1;
            }
            assert!(hits.iter().all(|&h| h == 1), "dimension {k}: {hits:?}");
        }
        // Same seed, same design; different seed, different design.
        let again = latin_hypercube(n, 4, &mut ChaCha8Rng::seed_from_u64(7));
        assert_eq!(points, again);
        assert_ne!(points, latin_hypercube(n, 4, &mut ChaCha8Rng::seed_from_u64(8)));
    }

    #[test]
    fn sobol_first_points_match_published_values() {
        let points: Vec<Vec<f64>> = SobolSequence::new(3).unwrap().take(7).collect();
        let column = |k: usize| points.iter().map(|p| p[k]).collect::<Vec<_>>();
        assert_eq!(column(0), [0.5, 0.75, 0.25, 0.375, 0.875, 0.625, 0.125]);
        assert_eq!(column(1), [0.5, 0.25, 0.75, 0.375, 0.875, 0.125, 0.625]);
        assert_eq!(column(2), [0.5, 0.25, 0.75, 0.625, 0.125, 0.875, 0.375]);
    }

    #[test]
    fn sobol_direction_table_is_well_formed() {
        // Every polynomial must be primitive over GF(2) and every m_k odd and
        // below 2^k; a transcription slip in the table would almost surely
        // break one of these.
        for (row, &(s, a, m)) in JOE_KUO.iter().enumerate() {
            assert_eq!(m.len(), s as usize, "row {row}");
            assert!(a < 1 << (s - 1), "row {row}");
            for (k, &mk) in m.iter().enumerate() {
                assert!(mk % 2 == 1 && mk < 1 << (k + 1), "row {row}, m_{}", k + 1);
            }
            let poly = (1u32 << s) | (a << 1) | 1;
            assert!(is_primitive(poly, s), "row {row}: polynomial {poly:#b}");
        }
        // Distinct rows of equal degree use distinct polynomials.
        for (i, x) in JOE_KUO.iter().enumerate() {
            for y in &JOE_KUO[i + 1..] {
                assert!(x.0 != y.0 || x.1 != y.1);
            }
        }
    }

    /// x has multiplicative order exactly 2^s - 1 modulo `poly`.
    fn is_primitive(poly: u32, s: u32) -> bool {
        let order = (1u64 << s) - 1;
        let mul_x = |v: u32| {
            let v = v << 1;
            if v & (1 << s) != 0 {
                v ^ poly
            } else {
                v
            }
        };
        let mut v = 1u32;
        for step in 1..=order {
            v = mul_x(v);
            if v == 1 {
                return step == order;
            }
        }
        false
    }

    #[test]
    fn sobol_every_dimension_is_a_net() {
        let k = 10;
        let n = 1usize << k;
        let points: Vec<Vec<f64>> = SobolSequence::new(SOBOL_MAX_DIMENSIONS).unwrap().take(n - 1).collect();
        for dim in 0..SOBOL_MAX_DIMENSIONS {
            for bits in 1..=k {
                let cells = 1usize << bits;
                let mut hits = vec![0usize; cells];
                hits[0] = 1; // the skipped origin
                for p in &points[..cells - 1] {
                    hits[(p[dim] * cells as f64) as usize] += 1;
                }
                assert!(hits.iter().all(|&h| h == 1), "dim {dim}, k = {bits}");
            }
        }
    }

    #[test]
    fn sobol_first_two_dimensions_form_a_two_dimensional_net() {
        // Dimensions 1 and 2 form a (0, m, 2)-net: every elementary box of
        // area 2^-m (2^a by 2^(m-a) cells) holds exactly one of 2^m points.
        let m = 8;
        let mut points: Vec<Vec<f64>> = SobolSequence::new(2).unwrap().take((1 << m) - 1).collect();
        points.push(vec![0.0, 0.0]);
        for a in 0..=m {
            let (nx, ny) = (1usize << a, 1usize << (m - a));
            let mut hits = vec![0usize; nx * ny];
            for p in &points {
                let cell = (p[0] * nx as f64) as usize * ny + (p[1] * ny as f64) as usize;
                hits[cell] += 1;
            }
            assert!(hits.iter().all(|&h| h == 1), "a = {a}");
        }
    }

    #[test]
    fn sobol_rejects_bad_dimension() {
        assert!(SobolSequence::new(0).is_err());
        assert!(SobolSequence::new(SOBOL_MAX_DIMENSIONS + 1).is_err());
        assert_eq!(SobolSequence::new(5).unwrap().dimensions(), 5);
    }

    #[test]
    fn sobol_stops_after_two_to_the_32_points() {
        let mut seq = SobolSequence::new(1).unwrap();
        // Jump to the last index the 32-bit direction numbers can reach
        // (the coordinates are then meaningless; only termination matters).
        seq.index = (1u64 << 32) - 2;
        assert!(seq.next().is_some());
        assert!(seq.next().is_none());
    }

    #[test]
    fn saltelli_layout_and_radial_structure() {
        let d = 3;
        let design = saltelli(8, d, None).unwrap();
        let layout = design.layout;
        assert_eq!(layout.n_points(), 8 * (d + 2));
        assert_eq!(design.points.len(), layout.n_points());
        let sobol: Vec<Vec<f64>> = SobolSequence::new(2 * d).unwrap().take(8).collect();
        for (j, base) in sobol.iter().enumerate() {
            let a = &design.points[layout.a(j)];
            let b = &design.points[layout.b(j)];
            assert_eq!(a[..], base[..d]);
            assert_eq!(b[..], base[d..]);
            for i in 0..d {
                let ab = &design.points[layout.ab(j, i)];
                for k in 0..d {
                    assert_eq!(ab[k], if k == i { b[k] } else { a[k] });
                }
            }
        }
        assert_eq!(layout.ab(1, 2), 2 * (d + 2) - 1);
    }

    #[test]
    fn saltelli_shift_is_seeded_and_stays_in_the_cube() {
        let d1 = saltelli(16, 2, Some(&mut ChaCha8Rng::seed_from_u64(1))).unwrap();
        let d1b = saltelli(16, 2, Some(&mut ChaCha8Rng::seed_from_u64(1))).unwrap();
        let d2 = saltelli(16, 2, Some(&mut ChaCha8Rng::seed_from_u64(2))).unwrap();
        assert_eq!(d1, d1b);
        assert_ne!(d1.points, d2.points);
        assert!(d1.points.iter().flatten().all(|x| (0.0..1.0).contains(x)));
        // Each coordinate is the plain design's plus its column offset mod 1.
        let plain = saltelli(16, 2, None).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let offsets: Vec<f64> = (0..4).map(|_| rng.random::<f64>()).collect();
        for j in 0..16 {
            for (k, idx) in [d1.layout.a(j), d1.layout.b(j)].into_iter().enumerate() {
                for i in 0..2 {
                    let want = (plain.points[idx][i] + offsets[2 * k + i]) % 1.0;
                    assert!((d1.points[idx][i] - want).abs() < 1e-15);
                }
            }
        }
    }

    #[test]
    fn saltelli_rejects_bad_sizes() {
        assert!(saltelli(0, 2, None).is_err());
        assert!(saltelli(4, 0, None).is_err());
        assert!(saltelli(4, SOBOL_MAX_DIMENSIONS / 2 + 1, None).is_err());
        assert!(saltelli(4, SOBOL_MAX_DIMENSIONS / 2, None).is_ok());
    }

    #[test]
    fn morris_trajectories_move_each_factor_once_on_the_grid() {
        let (r, d, p) = (20, 4, 4);
        let design = morris(r, d, p, &mut ChaCha8Rng::seed_from_u64(3)).unwrap();
        assert_eq!(design.points.len(), r * (d + 1));
        assert_eq!(design.steps.len(), r * d);
        assert!((design.delta - 2.0 / 3.0).abs() < 1e-15);
        let grid = [0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0];
        for t in 0..r {
            let mut moved = vec![false; d];
            for k in 0..d {
                let step = design.steps[t * d + k];
                let from = &design.points[t * (d + 1) + k];
                let to = &design.points[t * (d + 1) + k + 1];
                assert!(!moved[step.factor]);
                moved[step.factor] = true;
                for f in 0..d {
                    if f == step.factor {
                        assert!((to[f] - from[f] - step.delta).abs() < 1e-12);
                    } else {
                        assert_eq!(to[f], from[f]);
                    }
                }
                assert!(to.iter().all(|x| grid.contains(x)));
            }
            assert!(moved.iter().all(|&m| m));
        }
    }

    #[test]
    fn morris_rejects_bad_arguments() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert!(morris(0, 3, 4, &mut rng).is_err());
        assert!(morris(3, 0, 4, &mut rng).is_err());
        assert!(morris(3, 3, 3, &mut rng).is_err());
        assert!(morris(3, 3, 0, &mut rng).is_err());
        let two = morris(3, 2, 2, &mut rng).unwrap();
        assert_eq!(two.delta, 1.0);
    }
}
