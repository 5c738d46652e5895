//! The world of a scenario file: the ladder, actors and their factions,
//! armed groups, relations between actors, and the tracked dyads.

use std::collections::BTreeSet;

use super::{valid_id, Clock, Problems, BIG};
use crate::model::ladder::{Rung, GOODS, MAX_RUNGS, N_GOODS};
use crate::model::world::{GOAL_NAMES, N_GOALS};
use crate::model::{
    ActorInfo, ActorKind, Faction, Group, Ladder, Pair, PairMode, Params, Tracked, View, World,
};
use crate::scenario::diagnostic::KeyPath;
use crate::scenario::schema::*;

/// Most actors: the world holds a view for each ordered pair of them.
const MAX_ACTORS: usize = 1024;

pub(super) fn build_ladder(raw: Option<&[RawRung]>, at: &KeyPath, p: &mut Problems) -> Ladder {
    let Some(raw) = raw else { return Ladder::default() };
    if raw.len() < 2 || raw.len() > MAX_RUNGS {
        p.add(at.clone(), format!("expected between 2 and {MAX_RUNGS} rungs, got {}", raw.len()));
        return Ladder::default();
    }
    let rungs: Vec<Rung> = raw
        .iter()
        .enumerate()
        .map(|(s, r)| {
            let at = at.index(s);
            let g = &r.goods;
            let goods_raw = [g.shared_threat, g.shared_issue, g.economy, g.legitimacy, g.balance];
            let mut goods = [0.0; N_GOODS];
            for (k, v) in goods_raw.iter().enumerate() {
                goods[k] = p.num(at.key("goods").key(GOODS[k]), *v, 0.0, 0.0, BIG);
            }
            Rung {
                name: r.name.clone().unwrap_or_else(|| format!("stage {s}")),
                threshold: p.num(at.key("threshold"), r.threshold, 0.0, 0.0, 1.0),
                norm: p.num(at.key("norm"), r.norm, 0.0, -1.0, 1.0),
                min_stay_months: p.num(at.key("min_stay_months"), r.min_stay_months, 0.0, 0.0, BIG),
                values_cost: p.num(at.key("values_cost"), r.values_cost, 1.0, 0.0, BIG),
                goods,
            }
        })
        .collect();
    for s in 1..rungs.len() {
        if rungs[s].threshold < rungs[s - 1].threshold {
            p.add(at.index(s).key("threshold"), "thresholds must not decrease up the ladder");
        }
    }
    Ladder { rungs }
}

