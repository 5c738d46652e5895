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
pub mod world;

pub use field::{Field, Op};
pub use ladder::{Ladder, Rung, MAX_RUNGS};
pub use params::{Params, PARAM_SPECS};
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
}
