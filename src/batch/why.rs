//! The reasons behind the paths: the engine's decision records
//! ([`crate::engine::ladder::Decision`]) folded per run and per job.
//!
//! Each recorded month falls in a *cell*: the tracked dyad, the rung it was
//! at, the rung in question, the condition that bound (a move by its cause,
//! or a step up refused, unwanted, distrusted, deliberating or not yet
//! drawn) and the side whose condition it was. A cell counts the months and
//! the runs, sums the deciding side's terms, and counts which term decided:
//! against a step (refused, unwanted) the most negative of the goods, the
//! values cost and the exposure to defection; for a move or a step in
//! reach (step up, not yet, deliberating, downgrade) the most positive;
//! trust for the trust-bound conditions (distrusted, low trust, betrayal).
//!
//! Every sum is an integer ([`SignedFixed`]), so the fold is exact and
//! associative like [`super::aggregate`]: shards merge and resumed batches
//! finish with the same bytes, whatever the thread count. A run may also
//! keep its *spells*: consecutive months of one cell, with the terms of the
//! spell's last month, which `decisions.csv` lists and the exemplar
//! timelines cite.

use serde::{Deserialize, Serialize};

use crate::batch::aggregate::FixedSum;
use crate::engine::ladder::{Decision, SideTerms, Verdict};
use crate::engine::Cause;
use crate::model::ladder::N_GOODS;
use crate::model::Setup;

/// A signed sum of reals.
pub type SignedFixed = FixedSum<i128>;

impl SignedFixed {
    /// Adds `x`, rounded to 1e-12 (non-finite values count as 0).
    pub fn add(&mut self, x: f64) {
        if x.is_finite() {
            self.0 += (x * Self::SCALE).round() as i128;
        }
    }
}

/// What bound a month's decision, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Condition {
    /// Stepped up: every consenting side gained, trusted enough, and the draw beat the hazard.
    StepUp,
    /// Left for a lower rung a side valued more.
    Downgrade,
    /// Dropped a rung after the partner's sustained breaches.
    Betrayal,
    /// Dropped to the rung a side's trust still supports.
    LowTrust,
    /// Went to war.
    War,
    /// A step was acceptable and ready, but the month's draw did not beat its hazard.
    NotYet,
    /// A step was acceptable but not ratified yet, or the rung's minimum stay was not over.
    Deliberating,
    /// A side gained from the step but trusted the partner less than the rung needs.
    Distrusted,
    /// A side whose consent is needed did not gain from the step, though the other did.
    Refused,
    /// No consenting side gained from any higher rung.
    Unwanted,
}

/// Every condition, in output order.
pub const CONDITIONS: [Condition; 10] = [
    Condition::StepUp,
    Condition::Downgrade,
    Condition::Betrayal,
    Condition::LowTrust,
    Condition::War,
    Condition::NotYet,
    Condition::Deliberating,
    Condition::Distrusted,
    Condition::Refused,
    Condition::Unwanted,
];

impl Condition {
    /// Of a decision (None for scripted moves, which no decision makes).
    pub fn of(verdict: Verdict) -> Option<Condition> {
        Some(match verdict {
            Verdict::Moved(Cause::StepUp) => Condition::StepUp,
            Verdict::Moved(Cause::Downgrade) => Condition::Downgrade,
            Verdict::Moved(Cause::Betrayal) => Condition::Betrayal,
            Verdict::Moved(Cause::LowTrust) => Condition::LowTrust,
            Verdict::Moved(Cause::War) => Condition::War,
            Verdict::Moved(Cause::Scripted) => return None,
            Verdict::Refused(_) => Condition::Refused,
            Verdict::Distrusted(_) => Condition::Distrusted,
            Verdict::Deliberating => Condition::Deliberating,
            Verdict::NotYet => Condition::NotYet,
            Verdict::Unwanted => Condition::Unwanted,
        })
    }

    /// Its code in `why.csv` and `decisions.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::StepUp => "step_up",
            Condition::Downgrade => "downgrade",
            Condition::Betrayal => "betrayal",
            Condition::LowTrust => "low_trust",
            Condition::War => "war",
            Condition::NotYet => "not_yet",
            Condition::Deliberating => "deliberating",
            Condition::Distrusted => "distrusted",
            Condition::Refused => "refused",
            Condition::Unwanted => "unwanted",
        }
    }

    /// Whether the condition moved the pair.
    pub fn moved(self) -> bool {
        matches!(
            self,
            Condition::StepUp
                | Condition::Downgrade
                | Condition::Betrayal
                | Condition::LowTrust
                | Condition::War
        )
    }
}