pub(super) fn build_world(
    raw: &RawScenario,
    ladder: Ladder,
    params: Params,
    p: &mut Problems,
) -> Option<World> {
    let at = KeyPath::root().key("actors");
    if raw.actors.is_empty() {
        p.add(at.clone(), "expected at least two [[actors]], got none");
        return None;
    }
    if raw.actors.len() > MAX_ACTORS {
        p.add(at.clone(), format!("expected at most {MAX_ACTORS} [[actors]], got {}", raw.actors.len()));
        return None;
    }
    let mut actors: Vec<ActorInfo> = Vec::new();
    let mut factions = Vec::new();
    let mut capability = Vec::new();
    let mut outside_option = Vec::new();
    let mut goals = Vec::new();
    let mut mediation = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, a) in raw.actors.iter().enumerate() {
        let at = at.index(i);
        let id = a.id.clone().unwrap_or_else(|| format!("actor{i}"));
        match &a.id {
            None => p.add(at.clone(), "missing key `id`"),
            Some(id) if !valid_id(id) => p.add(
                at.key("id"),
                format!("expected an id of lowercase letters, digits and underscores, got {id:?}"),
            ),
            Some(id) if !seen.insert(id.clone()) => p.add(at.key("id"), format!("duplicate actor id `{id}`")),
            _ => {}
        }
        let kind = match a.kind.as_deref().unwrap_or("state") {
            "state" => ActorKind::State,
            "regime" => ActorKind::Regime,
            "armed_group" => ActorKind::ArmedGroup,
            other => {
                p.add(
                    at.key("kind"),
                    format!("expected \"state\", \"regime\" or \"armed_group\", got {other:?}"),
                );
                ActorKind::State
            }
        };
        capability.push(p.num(at.key("capability"), a.capability, 1.0, 0.0, BIG));
        outside_option.push(p.num(at.key("outside_option"), a.outside_option, 0.0, 0.0, 1.0));
        mediation.push(p.num(at.key("mediation"), a.mediation, 0.0, 0.0, 1.0));
        let own = build_goals(&a.goals, &[1.0; N_GOALS], &at.key("goals"), p);
        goals.push(own);
        let first = factions.len();
        build_factions(a, &at, kind, &own, &mut factions, p);
        actors.push(ActorInfo {
            id,
            name: a.name.clone().unwrap_or_default(),
            kind,
            factions: first..factions.len(),
            from: 0,
            until: u32::MAX,
        });
        if actors[i].name.is_empty() {
            actors[i].name = actors[i].id.clone();
        }
        match (kind, &a.group) {
            (ActorKind::ArmedGroup, None) => {
                p.add(at.clone(), "an armed group needs an [actors.group] table")
            }
            (ActorKind::State | ActorKind::Regime, Some(_)) => {
                p.add(at.key("group"), "only actors of kind \"armed_group\" take a [group] table")
            }
            _ => {}
        }
    }
    if raw.actors.len() < 2 {
        p.add(at.clone(), format!("expected at least two [[actors]], got {}", raw.actors.len()));
    }
    let n = actors.len();
    let mut world = World {
        actors,
        capability,
        outside_option,
        goals,
        mediation,
        present: vec![true; n],
        mode_version: 0,
        factions,
        views: vec![View { consent: true, ..View::default() }; n * n],
        pairs: Vec::new(),
        groups: Vec::new(),
        ladder,
        params,
    };
    for (i, a) in raw.actors.iter().enumerate() {
        if let (ActorKind::ArmedGroup, Some(g)) = (world.actors[i].kind, &a.group) {
            let group = build_group(g, i, &world, &at.index(i).key("group"), p);
            world.groups.push(group);
        }
    }
    build_pairs(raw, &mut world, p);
    Some(world)
}

/// Goal weights from a `goals` table, each missing weight taken from `fallback`.
fn build_goals(g: &RawGoals, fallback: &[f64; N_GOALS], at: &KeyPath, p: &mut Problems) -> [f64; N_GOALS] {
    let raw_goals = [g.security, g.economy, g.legitimacy, g.values, g.balance];
    let mut w = *fallback;
    for (k, v) in raw_goals.iter().enumerate() {
        w[k] = p.num(at.key(GOAL_NAMES[k]), *v, fallback[k], 0.0, BIG);
    }
    w
}

