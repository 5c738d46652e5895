//! Key paths: named handles on every number of a world.
//!
//! Variants, events, sweeps and calibration all change a world through the
//! same key paths (`relations.us.taliban.trust`, `params.trust.learn_up`,
//! `actors.isis_k.group.recruitment`, `ladder.5.min_stay_months`). A path is
//! resolved once against a world's ids into a [`Field`]; applying a field is
//! then a cheap match. Ranges are checked here, so every way of setting a
//! number obeys the same rules.

use super::ladder::{Ladder, GOODS};
use super::params::{param_index, PARAM_SPECS};
use super::world::{PairMode, World, GOAL_NAMES};

/// A resolved handle on one number of a [`World`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field {
    /// A mechanism parameter, by index into `PARAM_SPECS`.
    Param(usize),
    /// Capability of an actor.
    Capability(usize),
    /// Outside option of an actor.
    OutsideOption(usize),
    /// Mediation capacity of an actor.
    Mediation(usize),
    /// Goal weight (actor, goal).
    Goal(usize, usize),
    /// Pragmatism of a faction.
    FactionPragmatism(usize),
    /// Current influence of a faction.
    FactionInfluence(usize),
    /// Target influence of a faction.
    FactionTarget(usize),
    /// Goal weight of a faction (actor, faction, goal): the faction's own, or
    /// the actor's while the faction has none of its own.
    FactionGoal(usize, usize, usize),
    /// Armed-group field (group index, which).
    Group(usize, GroupField),
    /// Target weight of a group on an actor (group index, actor).
    GroupTarget(usize, usize),
    /// Directed relation field (i, j, which): how i sees j.
    View(usize, usize, ViewField),
    /// Pair field (pair index, which).
    Pair(usize, PairField),
    /// Ladder rung field (stage, which).
    Rung(usize, RungField),
}

/// Fields of an armed group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupField {
    /// Strength index.
    Strength,
    /// Carrying capacity.
    Capacity,
    /// Recruitment rate.
    Recruitment,
    /// Lethality.
    Lethality,
    /// Attacks per month at strength 1.
    AttackRate,
    /// Exponent of strength in the attack rate.
    AttackExponent,
    /// Severity per attack.
    AttackSeverity,
}

/// Fields of a directed view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewField {
    /// Trust.
    Trust,
    /// Baseline hostility.
    Hostility,
    /// Economic gain.
    Economy,
    /// Legitimacy gain.
    Legitimacy,
    /// Shared-issue value.
    Issue,
    /// Counter-terrorism reach.
    Reach,
    /// Memory of attacks suffered.
    AttackMemory,
    /// Values distance i sees in j.
    ValuesDistance,
    /// Whether i's consent is needed for a step up (0 or 1).
    Consent,
}

/// Fields of an unordered pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairField {
    /// Current rung (rounded to an integer when set).
    Stage,
    /// War grievance.
    Grievance,
    /// 1 for a simulated relation, 0 for a scripted one.
    Mode,
}

/// Fields of a ladder rung.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RungField {
    /// Trust threshold.
    Threshold,
    /// Norm action level.
    Norm,
    /// Minimum stay in months.
    MinStay,
    /// Values-cost multiplier.
    ValuesCost,
    /// Weight of good `k`.
    Good(usize),
}

/// How an effect combines with the current value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Replace the value.
    Set,
    /// Add to the value.
    Add,
}

const VIEW_FIELDS: [(&str, ViewField); 9] = [
    ("trust", ViewField::Trust),
    ("hostility", ViewField::Hostility),
    ("economy", ViewField::Economy),
    ("legitimacy", ViewField::Legitimacy),
    ("issue", ViewField::Issue),
    ("reach", ViewField::Reach),
    ("attack_memory", ViewField::AttackMemory),
    ("values_distance", ViewField::ValuesDistance),
    ("consent", ViewField::Consent),
];
const PAIR_FIELDS: [(&str, PairField); 3] =
    [("stage", PairField::Stage), ("grievance", PairField::Grievance), ("mode", PairField::Mode)];
