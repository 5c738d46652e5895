//! The engine: runs one world month by month.
//!
//! [`Simulator::run`] takes a [`Setup`] and a seed and returns the run's
//! [`RunOutcome`], optionally recording per-month rows and fired events in a
//! [`Recorder`]. Each mechanism of the model brief is a submodule with one
//! entry point called from [`Simulator::tick`] in a fixed order.
//!
//! Architecture invariant: no I/O, no clock, no global RNG. All randomness
//! comes from the run's [`Streams`]; iteration is always by index. The
//! simulator owns its scratch buffers, so a tick never allocates.

pub mod choice;
pub mod events;
pub mod factions;
pub mod groups;
pub mod ladder;
pub mod rng;
#[cfg(test)]
pub(crate) mod testworld;
pub mod threat;
pub mod trust;

use crate::model::world::N_GOALS;
use crate::model::{PairMode, Setup, World, MAX_RUNGS};
pub use rng::{run_seed, Streams};

/// The eight actions, from most hostile to most cooperative.
pub const ACTIONS: [&str; 8] =
    ["attack", "coerce", "condemn", "hold", "talk", "concede", "cooperate", "reward"];
/// Cooperation level of each action (-1..1); the Goldstein-like score is ten times this.
pub const ACTION_LEVELS: [f64; 8] = [-1.0, -0.6, -0.3, 0.0, 0.2, 0.4, 0.6, 0.8];
/// Index of the attack action.
pub const ATTACK: u8 = 0;
/// Index of the hold action (level 0).
pub const HOLD: u8 = 3;

/// Why a dyad's stage changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Every side whose consent is needed gained from a higher rung and agreed.
    StepUp,
    /// A side gained more from a lower rung than the cost of leaving this one.
    Downgrade,
    /// The partner's sustained violations of the rung's norm.
    Betrayal,
    /// A side's trust fell below the rung's threshold minus the hysteresis margin.
    LowTrust,
    /// An exchange of attacks, or attacks in two months running.
    War,
    /// Set by a scheduled event.
    Scripted,
}

impl Cause {
    /// Reason code used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::StepUp => "step_up",
            Cause::Downgrade => "downgrade",
            Cause::Betrayal => "betrayal",
            Cause::LowTrust => "low_trust",
            Cause::War => "war",
            Cause::Scripted => "scripted",
        }
    }
}

/// Something that happened in a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Happening {
    /// A scheduled event fired (index into the schedule's events).
    Event(usize),
    /// A conditional event fired (index into the schedule's conditional events).
    Conditional(usize),
    /// A stochastic process fired (index into the schedule's processes).
    Process(usize),
    /// An election was held (index into the schedule's elections).
    Election(usize),
    /// An attack (by, on).
    Attack(usize, usize),
    /// A stage change of a pair (pair index, from, to, cause).
    Stage(usize, u8, u8, Cause),
}

/// A happening and the month it happened in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fired {
    /// Month index.
    pub month: u32,
    /// What happened.
    pub what: Happening,
}

/// One tracked dyad in one month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TickRecord {
    /// Month index.
    pub month: u32,
    /// Index into the setup's tracked dyads.
    pub dyad: u16,
    /// Stage.
    pub stage: u8,
    /// a's trust in b.
    pub trust_ab: f32,
    /// b's trust in a.
    pub trust_ba: f32,
    /// Mean Goldstein-like score of the two directions' actions (-10..10).
    pub net_cooperation: f32,
}

/// What a run records beyond its outcome; both parts optional and reused between runs.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Per-month rows of tracked dyads, when wanted.
    pub series: Option<Vec<TickRecord>>,
    /// Fired happenings, when wanted.
    pub fired: Option<Vec<Fired>>,
    /// Decisions about tracked pairs (moves, and steps possible but not
    /// taken), when wanted: the reasons behind a path.
    pub decisions: Option<Vec<ladder::Decision>>,
}

impl Recorder {
    /// A recorder that keeps the series and/or the happenings.
    pub fn new(series: bool, fired: bool) -> Recorder {
        Recorder { series: series.then(Vec::new), fired: fired.then(Vec::new), decisions: None }
    }

    /// Also keeps the decisions about tracked pairs.
    pub fn with_decisions(mut self) -> Recorder {
        self.decisions = Some(Vec::new());
        self
    }

    fn clear(&mut self) {
        if let Some(s) = &mut self.series {
            s.clear();
        }
        if let Some(f) = &mut self.fired {
            f.clear();
        }
        if let Some(d) = &mut self.decisions {
            d.clear();
        }
    }

    #[inline]
    fn decide(&mut self, d: ladder::Decision) {
        if let Some(list) = &mut self.decisions {
            list.push(d);
        }
    }