/// The terms a decision can turn on, in output order: each good, the
/// values cost, the exposure to defection, trust.
pub const TERMS: usize = N_GOODS + 3;

/// Names of the terms in `why.csv`.
pub const TERM_NAMES: [&str; TERMS] = [
    "goods_shared_threat",
    "goods_shared_issue",
    "goods_economy",
    "goods_legitimacy",
    "goods_balance",
    "values",
    "distrust",
    "trust",
];

/// The term that decided, from the deciding side's terms: against a step
/// the most negative, for a move or a step in reach the most positive (the
/// first on a tie), trust for the trust-bound conditions; None for war.
pub fn deciding_term(condition: Condition, t: &SideTerms) -> Option<usize> {
    let parts: [f64; TERMS - 1] = {
        let mut p = [0.0; TERMS - 1];
        p[..N_GOODS].copy_from_slice(&t.goods);
        p[N_GOODS] = t.values;
        p[N_GOODS + 1] = t.distrust;
        p
    };
    let pick = |better: fn(f64, f64) -> bool| {
        let mut best = 0;
        for (i, &x) in parts.iter().enumerate() {
            if better(x, parts[best]) {
                best = i;
            }
        }
        Some(best)
    };
    match condition {
        Condition::War => None,
        Condition::Distrusted | Condition::LowTrust | Condition::Betrayal => Some(TERMS - 1),
        Condition::Refused | Condition::Unwanted => pick(|x, best| x < best),
        _ => pick(|x, best| x > best),
    }
}

/// Which cell a decision falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CellKey {
    /// Index of the tracked dyad.
    pub dyad: u16,
    /// Rung before the decision.
    pub stage: u8,
    /// Rung moved to, or the rung in question.
    pub target: u8,
    /// What bound.
    pub condition: Condition,
    /// The deciding side as the tracked dyad orders it: 0 = a, 1 = b; None for war.
    pub side: Option<u8>,
}

/// The months of one cell, summed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CellSums {
    /// Months (pair-months over all runs).
    pub months: u64,
    /// Runs with at least one such month.
    pub runs: u64,
    /// Sums of the deciding side's goods terms.
    pub goods: [SignedFixed; N_GOODS],
    /// Sum of its values term.
    pub values: SignedFixed,
    /// Sum of its exposure term.
    pub distrust: SignedFixed,
    /// Sum of its war term.
    pub war: SignedFixed,
    /// Sum of its gain.
    pub gain: SignedFixed,
    /// Sum of its trust.
    pub trust: SignedFixed,
    /// Sum of the threshold its trust was held against.
    pub threshold: SignedFixed,
    /// Sum of the hazard.
    pub hazard: SignedFixed,
    /// Months each term decided (see [`deciding_term`]).
    pub decided: [u64; TERMS],
}

impl CellSums {
    fn add(&mut self, key: &CellKey, d: &Decision, sides: &[SideTerms; 2]) {
        self.months += 1;
        self.hazard.add(d.hazard);
        let Some(k) = key.side else { return };
        let t = &sides[k as usize];
        for (sum, x) in self.goods.iter_mut().zip(&t.goods) {
            sum.add(*x);
        }
        self.values.add(t.values);
        self.distrust.add(t.distrust);
        self.war.add(t.war);
        self.gain.add(t.gain);
        self.trust.add(t.trust);
        self.threshold.add(t.threshold);
        if let Some(i) = deciding_term(key.condition, t) {
            self.decided[i] += 1;
        }
    }

    fn absorb(&mut self, other: &CellSums) {
        self.months += other.months;
        self.runs += other.runs;
        for (a, b) in self.goods.iter_mut().zip(&other.goods) {
            a.absorb(*b);
        }
        for (a, b) in [
            (&mut self.values, other.values),
            (&mut self.distrust, other.distrust),
            (&mut self.war, other.war),
            (&mut self.gain, other.gain),
            (&mut self.trust, other.trust),
            (&mut self.threshold, other.threshold),
            (&mut self.hazard, other.hazard),
        ] {
            a.absorb(b);
        }
        for (a, b) in self.decided.iter_mut().zip(&other.decided) {
            *a += b;
        }
    }
}

/// A run of consecutive months in one cell of one run, with the record of
/// its last month (sides in the tracked dyad's order).
#[derive(Debug, Clone, PartialEq)]
pub struct Spell {
    /// The cell.
    pub key: CellKey,
    /// First month of the spell.
    pub first: u32,
    /// Months in the spell.
    pub months: u32,
    /// The last month's decision, its sides in the tracked dyad's order.
    pub last: Decision,
}