const GROUP_FIELDS: [(&str, GroupField); 7] = [
    ("strength", GroupField::Strength),
    ("capacity", GroupField::Capacity),
    ("recruitment", GroupField::Recruitment),
    ("lethality", GroupField::Lethality),
    ("attack_rate", GroupField::AttackRate),
    ("attack_exponent", GroupField::AttackExponent),
    ("attack_severity", GroupField::AttackSeverity),
];
const RUNG_FIELDS: [(&str, RungField); 4] = [
    ("threshold", RungField::Threshold),
    ("norm", RungField::Norm),
    ("min_stay_months", RungField::MinStay),
    ("values_cost", RungField::ValuesCost),
];

fn lookup<T: Copy>(table: &[(&str, T)], name: &str, what: &str) -> Result<T, String> {
    table.iter().find(|(n, _)| *n == name).map(|(_, f)| *f).ok_or_else(|| {
        let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
        format!("unknown {what} field `{name}`; expected one of {}", names.join(", "))
    })
}

fn actor(world: &World, id: &str) -> Result<usize, String> {
    world.actor_index(id).ok_or_else(|| format!("no actor with id `{id}`"))
}

impl Field {
    /// Resolves a key path against a world's ids.
    pub fn resolve(world: &World, path: &str) -> Result<Field, String> {
        let parts: Vec<&str> = path.split('.').collect();
        match parts.as_slice() {
            ["params", rest @ ..] if !rest.is_empty() => {
                let key = rest.join(".");
                param_index(&key)
                    .map(Field::Param)
                    .ok_or_else(|| format!("unknown parameter `{key}` (run `detente params` for the list)"))
            }
            ["actors", id, rest @ ..] => Self::resolve_actor(world, actor(world, id)?, rest),
            ["relations", a, b, field] => {
                let (i, j) = (actor(world, a)?, actor(world, b)?);
                if i == j {
                    return Err(format!("a relation needs two different actors, got `{a}` twice"));
                }
                if let Ok(f) = lookup(&PAIR_FIELDS, field, "relation") {
                    return Ok(Field::Pair(world.pair_index(i, j), f));
                }
                lookup(&VIEW_FIELDS, field, "relation").map(|f| Field::View(i, j, f)).map_err(|_| {
                    let mut names: Vec<&str> = VIEW_FIELDS.iter().map(|(n, _)| *n).collect();
                    names.extend(PAIR_FIELDS.iter().map(|(n, _)| *n));
                    format!("unknown relation field `{field}`; expected one of {}", names.join(", "))
                })
            }
            ["ladder", stage, field] => {
                let s: usize = stage.parse().ok().filter(|s| *s < world.ladder.len()).ok_or_else(|| {
                    format!("`{stage}` is not a rung of the ladder (0..{})", world.ladder.top())
                })?;
                if let Some(good) = field.strip_prefix("goods_") {
                    let k = GOODS.iter().position(|g| *g == good).ok_or_else(|| {
                        format!("unknown good `{good}`; expected one of {}", GOODS.join(", "))
                    })?;
                    return Ok(Field::Rung(s, RungField::Good(k)));
                }
                lookup(&RUNG_FIELDS, field, "rung").map(|f| Field::Rung(s, f))
            }
            _ => Err(format!(
                "`{path}` is not a key path; expected params.<key>, actors.<id>.<field>, \
                 relations.<a>.<b>.<field> or ladder.<stage>.<field>"
            )),
        }
    }