fn build_factions(
    a: &RawActor,
    at: &KeyPath,
    kind: ActorKind,
    own_goals: &[f64; N_GOALS],
    out: &mut Vec<Faction>,
    p: &mut Problems,
) {
    if a.factions.is_empty() {
        let default = if kind == ActorKind::ArmedGroup { 0.0 } else { 0.5 };
        let prag = p.num(at.key("pragmatism"), a.pragmatism, default, 0.0, 1.0);
        out.push(Faction { id: "all".into(), pragmatism: prag, influence: 1.0, target: 1.0, goals: None });
        return;
    }
    if a.pragmatism.is_some() {
        p.add(at.key("pragmatism"), "set pragmatism on each faction when an actor has factions");
    }
    let mut ids = BTreeSet::new();
    let (mut total_influence, mut total_target) = (0.0, 0.0);
    for (k, f) in a.factions.iter().enumerate() {
        let fat = at.key("factions").index(k);
        let id = f.id.clone().unwrap_or_default();
        if f.id.is_none() {
            p.add(fat.clone(), "missing key `id`");
        } else if !valid_id(&id) {
            p.add(
                fat.key("id"),
                format!("expected an id of lowercase letters, digits and underscores, got {id:?}"),
            );
        } else if !ids.insert(id.clone()) {
            p.add(fat.key("id"), format!("duplicate faction id `{id}`"));
        }
        if f.pragmatism.is_none() {
            p.add(fat.clone(), "missing key `pragmatism` (0..1)");
        }
        if f.influence.is_none() {
            p.add(fat.clone(), "missing key `influence` (a share; shares sum to 1)");
        }
        let influence = p.num(fat.key("influence"), f.influence, 0.0, 0.0, 1.0);
        let target = p.num(fat.key("target"), f.target, influence, 0.0, 1.0);
        total_influence += influence;
        total_target += target;
        // A faction's own goals: each weight it does not give is the actor's.
        let goals = f.goals.as_ref().map(|g| build_goals(g, own_goals, &fat.key("goals"), p));
        out.push(Faction {
            id,
            pragmatism: p.num(fat.key("pragmatism"), f.pragmatism, 0.5, 0.0, 1.0),
            influence,
            target,
            goals,
        });
    }
    for (what, total) in [("influence", total_influence), ("target", total_target)] {
        if (total - 1.0).abs() > 1e-6 {
            p.add(at.key("factions"), format!("faction {what} shares must sum to 1, got {total}"));
        }
    }
}

fn build_group(g: &RawGroup, actor: usize, world: &World, at: &KeyPath, p: &mut Problems) -> Group {
    let n = world.n();
    let mut targets = vec![0.0; n];
    for (id, w) in &g.targets {
        match world.actor_index(id) {
            Some(t) if t != actor => targets[t] = p.num(at.key("targets").key(id), Some(*w), 0.0, 0.0, BIG),
            Some(_) => p.add(at.key("targets").key(id), "a group cannot target itself"),
            None => p.add(at.key("targets").key(id), format!("no actor with id `{id}`")),
        }
    }
    let other_actor = |key: &str, id: Option<&str>, p: &mut Problems| {
        id.and_then(|id| match world.actor_index(id) {
            Some(t) if t != actor && !world.is_group(t) => Some(t),
            Some(_) => {
                p.add(at.key(key), format!("the {key} must be another actor that is not an armed group"));
                None
            }
            None => {
                p.add(at.key(key), format!("no actor with id `{id}`"));
                None
            }
        })
    };
    let parent = other_actor("parent", g.parent.as_deref(), p);
    let host = other_actor("host", g.host.as_deref(), p);
    Group {
        actor,
        strength: p.num(at.key("strength"), g.strength, 0.5, 0.0, BIG),
        capacity: p.num(at.key("capacity"), g.capacity, 1.0, 0.0, BIG),
        recruitment: p.num(at.key("recruitment"), g.recruitment, 0.02, 0.0, BIG),
        lethality: p.num(at.key("lethality"), g.lethality, 1.0, 0.0, BIG),
        attack_rate: p.num(at.key("attack_rate"), g.attack_rate, 0.5, 0.0, 50.0),
        attack_exponent: p.num(at.key("attack_exponent"), g.attack_exponent, 1.0, 0.0, 10.0),
        attack_severity: p.num(at.key("attack_severity"), g.attack_severity, 1.0, 0.0, BIG),
        parent,
        parent_pragmatism_start: 0.0,
        host,
        targets,
    }
}

