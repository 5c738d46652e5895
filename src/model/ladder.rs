//! The relationship ladder: ordered rungs from armed conflict to partnership.
//!
//! Each rung carries the trust threshold needed to reach it, the action level
//! it makes normal (its norm), the minimum stay before stepping up from it, the
//! domestic values cost of stepping onto it, and the goods it delivers. The
//! default reproduces the eight-rung ladder of the model brief; a scenario may
//! rename or re-threshold it.

/// Number of goods a rung can deliver, in [`GOODS`] order.
pub const N_GOODS: usize = 5;

/// Names of the goods a rung delivers, in order.
pub const GOODS: [&str; N_GOODS] = ["shared_threat", "shared_issue", "economy", "legitimacy", "balance"];

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
    /// Multiplier of the values cost the gatekeeper pays to step onto this rung.
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
}

impl Default for Ladder {
    /// The eight-rung ladder of the model brief. Thresholds flatten at the top
    /// because trust learned from surprise plateaus near 0.4-0.6; the minimum
    /// stays differ per rung because one value cannot give both Vietnam's
    /// 17-month step from 4 to 5 and its 14-year step from 6 to 7.
    fn default() -> Self {
        let rung = |name: &str, threshold, norm, min_stay_months, values_cost, goods| Rung {
            name: name.to_string(),
            threshold,
            norm,
            min_stay_months,
            values_cost,
            goods,
        };
        Ladder {
            rungs: vec![
                rung("armed conflict", 0.0, -0.6, 6.0, 0.0, [0.0; N_GOODS]),
                rung("hostile estrangement", 0.03, -0.4, 12.0, 0.1, [0.5, 0.2, 0.0, 0.1, 0.0]),
                rung("limited contact", 0.08, -0.2, 18.0, 0.3, [0.5, 0.5, 0.2, 0.3, 0.0]),
                rung("functional cooperation", 0.14, -0.1, 36.0, 0.5, [1.0, 1.0, 0.0, 0.0, 0.0]),
                rung("economic engagement", 0.19, 0.1, 12.0, 0.8, [0.0, 0.2, 1.0, 0.2, 0.3]),
                rung("diplomatic recognition", 0.25, 0.2, 48.0, 1.0, [0.3, 0.2, 0.3, 1.0, 0.5]),
                rung("trade normalization", 0.30, 0.3, 96.0, 1.0, [0.0, 0.0, 1.0, 0.3, 0.5]),
                rung("strategic partnership", 0.34, 0.4, 0.0, 1.2, [1.0, 0.0, 0.3, 0.3, 1.0]),
            ],
        }
    }
}
