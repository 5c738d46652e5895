//! The state of one simulated world: actors, factions, relations, armed groups.
//!
//! Everything is stored in flat vectors indexed by actor, faction, ordered
//! pair (`i * n + j`) or unordered pair, so a tick walks arrays and never
//! allocates. A `World` is both the template a scenario compiles to and the
//! mutable state of a run: a run starts from a copy of the template.

use super::ladder::Ladder;
use super::params::Params;

/// What sort of actor this is; armed groups do not choose actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// A recognised state.
    State,
    /// A governing authority not (yet) recognised as a state's government.
    Regime,
    /// A non-state armed group: grows and attacks, never negotiates.
    ArmedGroup,
}

impl ActorKind {
    /// The scenario-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::State => "state",
            ActorKind::Regime => "regime",
            ActorKind::ArmedGroup => "armed_group",
        }
    }
}

/// Number of goal weights per actor, in [`GOAL_NAMES`] order.
pub const N_GOALS: usize = 5;
/// Goal names as used in scenario files and key paths.
pub const GOAL_NAMES: [&str; N_GOALS] = ["security", "economy", "legitimacy", "values", "balance"];
/// Index of the security goal.
pub const SECURITY: usize = 0;
/// Index of the economy goal.
pub const ECONOMY: usize = 1;
/// Index of the legitimacy goal.
pub const LEGITIMACY: usize = 2;
/// Index of the values goal.
pub const VALUES: usize = 3;
/// Index of the regional-balance goal.
pub const BALANCE: usize = 4;

/// Identity and static description of an actor.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorInfo {
    /// Scenario id, e.g. `taliban`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind of actor.
    pub kind: ActorKind,
    /// Index range of this actor's factions in [`World::factions`].
    pub factions: std::ops::Range<usize>,
    /// First month index at which the actor exists (0: from the start).
    pub from: u32,
    /// Last month index at which the actor exists (`u32::MAX`: to the end).
    pub until: u32,
}

impl ActorInfo {
    /// Whether the actor exists in month `t`.
    #[inline]
    pub fn exists_at(&self, t: u32) -> bool {
        self.from <= t && t <= self.until
    }
}

/// A sub-agent of an actor with its own pragmatism and a moving influence.
#[derive(Debug, Clone, PartialEq)]
pub struct Faction {
    /// Scenario id, e.g. `pragmatists`.
    pub id: String,
    /// How readily material gains outweigh values (0..1).
    pub pragmatism: f64,
    /// Current share of the actor's decisions (shares of one actor sum to 1).
    pub influence: f64,
    /// Share the influence relaxes toward; events move it.
    pub target: f64,
    /// The faction's own goal weights, if it has them; otherwise the actor's.
    pub goals: Option<[f64; N_GOALS]>,
}

/// How actor `i` sees actor `j` (ordered pair), and what `i` did to `j`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct View {
    /// i's trust in j (0..1): the expected share of cooperative acts among j's
    /// informative acts toward i (see the trust submodel).
    pub trust: f64,
    /// Evidence mass behind `trust`, in months of full-weight acts; it decays
    /// toward a floor, so recent acts weigh more than old ones.
    pub evidence: f64,
    /// Baseline hostility i perceives from j (0..1), set by the scenario and events.
    pub hostility: f64,
    /// The lasting level `hostility` fades back to in a simulated pair: the
    /// scenario's, or the last one an event set.
    pub hostility_base: f64,
    /// Moving average of hostility i received from j.
    pub hostility_received: f64,
    /// Decaying memory of attacks i suffered from j (sum of severities).
    pub attack_memory: f64,
    /// Moving average of good surprise i received from j.
    pub good_surprise: f64,
    /// Moving average of bad surprise i received from j.
    pub bad_surprise: f64,
    /// Economic gain i expects from engagement with j.
    pub economy: f64,
    /// Legitimacy i gains from j's engagement.
    pub legitimacy: f64,
    /// Value to i of a shared issue with j (POW/MIA, hostages, counter-terrorism).
    pub issue: f64,
    /// Lasting values distance i sees in j (0..1): what makes engaging j
    /// costly at i's home because of what j is or does.
    pub values_distance: f64,
    /// i's counter-terrorism reach against j when j is an armed group (0..1).
    pub reach: f64,
    /// Whether i's consent is needed for the pair {i, j} to step up.
    pub consent: bool,
    /// Action level (-1..1) i took toward j this month.
    pub action: f64,
    /// Index of the action i took toward j this month (into the repertoire).
    pub action_index: u8,
}