fn build_pairs(raw: &RawScenario, world: &mut World, p: &mut Problems) {
    let n = world.n();
    let d = &raw.defaults;
    let dat = KeyPath::root().key("defaults");
    let default_stage =
        p.num(dat.key("stage"), d.stage.map(|s| s as f64), 2.0, 0.0, world.ladder.top() as f64) as u8;
    let default_trust = p.num(dat.key("trust"), d.trust, 0.3, 0.0, 1.0);
    let default_hostility = p.num(dat.key("hostility"), d.hostility, 0.2, 0.0, 1.0);
    let group_hostility = p.num(dat.key("group_hostility"), d.group_hostility, 1.0, 0.0, 1.0);
    let default_reach = p.num(dat.key("reach"), d.reach, 0.5, 0.0, 1.0);
    for a in 0..n {
        for b in a + 1..n {
            let groups = world.is_group(a) || world.is_group(b);
            world.pairs.push(Pair {
                a,
                b,
                mode: PairMode::Scripted,
                stage: if groups { 0 } else { default_stage },
                months_at_stage: 0.0,
                months_above: 0.0,
                months_distrusted: 0.0,
                grievance: 0.0,
                grievance_decay: 1.0,
                fought_last_month: false,
                ties: 0.0,
            });
            for (i, j) in [(a, b), (b, a)] {
                let v = &mut world.views[i * n + j];
                if groups {
                    v.hostility = group_hostility;
                    v.hostility_base = group_hostility;
                    v.reach = if world.actors[j].kind == ActorKind::ArmedGroup { default_reach } else { 0.0 };
                } else {
                    v.trust = default_trust;
                    v.hostility = default_hostility;
                    v.hostility_base = default_hostility;
                }
            }
        }
    }
    let at = KeyPath::root().key("relations");
    let mut listed = BTreeSet::new();
    for (k, r) in raw.relations.iter().enumerate() {
        let at = at.index(k);
        let Some((i, j)) = pair_ids(r.pair.as_deref(), world, &at.key("pair"), p) else { continue };
        let idx = world.pair_index(i, j);
        if !listed.insert(idx) {
            p.add(at.key("pair"), "this pair is listed twice in [[relations]]");
            continue;
        }
        let groups = world.is_group(i) || world.is_group(j);
        let top = world.ladder.top() as f64;
        let mode = match (r.mode.as_deref(), groups) {
            (None, true) | (Some("scripted"), _) => PairMode::Scripted,
            (None, false) | (Some("simulated"), false) => PairMode::Simulated,
            (Some("simulated"), true) => {
                p.add(at.key("mode"), "relations with an armed group are always scripted");
                PairMode::Scripted
            }
            (Some(other), _) => {
                p.add(at.key("mode"), format!("expected \"simulated\" or \"scripted\", got {other:?}"));
                PairMode::Simulated
            }
        };
        let stage = p.num(
            at.key("stage"),
            r.stage.map(|s| s as f64),
            if groups { 0.0 } else { default_stage as f64 },
            0.0,
            top,
        );
        if groups && stage != 0.0 {
            p.add(at.key("stage"), "relations with an armed group stay at stage 0");
        }
        let half_life =
            p.num(at.key("grievance_half_life_years"), r.grievance_half_life_years, 10.0, 0.01, BIG);
        let gatekeeper = r.gatekeeper.as_deref().and_then(|g| match world.actor_index(g) {
            Some(x) if x == i || x == j => Some(x),
            _ => {
                p.add(at.key("gatekeeper"), format!("expected one of the pair's ids, got {g:?}"));
                None
            }
        });
        let pair = &mut world.pairs[idx];
        pair.mode = mode;
        pair.stage = stage.round() as u8;
        pair.months_at_stage = p.num(at.key("months_at_stage"), r.months_at_stage, 0.0, 0.0, BIG);
        // The relation's values distance is each side's, unless a view gives its own.
        let distance = p.num(at.key("values_distance"), r.values_distance, 0.0, 0.0, 1.0);
        for (x, y) in [(i, j), (j, i)] {
            world.views[x * n + y].values_distance = distance;
        }
        pair.grievance = p.num(at.key("grievance"), r.grievance, 0.0, 0.0, BIG);
        pair.grievance_decay = 0.5f64.powf(1.0 / (12.0 * half_life));
        if let Some(deciders) = consenting(r, gatekeeper, (i, j), world, &at, p) {
            for (x, y) in [(i, j), (j, i)] {
                world.views[x * n + y].consent = deciders.contains(&x);
            }
        }
        let baseline = world.params.baseline + world.params.baseline_per_stage * stage;
        for (id, view) in &r.views {
            let vat = at.key("views").key(id);
            let Some(x) = world.actor_index(id).filter(|x| *x == i || *x == j) else {
                p.add(vat, format!("`{id}` is not one of this pair's actors"));
                continue;
            };
            let y = if x == i { j } else { i };
            let v = &mut world.views[x * n + y];
            v.trust = p.num(vat.key("trust"), view.trust, if groups { 0.0 } else { baseline }, 0.0, 1.0);
            v.hostility = p.num(vat.key("hostility"), view.hostility, v.hostility, 0.0, 1.0);
            v.hostility_base = v.hostility;
            v.economy = p.num(vat.key("economy"), view.economy, 0.0, 0.0, BIG);
            v.legitimacy = p.num(vat.key("legitimacy"), view.legitimacy, 0.0, 0.0, BIG);
            v.issue = p.num(vat.key("issue"), view.issue, 0.0, 0.0, BIG);
            v.reach = p.num(vat.key("reach"), view.reach, v.reach, 0.0, 1.0);
            v.attack_memory = p.num(vat.key("attack_memory"), view.attack_memory, 0.0, 0.0, BIG);
            v.values_distance =
                p.num(vat.key("values_distance"), view.values_distance, v.values_distance, 0.0, 1.0);
        }
    }
}