    fn resolve_actor(world: &World, i: usize, rest: &[&str]) -> Result<Field, String> {
        let group = || {
            world
                .groups
                .iter()
                .position(|g| g.actor == i)
                .ok_or_else(|| format!("actor `{}` is not an armed group", world.actors[i].id))
        };
        let faction = |fid: &str| {
            let range = world.actors[i].factions.clone();
            world.factions[range.clone()]
                .iter()
                .position(|f| f.id == fid)
                .map(|k| range.start + k)
                .ok_or_else(|| format!("actor `{}` has no faction `{fid}`", world.actors[i].id))
        };
        match rest {
            ["capability"] => Ok(Field::Capability(i)),
            ["outside_option"] => Ok(Field::OutsideOption(i)),
            ["mediation"] => Ok(Field::Mediation(i)),
            ["pragmatism"] if world.actors[i].factions.len() == 1 => {
                Ok(Field::FactionPragmatism(world.actors[i].factions.start))
            }
            ["pragmatism"] => Err(format!(
                "actor `{}` has several factions; set actors.{}.factions.<id>.pragmatism",
                world.actors[i].id, world.actors[i].id
            )),
            ["goals", goal] => {
                GOAL_NAMES.iter().position(|g| g == goal).map(|g| Field::Goal(i, g)).ok_or_else(|| {
                    format!("unknown goal `{goal}`; expected one of {}", GOAL_NAMES.join(", "))
                })
            }
            ["factions", fid, "pragmatism"] => Ok(Field::FactionPragmatism(faction(fid)?)),
            ["factions", fid, "influence"] => Ok(Field::FactionInfluence(faction(fid)?)),
            ["factions", fid, "target"] => Ok(Field::FactionTarget(faction(fid)?)),
            ["factions", fid, "goals", goal] => {
                let f = faction(fid)?;
                GOAL_NAMES.iter().position(|g| g == goal).map(|g| Field::FactionGoal(i, f, g)).ok_or_else(|| {
                    format!("unknown goal `{goal}`; expected one of {}", GOAL_NAMES.join(", "))
                })
            }
            ["group", "targets", target] => match actor(world, target)? {
                // The file refuses it; so does every other way of setting a value.
                t if t == i => Err("a group cannot target itself".into()),
                t => Ok(Field::GroupTarget(group()?, t)),
            },
            ["group", field] => Ok(Field::Group(group()?, lookup(&GROUP_FIELDS, field, "group")?)),
            _ => Err(format!(
                "unknown actor field `{}`; expected capability, outside_option, mediation, pragmatism, goals.<goal>, \
                 factions.<id>.<pragmatism|influence|target>, factions.<id>.goals.<goal> or group.<field>",
                rest.join(".")
            )),
        }
    }

    /// Checks that `value` is valid for this field.
    pub fn check(self, value: f64, ladder: &Ladder) -> Result<(), String> {
        let (min, max) = self.range(ladder);
        if !value.is_finite() {
            return Err(format!("must be a finite number, got {value}"));
        }
        if value < min || value > max {
            return Err(format!("must be within [{min}, {max}], got {value}"));
        }
        Ok(())
    }

    /// Valid range of the field.
    pub fn range(self, ladder: &Ladder) -> (f64, f64) {
        const BIG: f64 = 1e9;
        match self {
            Field::Param(k) => (PARAM_SPECS[k].min, PARAM_SPECS[k].max),
            Field::OutsideOption(_)
            | Field::Mediation(_)
            | Field::FactionPragmatism(_)
            | Field::FactionInfluence(_)
            | Field::FactionTarget(_) => (0.0, 1.0),
            Field::View(
                _,
                _,
                ViewField::Trust | ViewField::Hostility | ViewField::Reach | ViewField::Consent,
            ) => (0.0, 1.0),
            Field::Pair(_, PairField::Stage) => (0.0, ladder.top() as f64),
            Field::Pair(_, PairField::Mode) => (0.0, 1.0),
            Field::Rung(_, RungField::Threshold) => (0.0, 1.0),
            Field::Rung(_, RungField::Norm) => (-1.0, 1.0),
            // As in the file: attacks per month at strength 1.
            Field::Group(_, GroupField::AttackRate) => (0.0, 50.0),
            _ => (0.0, BIG),
        }
    }