/// The sums of a set of cells, kept sorted by key.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WhySummary {
    /// Cells in key order.
    pub cells: Vec<(CellKey, CellSums)>,
}

impl WhySummary {
    fn cell(&mut self, key: CellKey) -> (&mut CellSums, bool) {
        match self.cells.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => (&mut self.cells[i].1, false),
            Err(i) => {
                self.cells.insert(i, (key, CellSums::default()));
                (&mut self.cells[i].1, true)
            }
        }
    }

    /// Adds another summary (of other runs of the same job).
    pub fn absorb(&mut self, other: &WhySummary) {
        for (key, sums) in &other.cells {
            self.cell(*key).0.absorb(sums);
        }
    }

    /// Total months of dyad `dyad` recorded at rung `stage`.
    pub fn months_at(&self, dyad: u16, stage: u8) -> u64 {
        self.cells.iter().filter(|(k, _)| k.dyad == dyad && k.stage == stage).map(|(_, c)| c.months).sum()
    }
}

/// What one run's decisions come to: its cells and, when kept, its spells.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunWhy {
    /// The run's cells (each with `runs` = 1).
    pub summary: WhySummary,
    /// Its spells in month order per dyad, when asked for.
    pub spells: Vec<Spell>,
}

impl RunWhy {
    /// Folds a run's decision records; `spells` keeps the spells too.
    pub fn of(setup: &Setup, decisions: &[Decision], spells: bool) -> RunWhy {
        let mut out = RunWhy::default();
        for d in decisions {
            let Some(condition) = Condition::of(d.verdict) else { continue };
            let Some(dyad) = setup.tracked.iter().position(|t| t.pair == d.pair) else { continue };
            let tracked = &setup.tracked[dyad];
            // The record orders the sides as the world's pair; outputs follow the tracked dyad.
            let swap = setup.world.pairs[d.pair].a != tracked.a;
            let sides = if swap { [d.sides[1], d.sides[0]] } else { d.sides };
            let side = d.side.map(|k| (if swap { 1 - k } else { k }) as u8);
            let key = CellKey { dyad: dyad as u16, stage: d.stage, target: d.target, condition, side };
            let (cell, fresh) = out.summary.cell(key);
            if fresh {
                cell.runs = 1;
            }
            cell.add(&key, d, &sides);
            if spells {
                let record = Decision { sides, side: side.map(usize::from), ..*d };
                match out.spells.iter_mut().rev().find(|s| s.key.dyad == key.dyad) {
                    Some(s) if s.key == key && s.first + s.months == d.month => {
                        s.months += 1;
                        s.last = record;
                    }
                    _ => out.spells.push(Spell { key, first: d.month, months: 1, last: record }),
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(goods: [f64; N_GOODS], values: f64, distrust: f64) -> SideTerms {
        SideTerms { goods, values, distrust, ..SideTerms::default() }
    }

    #[test]
    fn the_deciding_term_is_the_largest_against_or_for() {
        let t = terms([0.08, 0.0, 0.0, 0.0, 0.0], -0.44, -0.1);
        assert_eq!(deciding_term(Condition::Refused, &t), Some(5), "values cost outweighed the goods");
        assert_eq!(deciding_term(Condition::StepUp, &t), Some(0), "the shared threat carried it");
        assert_eq!(deciding_term(Condition::Distrusted, &t), Some(7));
        assert_eq!(deciding_term(Condition::War, &t), None);
    }

    #[test]
    fn fixed_sums_are_signed_and_exact() {
        let mut a = SignedFixed::default();
        a.add(-0.25);
        a.add(0.5);
        let mut b = SignedFixed::default();
        b.add(0.5);
        b.add(-0.25);
        assert_eq!(a, b);
        assert_eq!(a.mean(2), 0.125);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"250000000000\"", "checkpoints hold the integer as decimal text");
        assert_eq!(serde_json::from_str::<SignedFixed>(&json).unwrap(), a);
    }

    #[test]
    fn summaries_absorb_in_any_grouping() {
        let key = |stage| CellKey { dyad: 0, stage, target: 3, condition: Condition::Refused, side: Some(0) };
        let mut a = WhySummary::default();
        a.cell(key(2)).0.months = 3;
        let mut b = WhySummary::default();
        b.cell(key(1)).0.months = 2;
        b.cell(key(2)).0.months = 1;
        let mut ab = a.clone();
        ab.absorb(&b);
        let mut ba = b.clone();
        ba.absorb(&a);
        assert_eq!(ab, ba);
        assert_eq!(ab.months_at(0, 2), 4);
        assert_eq!(ab.cells[0].0.stage, 1, "kept in key order");
    }
}