/// The actors whose consent a step up of the pair needs, if the relation
/// names them: `consent = [ids]`, or the older `gatekeeper = id` (that side
/// alone). None means both, the default.
fn consenting(
    r: &RawRelation,
    gatekeeper: Option<usize>,
    (i, j): (usize, usize),
    world: &World,
    at: &KeyPath,
    p: &mut Problems,
) -> Option<Vec<usize>> {
    match (&r.consent, gatekeeper) {
        (Some(_), Some(_)) => {
            p.add(at.key("gatekeeper"), "give either `consent` or the older `gatekeeper`, not both");
            None
        }
        (None, g) => g.map(|g| vec![g]),
        (Some(ids), None) => {
            let mut out = Vec::new();
            for (k, id) in ids.iter().enumerate() {
                match world.actor_index(id) {
                    Some(x) if (x == i || x == j) && !out.contains(&x) => out.push(x),
                    Some(x) if out.contains(&x) => {
                        p.add(at.key("consent").index(k), format!("`{id}` is listed twice"))
                    }
                    _ => p.add(
                        at.key("consent").index(k),
                        format!("expected one of the pair's ids, got {id:?}"),
                    ),
                }
            }
            if ids.is_empty() {
                p.add(at.key("consent"), "expected one or both of the pair's ids");
            }
            Some(out)
        }
    }
}

/// Sets each actor's existence window from its `from` and `until` months.
pub(super) fn build_windows(raw: &RawScenario, world: &mut World, clock: Clock, p: &mut Problems) {
    let at = KeyPath::root().key("actors");
    for (i, a) in raw.actors.iter().enumerate() {
        let at = at.index(i);
        let from = a.from.as_deref().and_then(|d| clock.index(at.key("from"), Some(d), p, "month"));
        let until = a.until.as_deref().and_then(|d| clock.index(at.key("until"), Some(d), p, "month"));
        let actor = &mut world.actors[i];
        actor.from = from.unwrap_or(0);
        actor.until = until.unwrap_or(u32::MAX);
        if actor.from > actor.until {
            p.add(at.key("until"), "expected a month at or after `from`");
        }
        world.present[i] = actor.exists_at(0);
    }
}