    /// Reads the current value.
    pub fn get(self, w: &World) -> f64 {
        match self {
            Field::Param(k) => w.params.get(k),
            Field::Capability(i) => w.capability[i],
            Field::OutsideOption(i) => w.outside_option[i],
            Field::Mediation(i) => w.mediation[i],
            Field::Goal(i, g) => w.goals[i][g],
            Field::FactionPragmatism(f) => w.factions[f].pragmatism,
            Field::FactionInfluence(f) => w.factions[f].influence,
            Field::FactionTarget(f) => w.factions[f].target,
            Field::FactionGoal(i, f, g) => w.factions[f].goals.as_ref().unwrap_or(&w.goals[i])[g],
            Field::Group(g, f) => {
                let g = &w.groups[g];
                match f {
                    GroupField::Strength => g.strength,
                    GroupField::Capacity => g.capacity,
                    GroupField::Recruitment => g.recruitment,
                    GroupField::Lethality => g.lethality,
                    GroupField::AttackRate => g.attack_rate,
                    GroupField::AttackExponent => g.attack_exponent,
                    GroupField::AttackSeverity => g.attack_severity,
                }
            }
            Field::GroupTarget(g, a) => w.groups[g].targets[a],
            Field::View(i, j, f) => {
                let v = &w.views[w.view_index(i, j)];
                match f {
                    ViewField::Trust => v.trust,
                    ViewField::Hostility => v.hostility,
                    ViewField::Economy => v.economy,
                    ViewField::Legitimacy => v.legitimacy,
                    ViewField::Issue => v.issue,
                    ViewField::Reach => v.reach,
                    ViewField::AttackMemory => v.attack_memory,
                    ViewField::ValuesDistance => v.values_distance,
                    ViewField::Consent => f64::from(u8::from(v.consent)),
                }
            }
            Field::Pair(p, f) => {
                let p = &w.pairs[p];
                match f {
                    PairField::Stage => p.stage as f64,
                    PairField::Grievance => p.grievance,
                    PairField::Mode => f64::from(u8::from(p.mode == PairMode::Simulated)),
                }
            }
            Field::Rung(s, f) => {
                let r = &w.ladder.rungs[s];
                match f {
                    RungField::Threshold => r.threshold,
                    RungField::Norm => r.norm,
                    RungField::MinStay => r.min_stay_months,
                    RungField::ValuesCost => r.values_cost,
                    RungField::Good(k) => r.goods[k],
                }
            }
        }
    }

    /// Applies `op value`, clamping the result into the field's range so an
    /// `add` can never push trust above 1 or a capability below 0.
    pub fn apply(self, w: &mut World, op: Op, value: f64) {
        let current = self.get(w);
        let (min, max) = self.range(&w.ladder);
        let new = match op {
            Op::Set => value,
            Op::Add => current + value,
        }
        .clamp(min, max);
        self.write(w, new);
        // A set hostility is a new lasting level; an added one is a shock
        // that fades back toward it (threat submodel).
        if let (Field::View(i, j, ViewField::Hostility), Op::Set) = (self, op) {
            let k = w.view_index(i, j);
            w.views[k].hostility_base = new;
        }
    }