/// Whether a pair's relation is simulated or follows the scenario's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairMode {
    /// Trust and stage evolve from the actors' choices.
    Simulated,
    /// Stage, trust and hostility are set by the scenario and its events only.
    Scripted,
}

/// An unordered pair of actors and the state of their relation.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// Lower actor index.
    pub a: usize,
    /// Higher actor index.
    pub b: usize,
    /// Simulated or scripted.
    pub mode: PairMode,
    /// Current rung.
    pub stage: u8,
    /// Months spent at the current rung.
    pub months_at_stage: f64,
    /// Consecutive months some higher rung has been acceptable to every side whose consent is needed.
    pub months_above: f64,
    /// Consecutive months some side's trust has been below what the current rung needs.
    pub months_distrusted: f64,
    /// War grievance added to the values distance; decays by half-life.
    pub grievance: f64,
    /// Monthly decay factor of the grievance.
    pub grievance_decay: f64,
    /// Whether the two fought (an attack either way) last month.
    pub fought_last_month: bool,
    /// Economic ties (0..1): the share of the ladder's economic goods the
    /// pair's commerce has grown into. It follows the rung with a lag.
    pub ties: f64,
}

/// An armed group's strength and attack process.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Actor index of the group.
    pub actor: usize,
    /// Strength index (fighters relative to a reference level).
    pub strength: f64,
    /// Carrying capacity of logistic recruitment.
    pub capacity: f64,
    /// Monthly logistic recruitment rate.
    pub recruitment: f64,
    /// Threat per unit of strength that states perceive.
    pub lethality: f64,
    /// Expected attacks per month at strength 1.
    pub attack_rate: f64,
    /// Exponent of strength in the attack rate.
    pub attack_exponent: f64,
    /// Severity added to a target's attack memory per attack.
    pub attack_severity: f64,
    /// Movement the group recruits defectors from (index), if any.
    pub parent: Option<usize>,
    /// Pragmatism of the parent when the run started.
    pub parent_pragmatism_start: f64,
    /// Actor from whose territory the group operates, if any: its victims
    /// blame the host by its perceived complicity.
    pub host: Option<usize>,
    /// Target weight per actor (length n); zero for non-targets.
    pub targets: Vec<f64>,
}

/// A whole world: configuration and state in one flat structure.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    /// Actors by index.
    pub actors: Vec<ActorInfo>,
    /// Relative power per actor (>= 0).
    pub capability: Vec<f64>,
    /// Outside option per actor (0..1): a patron's aid that lowers the value of economic gains.
    pub outside_option: Vec<f64>,
    /// Goal weights per actor, in [`GOAL_NAMES`] order (factions with goals of
    /// their own override them in proportion to their influence).
    pub goals: Vec<[f64; N_GOALS]>,
    /// Mediation capacity per actor (0..1): how far it can guarantee a deal
    /// between two parties that both trust it.
    pub mediation: Vec<f64>,
    /// Whether each actor exists this month (see [`ActorInfo::exists_at`]).
    pub present: Vec<bool>,
    /// Counts changes of a pair's mode during a run, so the engine knows when
    /// to list again who chooses toward whom.
    pub mode_version: u32,
    /// All factions; each actor owns a contiguous range.
    pub factions: Vec<Faction>,
    /// Ordered-pair views, `i * n + j`.
    pub views: Vec<View>,
    /// Unordered pairs, see [`World::pair_index`].
    pub pairs: Vec<Pair>,
    /// Armed groups.
    pub groups: Vec<Group>,
    /// The relationship ladder.
    pub ladder: Ladder,
    /// Mechanism parameters.
    pub params: Params,
}