pub(super) fn pair_ids(
    ids: Option<&[String]>,
    world: &World,
    at: &KeyPath,
    p: &mut Problems,
) -> Option<(usize, usize)> {
    let Some(ids) = ids else {
        p.add(at.clone(), "missing key `pair` (two actor ids)");
        return None;
    };
    if ids.len() != 2 {
        p.add(at.clone(), format!("expected two actor ids, got {}", ids.len()));
        return None;
    }
    let mut found = [0; 2];
    let mut ok = true;
    for (k, id) in ids.iter().enumerate() {
        match world.actor_index(id) {
            Some(x) => found[k] = x,
            None => {
                p.add(at.index(k), format!("no actor with id `{id}`"));
                ok = false;
            }
        }
    }
    if ok && found[0] == found[1] {
        p.add(at.clone(), "expected two different actors");
        return None;
    }
    ok.then_some((found[0], found[1]))
}

pub(super) fn build_tracked(
    raw: &[Vec<String>],
    world: &World,
    at: &KeyPath,
    p: &mut Problems,
) -> Vec<Tracked> {
    let mut out: Vec<Tracked> = Vec::new();
    let label = |a: usize, b: usize| format!("{}-{}", world.actors[a].id, world.actors[b].id);
    for (k, ids) in raw.iter().enumerate() {
        let Some((a, b)) = pair_ids(Some(ids), world, &at.index(k), p) else { continue };
        if world.is_group(a) || world.is_group(b) {
            p.add(at.index(k), "an armed group has no ladder path to track");
            continue;
        }
        let pair = world.pair_index(a, b);
        if out.iter().any(|t| t.pair == pair) {
            p.add(at.index(k), "this dyad is tracked twice");
            continue;
        }
        out.push(Tracked { a, b, pair, label: label(a, b) });
    }
    if raw.is_empty() {
        for (idx, pair) in world.pairs.iter().enumerate() {
            if pair.mode == PairMode::Simulated {
                out.push(Tracked { a: pair.a, b: pair.b, pair: idx, label: label(pair.a, pair.b) });
            }
        }
        if out.is_empty() {
            p.add(at.clone(), "no dyad to track: list [a, b] pairs or simulate at least one relation");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::{build, problems};
    use crate::model::ActorKind;

    #[test]
    fn actors_factions_and_groups_are_built_in_file_order() {
        let s = build("").unwrap();
        let w = &s.base.world;
        let ids: Vec<&str> = w.actors.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["north", "south", "raiders"]);
        assert_eq!(w.actors[2].kind, ActorKind::ArmedGroup);
        // Faction influence shares as given (they must sum to 1).
        let south: Vec<f64> = w.actors[1].factions.clone().map(|f| w.factions[f].influence).collect();
        assert!((south[0] - 0.75).abs() < 1e-12 && (south[1] - 0.25).abs() < 1e-12, "{south:?}");
        assert_eq!(w.groups.len(), 1);
        assert_eq!(w.groups[0].strength, 0.6);
    }

    #[test]
    fn the_simulated_relation_is_tracked_when_none_is_listed() {
        let s = build("").unwrap();
        let labels: Vec<&str> = s.base.tracked.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["north-south"]);
        assert_eq!(s.base.world.pairs[s.base.tracked[0].pair].stage, 2);
    }

    #[test]
    fn unknown_ids_and_bad_numbers_are_reported_by_key() {
        let p = problems(
            r#"
[[relations]]
pair = ["north", "nowhere"]

[[actors]]
id = "Bad Id"
capability = -1
"#,
        );
        assert!(p.iter().any(|m| m.starts_with("relations[1].pair") && m.contains("nowhere")), "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("actors[3].capability")), "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("actors[3].id")), "{p:?}");
    }

    #[test]
    fn a_ladder_needs_at_least_two_rungs() {
        let p = problems("[[ladder]]\nname = \"only\"\n");
        assert!(p.iter().any(|m| m.contains("expected between 2 and")), "{p:?}");
    }
}