    fn write(self, w: &mut World, x: f64) {
        match self {
            Field::Param(k) => *w.params.slot_mut(k) = x,
            Field::Capability(i) => w.capability[i] = x,
            Field::OutsideOption(i) => w.outside_option[i] = x,
            Field::Mediation(i) => w.mediation[i] = x,
            Field::Goal(i, g) => w.goals[i][g] = x,
            Field::FactionPragmatism(f) => w.factions[f].pragmatism = x,
            Field::FactionInfluence(f) => w.factions[f].influence = x,
            Field::FactionTarget(f) => w.factions[f].target = x,
            // A faction that took the actor's weights gets its own copy of
            // them first, so the other weights stay what they were.
            Field::FactionGoal(i, f, g) => w.factions[f].goals.get_or_insert(w.goals[i])[g] = x,
            Field::Group(g, f) => {
                let g = &mut w.groups[g];
                *match f {
                    GroupField::Strength => &mut g.strength,
                    GroupField::Capacity => &mut g.capacity,
                    GroupField::Recruitment => &mut g.recruitment,
                    GroupField::Lethality => &mut g.lethality,
                    GroupField::AttackRate => &mut g.attack_rate,
                    GroupField::AttackExponent => &mut g.attack_exponent,
                    GroupField::AttackSeverity => &mut g.attack_severity,
                } = x
            }
            Field::GroupTarget(g, a) => w.groups[g].targets[a] = x,
            Field::View(i, j, f) => {
                let idx = w.view_index(i, j);
                let v = &mut w.views[idx];
                *match f {
                    ViewField::Trust => &mut v.trust,
                    ViewField::Hostility => &mut v.hostility,
                    ViewField::Economy => &mut v.economy,
                    ViewField::Legitimacy => &mut v.legitimacy,
                    ViewField::Issue => &mut v.issue,
                    ViewField::Reach => &mut v.reach,
                    ViewField::AttackMemory => &mut v.attack_memory,
                    ViewField::ValuesDistance => &mut v.values_distance,
                    ViewField::Consent => {
                        v.consent = x >= 0.5;
                        return;
                    }
                } = x
            }
            Field::Pair(k, f) => {
                let p = &mut w.pairs[k];
                match f {
                    PairField::Stage => {
                        let stage = x.round() as u8;
                        if stage != p.stage {
                            p.stage = stage;
                            p.months_at_stage = 0.0;
                            p.months_above = 0.0;
                            p.months_distrusted = 0.0;
                        }
                    }
                    PairField::Grievance => p.grievance = x,
                    PairField::Mode => {
                        let mode = if x >= 0.5 { PairMode::Simulated } else { PairMode::Scripted };
                        if mode != p.mode {
                            p.mode = mode;
                            w.mode_version = w.mode_version.wrapping_add(1);
                        }
                    }
                }
            }
            Field::Rung(s, f) => {
                let r = &mut w.ladder.rungs[s];
                *match f {
                    RungField::Threshold => &mut r.threshold,
                    RungField::Norm => &mut r.norm,
                    RungField::MinStay => &mut r.min_stay_months,
                    RungField::ValuesCost => &mut r.values_cost,
                    RungField::Good(k) => &mut r.goods[k],
                } = x
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tiny test world: states `north` (one faction) and `south`
    /// (factions `doves`, `hawks`), armed group `raiders`, default ladder.
    fn world() -> World {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml");
        crate::scenario::load(&path).expect("tiny.toml is valid").base.world
    }

    #[test]
    fn every_kind_of_key_path_reads_and_sets_its_number() {
        let mut w = world();
        for (path, value) in [
            ("params.trust.learn_up", 0.07),
            ("actors.north.capability", 2.5),
            ("actors.south.outside_option", 0.3),
            ("actors.north.goals.values", 0.5),
            ("actors.north.pragmatism", 0.9),
            ("actors.south.factions.doves.pragmatism", 0.4),
            ("actors.south.factions.hawks.influence", 0.2),
            ("actors.south.factions.hawks.target", 0.6),
            ("actors.south.factions.doves.goals.economy", 0.4),
            ("actors.raiders.group.strength", 0.3),
            ("actors.raiders.group.targets.south", 2.0),
            ("relations.north.south.trust", 0.45),
            ("relations.south.north.issue", 0.8),
            ("relations.north.south.values_distance", 0.25),
            ("relations.north.south.stage", 4.0),
            ("ladder.3.min_stay_months", 6.0),
            ("ladder.3.goods_economy", 0.5),
        ] {
            let f = Field::resolve(&w, path).unwrap_or_else(|e| panic!("{path}: {e}"));
            f.check(value, &w.ladder).unwrap_or_else(|e| panic!("{path}: {e}"));
            f.apply(&mut w, Op::Set, value);
            assert_eq!(f.get(&w), value, "{path}");
        }
    }

    #[test]
    fn a_faction_goal_reads_the_actors_until_the_faction_has_its_own() {
        let mut w = world();
        let south = w.actor_index("south").unwrap();
        let values = GOAL_NAMES.iter().position(|g| *g == "values").unwrap();
        let f = Field::resolve(&w, "actors.south.factions.doves.goals.values").unwrap();
        let Field::FactionGoal(_, doves, _) = f else { panic!("{f:?}") };
        assert!(w.factions[doves].goals.is_none(), "tiny.toml's doves take the actor's goals");
        assert_eq!(f.get(&w), w.goals[south][values]);
        let before = w.effective_goals(south);
        f.apply(&mut w, Op::Set, 0.25);
        let own = w.factions[doves].goals.expect("setting one weight gives the faction its own");
        for (g, (x, y)) in own.iter().zip(&w.goals[south]).enumerate() {
            assert_eq!(*x, if g == values { 0.25 } else { *y }, "goal {g}");
        }
        let after = w.effective_goals(south);
        let share = w.factions[doves].influence;
        assert!((after[values] - (before[values] - share * (w.goals[south][values] - 0.25))).abs() < 1e-12);
    }

    #[test]
    fn a_view_is_directed_and_a_pair_is_not() {
        let w = world();
        let ab = Field::resolve(&w, "relations.north.south.trust").unwrap();
        let ba = Field::resolve(&w, "relations.south.north.trust").unwrap();
        assert_ne!(ab, ba);
        let stage_ab = Field::resolve(&w, "relations.north.south.stage").unwrap();
        assert_eq!(stage_ab, Field::resolve(&w, "relations.south.north.stage").unwrap());
    }

    #[test]
    fn adding_is_clamped_into_the_range() {
        let mut w = world();
        let trust = Field::resolve(&w, "relations.north.south.trust").unwrap();
        trust.apply(&mut w, Op::Add, 5.0);
        assert_eq!(trust.get(&w), 1.0);
        trust.apply(&mut w, Op::Add, -7.0);
        assert_eq!(trust.get(&w), 0.0);
        assert!(trust.check(1.5, &w.ladder).unwrap_err().contains("within [0, 1]"));
        assert!(trust.check(f64::NAN, &w.ladder).unwrap_err().contains("finite"));
        let stage = Field::resolve(&w, "relations.north.south.stage").unwrap();
        assert_eq!(stage.range(&w.ladder), (0.0, w.ladder.top() as f64));
    }

    #[test]
    fn a_new_stage_restarts_the_months_spent_at_it() {
        let mut w = world();
        let stage = Field::resolve(&w, "relations.north.south.stage").unwrap();
        let pair = w.pair_index(0, 1);
        assert!(w.pairs[pair].months_at_stage > 0.0, "tiny.toml gives months at the stage");
        let same = f64::from(w.pairs[pair].stage);
        stage.apply(&mut w, Op::Set, same);
        assert!(w.pairs[pair].months_at_stage > 0.0, "the same stage keeps its months");
        stage.apply(&mut w, Op::Add, 1.0);
        assert_eq!((w.pairs[pair].months_at_stage, w.pairs[pair].months_above), (0.0, 0.0));
    }

    #[test]
    fn bad_key_paths_say_what_is_wrong() {
        let w = world();
        for (path, message) in [
            ("params.trust.nothing", "unknown parameter `trust.nothing`"),
            ("actors.nobody.capability", "no actor"),
            ("actors.south.pragmatism", "several factions"),
            ("actors.south.factions.owls.pragmatism", "has no faction `owls`"),
            ("actors.north.group.strength", "not an armed group"),
            ("actors.north.goals.glory", "unknown goal `glory`"),
            ("actors.south.factions.doves.goals.glory", "unknown goal `glory`"),
            ("actors.north.height", "unknown actor field `height`"),
            ("relations.north.north.trust", "two different actors"),
            ("relations.north.south.warmth", "unknown relation field `warmth`"),
            ("ladder.99.norm", "not a rung"),
            ("ladder.3.goods_gold", "unknown good `gold`"),
            ("weather.today", "is not a key path"),
        ] {
            let e = Field::resolve(&w, path).unwrap_err();
            assert!(e.contains(message), "{path}: {e}");
        }
    }
}