    #[inline]
    fn note(&mut self, month: u32, what: Happening) {
        if let Some(f) = &mut self.fired {
            f.push(Fired { month, what });
        }
    }
}

/// Outcome of one tracked dyad in one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DyadOutcome {
    /// Stage at month 0.
    pub initial_stage: u8,
    /// First month at which the stage was at or above each rung (None: never).
    pub first_reach: [Option<u32>; MAX_RUNGS],
    /// Highest stage reached.
    pub max_stage: u8,
    /// Stage at the horizon.
    pub final_stage: u8,
    /// a's trust in b at the horizon.
    pub final_trust_ab: f64,
    /// b's trust in a at the horizon.
    pub final_trust_ba: f64,
}

/// Outcome of one armed group in one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupOutcome {
    /// Attacks the group carried out (including scheduled ones).
    pub attacks: u32,
    /// Peak strength.
    pub peak_strength: f64,
    /// Strength at the horizon.
    pub final_strength: f64,
}

/// What one run tells an analyst.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// One per tracked dyad, in the setup's order.
    pub dyads: Vec<DyadOutcome>,
    /// One per armed group, in the world's order.
    pub groups: Vec<GroupOutcome>,
}

/// Per-run scratch values derived from the world each month.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    /// Influence-weighted pragmatism per actor.
    pub pragmatism: Vec<f64>,
    /// Goal weights each actor decides by this month (influence-weighted over factions).
    pub goals: Vec<[f64; N_GOALS]>,
    /// Effective perceived hostility h_ij, ordered pairs.
    pub hostility: Vec<f64>,
    /// Threat theta_ij, ordered pairs.
    pub threat: Vec<f64>,
    /// Faction signal per actor this month: +1 per step up, -1 per betrayal or attack.
    pub signal: Vec<f64>,
    /// Whether group g attacked actor i this month, ordered pairs (g, i).
    pub attacked: Vec<bool>,
    /// Ordered pairs (i, j) whose action i chooses by logit.
    pub choosers: Vec<(usize, usize)>,
    /// What each ordered pair (i, j) is this month (index i n + j), so the
    /// loops over ordered pairs read one byte instead of presence, kinds and
    /// the pair's mode.
    pub kinds: Vec<PairKind>,
    /// Ordered pairs whose action a rule sets rather than a choice, with the rule.
    pub fixed: Vec<FixedAct>,
    /// Index into the world's groups of each actor that is an armed group.
    pub group_slot: Vec<Option<usize>>,
    /// Outcome being built.
    pub groups: Vec<GroupOutcome>,
    /// Stages of the tracked dyads before an event, to log what it changed.
    pub tracked_stages: Vec<u8>,
    /// Whether each conditional event of the schedule has fired in this run.
    pub conditional_fired: Vec<bool>,
    /// Whether each pair is a tracked dyad (decisions are recorded for those only).
    pub tracked_pair: Vec<bool>,
}

/// What an ordered pair (i, j) is in the month's loops; changes only when
/// an actor's presence or a pair's mode does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairKind {
    /// i = j.
    Itself,
    /// i or j does not exist this month.
    Absent,
    /// Two states whose pair is scripted.
    ScriptedStates,
    /// Two states whose pair is simulated.
    SimulatedStates,
    /// Both exist and at least one is an armed group.
    WithGroup,
}

/// The rule that sets the action of an ordered pair that does not choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Hold (an actor that does not exist this month).
    Hold,
    /// An armed group toward anyone: attack if it attacked this month, else
    /// hold toward its host and the group stance toward everyone else.
    Group {
        /// Whether j hosts the group.
        host: bool,
    },
    /// A state in a scripted pair acts at the norm of the pair's rung.
    Norm {
        /// Index into the world's pairs.
        pair: usize,
    },
}

/// One ordered pair whose action is set by a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedAct {
    /// Index of the ordered pair (i n + j).
    pub view: usize,
    /// The rule.
    pub rule: Rule,
}

/// Runs worlds; owns the buffers so repeated runs do not allocate per tick.
#[derive(Debug, Default)]
pub struct Simulator {
    world: Option<World>,
    scratch: Scratch,
    state: Option<RunState>,
}

/// Position of the run in progress.
#[derive(Debug)]
struct RunState {
    streams: Streams,
    cursor: events::Cursor,
    dyads: Vec<DyadOutcome>,
    month: u32,
}

impl Simulator {
    /// A simulator with empty buffers.
    pub fn new() -> Simulator {
        Simulator::default()
    }

    /// The world as it stands (after a run: at the horizon).
    pub fn world(&self) -> Option<&World> {
        self.world.as_ref()
    }

    /// Runs `setup` with seed `seed` to its horizon.
    pub fn run(&mut self, setup: &Setup, seed: u64, rec: &mut Recorder) -> RunOutcome {
        self.start(setup, seed, rec);
        while self.step(setup, rec) {}
        self.finish(setup)
    }