impl World {
    /// Number of actors.
    pub fn n(&self) -> usize {
        self.actors.len()
    }

    /// Index of actor `id`.
    pub fn actor_index(&self, id: &str) -> Option<usize> {
        self.actors.iter().position(|a| a.id == id)
    }

    /// Index of the ordered pair (i, j) in [`World::views`].
    #[inline]
    pub fn view_index(&self, i: usize, j: usize) -> usize {
        i * self.actors.len() + j
    }

    /// Index of the unordered pair {i, j} in [`World::pairs`]; `i != j`.
    #[inline]
    pub fn pair_index(&self, i: usize, j: usize) -> usize {
        pair_index(self.actors.len(), i, j)
    }

    /// Influence-weighted pragmatism of actor `i`.
    pub fn pragmatism(&self, i: usize) -> f64 {
        self.factions[self.actors[i].factions.clone()].iter().map(|f| f.influence * f.pragmatism).sum()
    }

    /// Goal weights actor `i` decides by: the influence-weighted mean of its
    /// factions' goals, a faction without goals of its own counting the actor's.
    pub fn effective_goals(&self, i: usize) -> [f64; N_GOALS] {
        let own = &self.goals[i];
        let factions = &self.factions[self.actors[i].factions.clone()];
        if factions.iter().all(|f| f.goals.is_none()) {
            return *own;
        }
        let mut g = [0.0; N_GOALS];
        for f in factions {
            let w = f.goals.as_ref().unwrap_or(own);
            for (x, y) in g.iter_mut().zip(w) {
                *x += f.influence * y;
            }
        }
        g
    }

    /// Whether actor `i` is an armed group.
    #[inline]
    pub fn is_group(&self, i: usize) -> bool {
        self.actors[i].kind == ActorKind::ArmedGroup
    }

    /// Rescales each actor's faction influences and targets to sum to 1
    /// (after events, elections or overrides changed some of them).
    pub fn normalize_factions(&mut self) {
        for actor in &self.actors {
            let factions = &mut self.factions[actor.factions.clone()];
            let influence: f64 = factions.iter().map(|f| f.influence).sum();
            let target: f64 = factions.iter().map(|f| f.target).sum();
            for f in factions.iter_mut() {
                if influence > 0.0 {
                    f.influence /= influence;
                }
                if target > 0.0 {
                    f.target /= target;
                }
            }
        }
    }

    /// Copies `template` into `self`, reusing this world's allocations.
    pub fn reset_from(&mut self, template: &World) {
        self.actors.clone_from(&template.actors);
        self.capability.clone_from(&template.capability);
        self.outside_option.clone_from(&template.outside_option);
        self.goals.clone_from(&template.goals);
        self.mediation.clone_from(&template.mediation);
        self.present.clone_from(&template.present);
        self.mode_version = template.mode_version;
        self.factions.clone_from(&template.factions);
        self.views.clone_from(&template.views);
        self.pairs.clone_from(&template.pairs);
        self.groups.clone_from(&template.groups);
        self.ladder.clone_from(&template.ladder);
        self.params.clone_from(&template.params);
    }
}

/// Index of the unordered pair {i, j} among `n` actors, pairs ordered (0,1), (0,2), ..., (1,2), ...
#[inline]
pub fn pair_index(n: usize, i: usize, j: usize) -> usize {
    let (a, b) = if i < j { (i, j) } else { (j, i) };
    a * (2 * n - a - 1) / 2 + (b - a - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_indices_enumerate_upper_triangle() {
        let n = 5;
        let mut expected = 0;
        for a in 0..n {
            for b in a + 1..n {
                assert_eq!(pair_index(n, a, b), expected);
                assert_eq!(pair_index(n, b, a), expected);
                expected += 1;
            }
        }
        assert_eq!(expected, n * (n - 1) / 2);
    }
}
