//! The model: what a world is and what can happen to it.
//!
//! `model` holds data only: the [`World`] (actors, factions, relations,
//! armed groups, ladder, parameters), the [`Schedule`] of dated events,
//! stochastic processes and elections, and the [`Setup`] that bundles them
//! for one run. The mechanisms that move a world live in `engine`.
//! Nothing here does I/O or knows a file format.

pub mod field;
pub mod ladder;
pub mod params;
pub mod prior;
pub mod world;

pub use field::{Field, Op};

/// The largest count of one kind a command accepts: replications of one
/// variant, design point or candidate, design points, particles, proposals
/// and rounds. Far beyond any real job (10^9 runs of one variant take days
/// on a cluster), and small enough that sums and products of counts cannot
/// overflow.
pub const MAX_COUNT: u64 = 1_000_000_000;
pub use ladder::{Ladder, Rung, MAX_RUNGS};
pub use params::{Params, PARAM_SPECS};
pub use prior::{resolve_prior, resolve_values, Prior};
pub use world::{ActorInfo, ActorKind, Faction, Group, Pair, PairMode, View, World};

use crate::calendar::YearMonth;

/// A change to one number of the world.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effect {
    /// What is changed.
    pub field: Field,
    /// How.
    pub op: Op,
    /// By or to what.
    pub value: f64,
}

/// A forced attack, by an armed group or a state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attack {
    /// Attacker (actor index).
    pub by: usize,
    /// Target (actor index).
    pub on: usize,
    /// Severity added to the target's attack memory.
    pub severity: f64,
}

/// A dated event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Month index at which it fires (0 = the start month).
    pub month: u32,
    /// Name, as given in the scenario.
    pub name: String,
    /// Changes it makes.
    pub effects: Vec<Effect>,
    /// Attacks it stages.
    pub attacks: Vec<Attack>,
    /// A later step of a ramped event: applied but not logged again.
    pub quiet: bool,
}

/// How a condition compares a field's value with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `==`
    Eq,
}

impl Cmp {
    /// The operator as written in a scenario.
    pub fn as_str(self) -> &'static str {
        match self {
            Cmp::Ge => ">=",
            Cmp::Gt => ">",
            Cmp::Le => "<=",
            Cmp::Lt => "<",
            Cmp::Eq => "==",
        }
    }
}

/// A test on the state of the world: `field cmp value`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    /// What is tested.
    pub field: Field,
    /// How.
    pub cmp: Cmp,
    /// Against what.
    pub value: f64,
}

impl Condition {
    /// Whether the condition holds in `world`.
    pub fn holds(&self, world: &World) -> bool {
        let x = self.field.get(world);
        match self.cmp {
            Cmp::Ge => x >= self.value,
            Cmp::Gt => x > self.value,
            Cmp::Le => x <= self.value,
            Cmp::Lt => x < self.value,
            Cmp::Eq => x == self.value,
        }
    }
}

/// An event that waits for a state of the world: it fires once, in the first
/// month of its window at whose start the condition holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Conditional {
    /// First month index it may fire in.
    pub from: u32,
    /// Last month index it may fire in (inclusive).
    pub until: u32,
    /// What must hold.
    pub when: Condition,
    /// What happens then (its `month` is `from`).
    pub event: Event,
}

/// A stochastic process: fires each month of its window with a probability.
#[derive(Debug, Clone, PartialEq)]
pub struct Process {
    /// Name, as given in the scenario.
    pub name: String,
    /// First month index of the window.
    pub from: u32,
    /// Last month index of the window (inclusive).
    pub until: u32,
    /// Probability of firing in a month of the window.
    pub probability: f64,
    /// Changes it makes when it fires.
    pub effects: Vec<Effect>,
}

/// An election: on each of its months, faction influence is redrawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Election {
    /// Name, as given in the scenario.
    pub name: String,
    /// Month indices at which it is held, ascending.
    pub months: Vec<u32>,
    /// (faction index, low, high): influence and target are drawn uniformly in [low, high].
    pub draws: Vec<(usize, f64, f64)>,
}