    /// Starts a run: copies the setup's world, fires month-0 events, records month 0.
    pub fn start(&mut self, setup: &Setup, seed: u64, rec: &mut Recorder) {
        let mut streams = Streams::new(seed);
        rec.clear();
        let world = match &mut self.world {
            Some(w) => {
                w.reset_from(&setup.world);
                w
            }
            None => self.world.insert(setup.world.clone()),
        };
        spread_goals(world, &mut streams.inputs);
        self.scratch.conditional_fired.clear();
        self.scratch.conditional_fired.resize(setup.schedule.conditional.len(), false);
        self.scratch.tracked_pair.clear();
        self.scratch.tracked_pair.resize(setup.world.pairs.len(), false);
        for t in &setup.tracked {
            self.scratch.tracked_pair[t.pair] = true;
        }
        events::update_presence(world, 0);
        prepare(world, &mut self.scratch);
        let mut cursor = events::Cursor::default();
        let modes = world.mode_version;
        events::fire_due(world, setup, 0, &mut cursor, &mut streams, &mut self.scratch, rec);
        if world.mode_version != modes {
            // Month 1 chooses under the modes month-0 events set.
            list_choosers(world, &mut self.scratch);
        }
        // Economic ties start matched to the rung each pair holds at month 0.
        let levels = world.ladder.ties_levels();
        for p in &mut world.pairs {
            p.ties = levels[p.stage as usize];
        }
        // The outcome starts from month 0 as it stands after month-0 events.
        let mut dyads: Vec<DyadOutcome> = setup
            .tracked
            .iter()
            .map(|t| {
                let s = world.pairs[t.pair].stage;
                DyadOutcome {
                    initial_stage: s,
                    first_reach: [None; MAX_RUNGS],
                    max_stage: s,
                    final_stage: s,
                    final_trust_ab: 0.0,
                    final_trust_ba: 0.0,
                }
            })
            .collect();
        observe(world, setup, 0, &mut dyads, rec);
        self.state = Some(RunState { streams, cursor, dyads, month: 0 });
    }

    /// Simulates the next month; false once the horizon has been passed.
    pub fn step(&mut self, setup: &Setup, rec: &mut Recorder) -> bool {
        let (Some(world), Some(state)) = (&mut self.world, &mut self.state) else { return false };
        if state.month >= setup.horizon {
            return false;
        }
        state.month += 1;
        let t = state.month;
        tick(world, setup, t, &mut state.cursor, &mut state.streams, &mut self.scratch, rec);
        observe(world, setup, t, &mut state.dyads, rec);
        true
    }

    /// Ends the run and returns its outcome.
    pub fn finish(&mut self, setup: &Setup) -> RunOutcome {
        let state = self.state.take().expect("finish follows start");
        let world = self.world.as_ref().expect("a started run has a world");
        let mut dyads = state.dyads;
        for (d, t) in dyads.iter_mut().zip(&setup.tracked) {
            d.final_stage = world.pairs[t.pair].stage;
            d.final_trust_ab = world.views[world.view_index(t.a, t.b)].trust;
            d.final_trust_ba = world.views[world.view_index(t.b, t.a)].trust;
        }
        for (out, g) in self.scratch.groups.iter_mut().zip(&world.groups) {
            out.final_strength = g.strength;
        }
        RunOutcome { dyads, groups: self.scratch.groups.clone() }
    }
}

/// Sizes the scratch buffers for `world` and lists who chooses toward whom
/// (public for the mechanism benchmarks).
pub fn prepare(world: &World, s: &mut Scratch) {
    let n = world.n();
    s.pragmatism.resize(n, 0.0);
    s.goals.resize(n, [0.0; N_GOALS]);
    s.hostility.resize(n * n, 0.0);
    s.threat.resize(n * n, 0.0);
    s.signal.resize(n, 0.0);
    s.attacked.resize(n * n, false);
    s.group_slot.clear();
    s.group_slot.resize(n, None);
    for (k, g) in world.groups.iter().enumerate() {
        s.group_slot[g.actor] = Some(k);
    }
    list_choosers(world, s);
    s.groups.clear();
    s.groups.extend(world.groups.iter().map(|g| GroupOutcome {
        attacks: 0,
        peak_strength: g.strength,
        final_strength: g.strength,
    }));
}

