//! The relationship ladder: ordered rungs from armed conflict to partnership.
//!
//! Each rung carries the trust threshold needed to hold it, the action level
//! it makes normal (its norm), the minimum stay before stepping up from it, the
//! domestic values cost of holding it, and the goods it adds to those of the
//! rungs below. A side values a rung by the goods of every rung up to it, net
//! of their values costs, so a relation can leap past a rung whose own goods
//! are worth nothing to the sides. The default is the eight-rung ladder of the
//! shared reference data; a scenario may rename or re-threshold it.

/// Number of goods a rung can deliver, in [`GOODS`] order.
pub const N_GOODS: usize = 5;

/// Names of the goods a rung delivers, in order.
pub const GOODS: [&str; N_GOODS] = ["shared_threat", "shared_issue", "economy", "legitimacy", "balance"];

/// Index of the economy good in [`GOODS`]: the goods economic ties grow into.
pub const ECONOMY_GOOD: usize = 2;

/// Largest ladder a scenario may define; fixed so run outcomes need no heap.
pub const MAX_RUNGS: usize = 16;

/// One rung of the ladder.
#[derive(Debug, Clone, PartialEq)]
pub struct Rung {
    /// Human-readable name, e.g. "diplomatic recognition".
    pub name: String,
    /// Minimum of the two trusts needed to step onto this rung (0..1).
    pub threshold: f64,
    /// Action level (-1..1) a partner is expected to show at this rung.
    pub norm: f64,
    /// Months a dyad must stay at this rung before it may step up from it.
    pub min_stay_months: f64,
    /// Multiplier of the values cost a side pays for holding this rung.
    pub values_cost: f64,
    /// Weight of each good (see [`GOODS`]) this rung delivers.
    pub goods: [f64; N_GOODS],
}

/// The ordered rungs; index = stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Ladder {
    /// Rungs from the most hostile (0) to the most cooperative.
    pub rungs: Vec<Rung>,
}

impl Ladder {
    /// Number of rungs.
    pub fn len(&self) -> usize {
        self.rungs.len()
    }

    /// Always false for a valid ladder; present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.rungs.is_empty()
    }

    /// Highest stage index.
    pub fn top(&self) -> u8 {
        (self.rungs.len() - 1) as u8
    }

    /// Per rung, the share of the ladder's economic goods delivered by the
    /// rungs up to it: the level a pair's economic ties grow toward while it
    /// holds that rung. 1 on every rung of a ladder without economic goods.
    pub fn ties_levels(&self) -> [f64; MAX_RUNGS] {
        let total: f64 = self.rungs.iter().map(|r| r.goods[ECONOMY_GOOD]).sum();
        let mut levels = [1.0; MAX_RUNGS];
        if total > 0.0 {
            let mut sum = 0.0;
            for (level, rung) in levels.iter_mut().zip(&self.rungs) {
                sum += rung.goods[ECONOMY_GOOD];
                *level = sum / total;
            }
        }
        levels
    }
}

impl Default for Ladder {
    /// The eight-rung ladder of the shared reference data. Thresholds rise
    /// evenly from contact to partnership: a higher rung exposes a side to
    /// more loss if the partner defects, so it needs a higher expected share
    /// of cooperative acts. No rung has a minimum stay: how long a relation
    /// rests on a rung comes from the sides' values and the hazard of a
    /// decision, not from the rung.
    fn default() -> Self {
        let rung = |name: &str, threshold, norm, values_cost, goods| Rung {
            name: name.to_string(),
            threshold,
            norm,
            min_stay_months: 0.0,
            values_cost,
            goods,
        };
        Ladder {
            rungs: vec![
                rung("armed conflict", 0.0, -0.6, 0.0, [0.0; N_GOODS]),
                rung("hostile estrangement", 0.0, -0.4, 0.1, [0.5, 0.2, 0.0, 0.1, 0.0]),
                rung("limited contact", 0.05, -0.2, 0.3, [0.5, 0.5, 0.2, 0.3, 0.0]),
                rung("functional cooperation", 0.15, -0.1, 0.5, [1.0, 1.0, 0.0, 0.0, 0.0]),
                rung("economic engagement", 0.25, 0.1, 0.8, [0.0, 0.2, 1.0, 0.2, 0.3]),
                rung("diplomatic recognition", 0.35, 0.2, 1.0, [0.3, 0.2, 0.3, 1.0, 0.5]),
                rung("trade normalization", 0.45, 0.3, 1.0, [0.0, 0.0, 1.0, 0.3, 0.5]),
                rung("strategic partnership", 0.55, 0.4, 1.2, [1.0, 0.0, 0.3, 0.3, 1.0]),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_economy_good_is_named_economy() {
        assert_eq!(GOODS[ECONOMY_GOOD], "economy");
    }

    #[test]
    fn ties_levels_are_the_cumulative_share_of_economic_goods() {
        let ladder = Ladder::default();
        let levels = ladder.ties_levels();
        // Economy goods 0, 0, 0.2, 0, 1, 0.3, 1, 0.3: a total of 2.8.
        let expected = [0.0, 0.0, 0.2, 0.2, 1.2, 1.5, 2.5, 2.8].map(|x| x / 2.8);
        for (s, e) in expected.iter().enumerate() {
            assert!((levels[s] - e).abs() < 1e-12, "rung {s}: {} vs {e}", levels[s]);
        }
        assert_eq!(levels[ladder.top() as usize], 1.0);
    }

    #[test]
    fn a_ladder_without_economic_goods_needs_no_ties() {
        let mut ladder = Ladder::default();
        for r in &mut ladder.rungs {
            r.goods[ECONOMY_GOOD] = 0.0;
        }
        assert!(ladder.ties_levels().iter().all(|&l| l == 1.0));
    }
}