/// Everything that happens to a world from outside its own mechanisms.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schedule {
    /// Dated events, sorted by month (stable: file order within a month).
    pub events: Vec<Event>,
    /// Events that wait for a condition, in file order.
    pub conditional: Vec<Conditional>,
    /// Stochastic processes.
    pub processes: Vec<Process>,
    /// Elections.
    pub elections: Vec<Election>,
}

/// A dyad whose path is recorded in the outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracked {
    /// First actor, as listed in the scenario ("a" in trust_ab).
    pub a: usize,
    /// Second actor.
    pub b: usize,
    /// Index of the pair in [`World::pairs`].
    pub pair: usize,
    /// Label, `a-b` with the actors' ids.
    pub label: String,
}

/// Everything one run needs: the initial world, its schedule and its clock.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    /// Initial world.
    pub world: World,
    /// Events, processes and elections.
    pub schedule: Schedule,
    /// Calendar month of month index 0.
    pub start: YearMonth,
    /// Last month index simulated (the horizon).
    pub horizon: u32,
    /// Dyads whose paths are recorded.
    pub tracked: Vec<Tracked>,
}

impl Setup {
    /// Calendar month of month index `t`.
    pub fn month(&self, t: u32) -> YearMonth {
        self.start.plus(t as i32)
    }

    /// The tracked dyad labelled `a-b`, given in either order (see [`same_dyad`]).
    pub fn tracked_index(&self, label: &str) -> Option<usize> {
        self.tracked.iter().position(|t| same_dyad(&t.label, label))
    }
}

/// Whether the dyad label `label` (`a-b`) is the dyad `wanted`, given in
/// either order: every command that takes a dyad, from a scenario or from a
/// results folder, matches it here, so `us-taliban` and `taliban-us` name
/// the same one everywhere. Actor ids hold no `-`, so a label splits one
/// way only.
pub fn same_dyad(label: &str, wanted: &str) -> bool {
    label == wanted || wanted.split_once('-').is_some_and(|(a, b)| label.split_once('-') == Some((b, a)))
}

/// Normalises faction shares and records where each armed group's parent
/// started: what every world needs after its numbers were set, whether by a
/// scenario file, a variant, a design point or a calibration proposal.
pub fn finish(world: &mut World) {
    world.normalize_factions();
    for g in 0..world.groups.len() {
        if let Some(parent) = world.groups[g].parent {
            world.groups[g].parent_pragmatism_start = world.pragmatism(parent);
        }
    }
}

/// A setup with extra `key path = value` overrides applied to its initial world.
pub fn with_overrides(setup: &Setup, overrides: &[(Field, f64)]) -> Setup {
    let mut out = setup.clone();
    for &(field, value) in overrides {
        field.apply(&mut out.world, Op::Set, value);
    }
    finish(&mut out.world);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testworld::two_states;

    fn setup() -> Setup {
        Setup {
            world: two_states(),
            schedule: Schedule::default(),
            start: YearMonth::parse("2000-01").unwrap(),
            horizon: 12,
            tracked: vec![Tracked { a: 0, b: 1, pair: 0, label: "s0-s1".into() }],
        }
    }

    #[test]
    fn a_tracked_dyad_is_found_in_either_order() {
        let s = setup();
        assert_eq!(s.tracked_index("s0-s1"), Some(0));
        assert_eq!(s.tracked_index("s1-s0"), Some(0));
        assert_eq!(s.tracked_index("s0-s2"), None);
        assert_eq!(s.tracked_index("s0"), None);
        assert!(same_dyad("us-taliban", "taliban-us") && same_dyad("us-taliban", "us-taliban"));
        assert!(!same_dyad("us-taliban", "us-isis_k") && !same_dyad("us-taliban", "taliban"));
    }

    #[test]
    fn overrides_set_values_on_a_copy_and_finish_it() {
        let base = setup();
        let field = Field::resolve(&base.world, "actors.s0.capability").unwrap();
        let out = with_overrides(&base, &[(field, 0.25)]);
        assert_eq!(field.get(&out.world), 0.25);
        assert_eq!(field.get(&base.world), 1.0);
        assert_eq!(with_overrides(&base, &[]), base);
    }
}