/// Draws this run's priorities: every goal weight of every actor, and of
/// every faction that has goals of its own, is multiplied by
/// exp(spread z - spread^2 / 2) with z standard normal (a mean-preserving
/// lognormal), in actor then faction order, five draws each. A spread of 0
/// draws nothing.
fn spread_goals(world: &mut World, rng: &mut rng::SimRng) {
    let spread = world.params.goal_spread;
    if spread <= 0.0 {
        return;
    }
    let mut scale = |w: &mut [f64; N_GOALS]| {
        for x in w.iter_mut() {
            *x *= (spread * rng::standard_normal(rng) - 0.5 * spread * spread).exp();
        }
    };
    for g in &mut world.goals {
        scale(g);
    }
    for f in &mut world.factions {
        if let Some(g) = &mut f.goals {
            scale(g);
        }
    }
}

/// Sorts the ordered pairs for the month's loops ([`sort_pairs`]) and lists
/// the pairs (i, j) whose action i chooses by logit: i a present actor that
/// is not an armed group, j present, and their pair simulated or j an armed
/// group. Called again whenever a mode or an actor's presence changes
/// during a tick, which is all these depend on.
pub fn list_choosers(world: &World, s: &mut Scratch) {
    sort_pairs(world, s);
    let n = world.n();
    s.choosers.clear();
    for (view, &kind) in s.kinds.iter().enumerate() {
        let (i, j) = (view / n, view % n);
        let chooses = match kind {
            PairKind::SimulatedStates => true,
            PairKind::WithGroup => !world.is_group(i),
            PairKind::Itself | PairKind::Absent | PairKind::ScriptedStates => false,
        };
        if chooses {
            s.choosers.push((i, j));
        }
    }
}

/// Gives every ordered pair its [`PairKind`] and lists the pairs whose
/// action a rule sets, with the rule.
pub fn sort_pairs(world: &World, s: &mut Scratch) {
    let n = world.n();
    s.kinds.clear();
    s.fixed.clear();
    for i in 0..n {
        for j in 0..n {
            let view = i * n + j;
            let kind = pair_kind(world, i, j);
            s.kinds.push(kind);
            let rule = match kind {
                PairKind::Absent => Rule::Hold,
                PairKind::WithGroup if world.is_group(i) => {
                    let host = s.group_slot[i].is_some_and(|g| world.groups[g].host == Some(j));
                    Rule::Group { host }
                }
                PairKind::ScriptedStates => Rule::Norm { pair: world.pair_index(i, j) },
                PairKind::Itself | PairKind::WithGroup | PairKind::SimulatedStates => continue,
            };
            s.fixed.push(FixedAct { view, rule });
        }
    }
}

fn pair_kind(world: &World, i: usize, j: usize) -> PairKind {
    if i == j {
        PairKind::Itself
    } else if !world.present[i] || !world.present[j] {
        PairKind::Absent
    } else if world.is_group(i) || world.is_group(j) {
        PairKind::WithGroup
    } else if world.pairs[world.pair_index(i, j)].mode == PairMode::Scripted {
        PairKind::ScriptedStates
    } else {
        PairKind::SimulatedStates
    }
}

/// One month, in the order of the model brief.
fn tick(
    world: &mut World,
    setup: &Setup,
    t: u32,
    cursor: &mut events::Cursor,
    streams: &mut Streams,
    scratch: &mut Scratch,
    rec: &mut Recorder,
) {
    scratch.attacked.fill(false);
    scratch.signal.fill(0.0);
    let present = events::update_presence(world, t);
    let modes = world.mode_version;
    events::fire_due(world, setup, t, cursor, streams, scratch, rec);
    if present || world.mode_version != modes {
        list_choosers(world, scratch);
    }
    groups::attack(world, t, &mut streams.attacks, scratch, rec);
    threat::perceive(world, scratch);
    choice::choose(world, &mut streams.choice, scratch);
    groups::mark_chosen_attacks(world, t, scratch, rec);
    trust::update(world, scratch);
    ladder::move_stages(world, t, &mut streams.ladder, scratch, rec);
    factions::update(world, &mut streams.factions, scratch);
    groups::grow(world, scratch);
    threat::decay(world);
}

/// Records month `t` of the tracked dyads.
fn observe(world: &World, setup: &Setup, t: u32, dyads: &mut [DyadOutcome], rec: &mut Recorder) {
    for (k, (d, tr)) in dyads.iter_mut().zip(&setup.tracked).enumerate() {
        let stage = world.pairs[tr.pair].stage;
        for s in 0..=stage as usize {
            d.first_reach[s].get_or_insert(t);
        }
        d.max_stage = d.max_stage.max(stage);
        if let Some(series) = &mut rec.series {
            let ab = &world.views[world.view_index(tr.a, tr.b)];
            let ba = &world.views[world.view_index(tr.b, tr.a)];
            series.push(TickRecord {
                month: t,
                dyad: k as u16,
                stage,
                trust_ab: ab.trust as f32,
                trust_ba: ba.trust as f32,
                net_cooperation: (5.0 * (ab.action + ba.action)) as f32,
            });
        }
    }
}
