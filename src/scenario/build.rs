//! Turns a raw scenario into a validated [`Scenario`], collecting every problem.
//!
//! Each check records the key path of the value it rejects; the caller turns
//! paths into `file:line:col` positions. Building continues after a problem
//! with a harmless stand-in value, so one run reports everything at once.

use std::collections::{BTreeMap, BTreeSet};

use super::diagnostic::KeyPath;
use super::schema::*;
use super::{CalibrationConfig, Prior, Scenario, SweepConfig, Variant};
use crate::calendar::YearMonth;
use crate::model::field::Field;
use crate::model::ladder::{Rung, GOODS, MAX_RUNGS, N_GOODS};
use crate::model::params::{param_index, PARAM_SPECS};
use crate::model::world::{GOAL_NAMES, N_GOALS};
use crate::model::{
    ActorInfo, ActorKind, Attack, Effect, Election, Event, Faction, Group, Ladder, Op, Pair, PairMode,
    Params, Process, Schedule, Setup, Tracked, View, World,
};

/// Collected problems: key path and message.
#[derive(Default)]
pub struct Problems(pub Vec<(KeyPath, String)>);

impl Problems {
    fn add(&mut self, at: KeyPath, message: impl Into<String>) {
        self.0.push((at, message.into()));
    }

    /// `value` if it is finite and within [min, max], else a problem and `fallback`.
    fn num(&mut self, at: KeyPath, value: Option<f64>, default: f64, min: f64, max: f64) -> f64 {
        let Some(v) = value else { return default };
        if !v.is_finite() {
            self.add(at, format!("expected a finite number, got {v}"));
            default
        } else if v < min || v > max {
            self.add(at, format!("expected a number within [{min}, {max}], got {v}"));
            default
        } else {
            v
        }
    }

    fn month(&mut self, at: KeyPath, text: Option<&str>) -> Option<YearMonth> {
        let text = text?;
        match YearMonth::parse(text) {
            Ok(m) => Some(m),
            Err(e) => {
                self.add(at, e);
                None
            }
        }
    }
}

const BIG: f64 = 1e9;

/// Most values the baseline and all its variants may expand to in memory,
/// counted by [`expanded_size`]. Each variant is a full copy of the world, and
/// events, ramps and elections are unrolled month by month, so a few
/// kilobytes of repeated tables used to compile into gigabytes (an 8 KB file
/// of 500 `[[actors]]` and 250 `[[variants]]`: 8 GB and a minute). The
/// shipped scenarios use a few thousand.
const MAX_EXPANDED: usize = 1 << 20;

/// Most actors: the world holds a view for each ordered pair of them.
const MAX_ACTORS: usize = 1024;

/// What a setup holds in memory, in values: a view per ordered pair of
/// actors, each event month (and a word per 8 bytes of its name, which each
/// ramp month copies), each election month, each process.
fn expanded_size(setup: &Setup) -> usize {
    let n = setup.world.n();
    let s = &setup.schedule;
    n * n
        + s.events.iter().map(event_size).sum::<usize>()
        + s.elections.iter().map(|e| e.months.len()).sum::<usize>()
        + s.processes.len()
}

fn event_size(e: &Event) -> usize {
    1 + e.name.len() / 8 + e.effects.len()
}

fn too_big(what: &str) -> String {
    format!(
        "{what} would expand to more than {MAX_EXPANDED} values in memory (views between actors, \
         months of events, ramps and elections, once more for each variant); split the file"
    )
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Builds the scenario; `name_fallback` is used when `[scenario].name` is missing.
pub fn build(mut raw: RawScenario, p: &mut Problems) -> Option<Scenario> {
    let root = KeyPath::root();
    let meta_at = root.key("scenario");
    let meta = match raw.scenario.take() {
        Some(m) => m,
        None => {
            p.add(meta_at.clone(), "missing table [scenario] with name, start and end");
            RawMeta::default()
        }
    };
    let name = meta.name.clone().unwrap_or_default();
    if meta.name.is_none() && p.0.is_empty() {
        p.add(meta_at.key("name"), "missing key `name` (a short name such as \"afghanistan\")");
    } else if meta.name.is_some() && name.trim().is_empty() {
        p.add(meta_at.key("name"), "expected a non-empty name");
    }
    let start = p.month(meta_at.key("start"), meta.start.as_deref());
    let end = p.month(meta_at.key("end"), meta.end.as_deref());
    for (key, v) in [("start", &meta.start), ("end", &meta.end)] {
        if v.is_none() && raw_scenario_present(&meta_at, p) {
            p.add(meta_at.key(key), format!("missing key `{key}` (a month YYYY-MM)"));
        }
    }
    let horizon = match (start, end) {
        (Some(s), Some(e)) if e.months_since(s) >= 1 => Some(e.months_since(s) as u32),
        (Some(s), Some(e)) => {
            p.add(meta_at.key("end"), format!("expected a month after the start {s}, got {e}"));
            None
        }
        _ => None,
    };

    let ladder = build_ladder(raw.ladder.as_deref(), &root.key("ladder"), p);
    let mut params = Params::default();
    for (section, values) in &raw.params {
        for (k, v) in values {
            let at = root.key("params").key(section).key(k);
            let key = format!("{section}.{k}");
            match param_index(&key) {
                Some(idx) => {
                    let spec = PARAM_SPECS[idx];
                    *params.slot_mut(idx) = p.num(at, Some(*v), spec.default, spec.min, spec.max);
                }
                None => {
                    let hint = super::diagnostic::closest(&key, PARAM_SPECS.iter().map(|s| s.key))
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default();
                    p.add(at, format!("unknown parameter `{key}`{hint}; `detente params` lists them"));
                }
            }
        }
    }

    let world = build_world(&raw, ladder, params, p)?;
    let start = start?;
    let horizon = horizon?;
    let clock = Clock { start, horizon };
    let tracked = build_tracked(&meta.tracked, &world, &meta_at.key("tracked"), p);
    let schedule = Schedule {
        events: build_events(&raw.events, &world, clock, &root.key("events"), p),
        processes: build_processes(&raw.processes, &world, clock, &root.key("processes"), p),
        elections: build_elections(&raw.elections, &world, clock, &root.key("elections"), p),
    };
    let report_years = meta.report_years.clone().unwrap_or_else(|| vec![5, 10, 20]);
    if report_years.contains(&0) {
        p.add(meta_at.key("report_years"), "expected whole years of at least 1");
    }
    let run_at = root.key("run");
    let replications = raw.run.replications.unwrap_or(1000);
    if replications == 0 {
        p.add(run_at.key("replications"), "expected at least 1 replication");
    }
    let mut base = Setup { world, schedule, start, horizon, tracked };
    finish(&mut base.world);
    let variants = build_variants(&raw.variants, &base, clock, &root.key("variants"), p);
    let calibration =
        raw.calibration.as_ref().map(|c| build_calibration(c, &base.world, &root.key("calibration"), p));
    let sweep = raw.sweep.as_ref().map(|c| build_sweep(c, &base.world, &root.key("sweep"), p));
    Some(Scenario {
        calibration,
        sweep,
        name,
        description: meta.description,
        replications,
        seed: raw.run.seed.unwrap_or(1),
        report_years,
        base,
        variants,
        path: Default::default(),
        sha256: String::new(),
    })
}

fn raw_scenario_present(_at: &KeyPath, p: &Problems) -> bool {
    // A missing [scenario] table was already reported once; do not repeat per key.
    !p.0.iter().any(|(k, m)| k.0.len() == 1 && m.starts_with("missing table [scenario]"))
}

/// Normalises faction shares and records where each armed group's parent started.
pub fn finish(world: &mut World) {
    world.normalize_factions();
    for g in 0..world.groups.len() {
        if let Some(parent) = world.groups[g].parent {
            world.groups[g].parent_pragmatism_start = world.pragmatism(parent);
        }
    }
}

#[derive(Clone, Copy)]
struct Clock {
    start: YearMonth,
    horizon: u32,
}

impl Clock {
    /// Month index of a date, which must lie within the horizon.
    fn index(&self, at: KeyPath, text: Option<&str>, p: &mut Problems, what: &str) -> Option<u32> {
        let Some(text) = text else {
            p.add(at, format!("missing {what} (a month YYYY-MM)"));
            return None;
        };
        let m = p.month(at.clone(), Some(text))?;
        let k = m.months_since(self.start);
        if k < 0 || k > self.horizon as i32 {
            p.add(
                at,
                format!(
                    "{m} is outside the scenario's horizon {} to {}",
                    self.start,
                    self.start.plus(self.horizon as i32)
                ),
            );
            return None;
        }
        Some(k as u32)
    }
}

fn build_ladder(raw: Option<&[RawRung]>, at: &KeyPath, p: &mut Problems) -> Ladder {
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

fn build_world(raw: &RawScenario, ladder: Ladder, params: Params, p: &mut Problems) -> Option<World> {
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
        let g = &a.goals;
        let raw_goals = [g.security, g.economy, g.legitimacy, g.values, g.balance];
        let mut w = [1.0; N_GOALS];
        for (k, v) in raw_goals.iter().enumerate() {
            w[k] = p.num(at.key("goals").key(GOAL_NAMES[k]), *v, 1.0, 0.0, BIG);
        }
        goals.push(w);
        let first = factions.len();
        build_factions(a, &at, kind, &mut factions, p);
        actors.push(ActorInfo {
            id,
            name: a.name.clone().unwrap_or_default(),
            kind,
            factions: first..factions.len(),
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
        factions,
        views: vec![View::default(); n * n],
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

fn build_factions(a: &RawActor, at: &KeyPath, kind: ActorKind, out: &mut Vec<Faction>, p: &mut Problems) {
    if a.factions.is_empty() {
        let default = if kind == ActorKind::ArmedGroup { 0.0 } else { 0.5 };
        let prag = p.num(at.key("pragmatism"), a.pragmatism, default, 0.0, 1.0);
        out.push(Faction { id: "all".into(), pragmatism: prag, influence: 1.0, target: 1.0 });
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
        out.push(Faction {
            id,
            pragmatism: p.num(fat.key("pragmatism"), f.pragmatism, 0.5, 0.0, 1.0),
            influence,
            target,
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
    let parent = g.parent.as_deref().and_then(|id| match world.actor_index(id) {
        Some(t) if t != actor && !world.is_group(t) => Some(t),
        Some(_) => {
            p.add(at.key("parent"), "the parent must be another actor that is not an armed group");
            None
        }
        None => {
            p.add(at.key("parent"), format!("no actor with id `{id}`"));
            None
        }
    });
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
                values_distance: 0.0,
                grievance: 0.0,
                grievance_decay: 1.0,
                gatekeeper: None,
            });
            for (i, j) in [(a, b), (b, a)] {
                let v = &mut world.views[i * n + j];
                if groups {
                    v.hostility = group_hostility;
                    v.reach = if world.actors[j].kind == ActorKind::ArmedGroup { default_reach } else { 0.0 };
                } else {
                    v.trust = default_trust;
                    v.hostility = default_hostility;
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
        pair.values_distance = p.num(at.key("values_distance"), r.values_distance, 0.0, 0.0, 1.0);
        pair.grievance = p.num(at.key("grievance"), r.grievance, 0.0, 0.0, BIG);
        pair.grievance_decay = 0.5f64.powf(1.0 / (12.0 * half_life));
        pair.gatekeeper = gatekeeper;
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
            v.economy = p.num(vat.key("economy"), view.economy, 0.0, 0.0, BIG);
            v.legitimacy = p.num(vat.key("legitimacy"), view.legitimacy, 0.0, 0.0, BIG);
            v.issue = p.num(vat.key("issue"), view.issue, 0.0, 0.0, BIG);
            v.reach = p.num(vat.key("reach"), view.reach, v.reach, 0.0, 1.0);
        }
    }
}

fn pair_ids(ids: Option<&[String]>, world: &World, at: &KeyPath, p: &mut Problems) -> Option<(usize, usize)> {
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

fn build_tracked(raw: &[Vec<String>], world: &World, at: &KeyPath, p: &mut Problems) -> Vec<Tracked> {
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

/// Resolves one `path = value` effect and checks its value.
fn resolve_effect(world: &World, path: &str, op: Op, value: f64) -> Result<Effect, String> {
    let field = Field::resolve(world, path)?;
    match op {
        Op::Set => field.check(value, &world.ladder)?,
        Op::Add if !value.is_finite() => return Err(format!("expected a finite number, got {value}")),
        Op::Add => {}
    }
    Ok(Effect { field, op, value })
}

fn effects(
    set: &BTreeMap<String, f64>,
    add: &BTreeMap<String, f64>,
    world: &World,
    at: &KeyPath,
    p: &mut Problems,
) -> (Vec<Effect>, Vec<Effect>) {
    let mut resolve = |map: &BTreeMap<String, f64>, op: Op, key: &str| {
        let mut out = Vec::new();
        for (path, value) in map {
            match resolve_effect(world, path, op, *value) {
                Ok(e) => out.push(e),
                Err(e) => p.add(at.key(key).key(path), e),
            }
        }
        out
    };
    (resolve(set, Op::Set, "set"), resolve(add, Op::Add, "add"))
}

fn build_events(raw: &[RawEvent], world: &World, clock: Clock, at: &KeyPath, p: &mut Problems) -> Vec<Event> {
    let mut out = Vec::new();
    let mut size = 0usize;
    for (k, e) in raw.iter().enumerate() {
        let at = at.index(k);
        let month = clock.index(at.key("date"), e.date.as_deref(), p, "key `date`");
        let name = e.name.clone().unwrap_or_else(|| format!("event {k}"));
        let (set, add) = effects(&e.set, &e.add, world, &at, p);
        let mut attacks = Vec::new();
        for (m, a) in e.attacks.iter().enumerate() {
            let aat = at.key("attacks").index(m);
            let ids = match (&a.by, &a.on) {
                (Some(by), Some(on)) => vec![by.clone(), on.clone()],
                _ => {
                    p.add(aat, "an attack needs `by` and `on` actor ids");
                    continue;
                }
            };
            let Some((by, on)) = pair_ids(Some(&ids), world, &aat, p) else { continue };
            let severity = p.num(aat.key("severity"), a.severity, 1.0, 0.0, BIG);
            attacks.push(Attack { by, on, severity });
        }
        let ramp = e.ramp_months.unwrap_or(1);
        if !(1..=1200).contains(&ramp) {
            p.add(at.key("ramp_months"), format!("expected 1 to 1200 months, got {ramp}"));
        }
        let Some(month) = month else { continue };
        let ramp = ramp.clamp(1, 1200) as u32;
        let mut first = set;
        first.extend(add.iter().map(|e| Effect { value: e.value / ramp as f64, ..*e }));
        let event = Event { month, name: name.clone(), effects: first, attacks, quiet: false };
        // Each ramp month is a copy; stop before unrolling past the budget.
        size = size.saturating_add(event_size(&event).saturating_mul(ramp as usize));
        if size > MAX_EXPANDED {
            p.add(at.clone(), too_big("the events and their ramps"));
            break;
        }
        out.push(event);
        for step in 1..ramp {
            if month + step > clock.horizon {
                break;
            }
            let effects = add.iter().map(|e| Effect { value: e.value / ramp as f64, ..*e }).collect();
            out.push(Event {
                month: month + step,
                name: name.clone(),
                effects,
                attacks: Vec::new(),
                quiet: true,
            });
        }
    }
    out.sort_by_key(|e| e.month);
    out
}

fn build_processes(
    raw: &[RawProcess],
    world: &World,
    clock: Clock,
    at: &KeyPath,
    p: &mut Problems,
) -> Vec<Process> {
    let mut out = Vec::new();
    for (k, r) in raw.iter().enumerate() {
        let at = at.index(k);
        let from = match &r.from {
            Some(t) => clock.index(at.key("from"), Some(t), p, "key `from`"),
            None => Some(0),
        };
        let until = match &r.until {
            Some(t) => clock.index(at.key("until"), Some(t), p, "key `until`"),
            None => Some(clock.horizon),
        };
        if r.rate_per_year.is_none() {
            p.add(at.clone(), "missing key `rate_per_year`");
        }
        let rate = p.num(at.key("rate_per_year"), r.rate_per_year, 0.0, 0.0, 1000.0);
        let (set, add) = effects(&r.set, &r.add, world, &at, p);
        let (Some(from), Some(until)) = (from, until) else { continue };
        if until < from {
            p.add(at.key("until"), "expected `until` on or after `from`");
            continue;
        }
        out.push(Process {
            name: r.name.clone().unwrap_or_else(|| format!("process {k}")),
            from,
            until,
            probability: 1.0 - (-rate / 12.0).exp(),
            effects: set.into_iter().chain(add).collect(),
        });
    }
    out
}

fn build_elections(
    raw: &[RawElection],
    world: &World,
    clock: Clock,
    at: &KeyPath,
    p: &mut Problems,
) -> Vec<Election> {
    let mut out = Vec::new();
    let mut total = 0usize;
    for (k, e) in raw.iter().enumerate() {
        let at = at.index(k);
        let actor = match e.actor.as_deref() {
            None => {
                p.add(at.clone(), "missing key `actor`");
                None
            }
            Some(id) => world.actor_index(id).or_else(|| {
                p.add(at.key("actor"), format!("no actor with id `{id}`"));
                None
            }),
        };
        let first = match e.first.as_deref() {
            None => {
                p.add(at.clone(), "missing key `first` (a month YYYY-MM)");
                None
            }
            some => p.month(at.key("first"), some),
        };
        let every = e.every_months.unwrap_or(48);
        if !(1..=1200).contains(&every) {
            p.add(at.key("every_months"), format!("expected 1 to 1200 months, got {every}"));
        }
        let mut draws = Vec::new();
        if let Some(a) = actor {
            let range = world.actors[a].factions.clone();
            for (fid, bounds) in &e.influence {
                let fat = at.key("influence").key(fid);
                let Some(f) = range.clone().find(|&f| &world.factions[f].id == fid) else {
                    p.add(fat, format!("actor `{}` has no faction `{fid}`", world.actors[a].id));
                    continue;
                };
                match bounds.as_slice() {
                    [lo, hi] if (0.0..=1.0).contains(lo) && (0.0..=1.0).contains(hi) && lo <= hi => {
                        draws.push((f, *lo, *hi))
                    }
                    _ => p.add(
                        fat,
                        format!("expected [low, high] within [0, 1] with low <= high, got {bounds:?}"),
                    ),
                }
            }
        }
        let (Some(first), true) = (first, (1..=1200).contains(&every)) else { continue };
        // Counted before the months are unrolled: monthly elections over ten
        // thousand years are 120,000 months each.
        let first_month = first.months_since(clock.start) as i64;
        let held = (clock.horizon as i64 - first_month.max(0)) / every + 1;
        total = total.saturating_add(usize::try_from(held).unwrap_or(0));
        if total > MAX_EXPANDED {
            p.add(at.key("every_months"), too_big("the elections"));
            break;
        }
        let mut months = Vec::new();
        let mut m = first_month;
        while m <= clock.horizon as i64 {
            if m >= 0 {
                months.push(m as u32);
            }
            m += every;
        }
        out.push(Election { name: e.name.clone().unwrap_or_else(|| format!("election {k}")), months, draws });
    }
    out
}

fn build_variants(
    raw: &[RawVariant],
    base: &Setup,
    clock: Clock,
    at: &KeyPath,
    p: &mut Problems,
) -> Vec<Variant> {
    let mut out = vec![Variant {
        name: "baseline".into(),
        description: "The scenario as written, without overrides.".into(),
        overrides: Vec::new(),
        setup: base.clone(),
    }];
    let mut names = BTreeSet::from(["baseline".to_string()]);
    let base_size = expanded_size(base);
    let mut total = base_size;
    for (k, v) in raw.iter().enumerate() {
        let at = at.index(k);
        // Checked before the copy is made, so memory stays within the budget.
        total = total.saturating_add(base_size);
        if total > MAX_EXPANDED {
            p.add(at, too_big("the baseline and its variants"));
            break;
        }
        let name = v.name.clone().unwrap_or_default();
        if v.name.is_none() {
            p.add(at.clone(), "missing key `name`");
        } else if !valid_id(&name) {
            p.add(
                at.key("name"),
                format!("expected a name of lowercase letters, digits and underscores, got {name:?}"),
            );
        } else if !names.insert(name.clone()) {
            p.add(
                at.key("name"),
                format!("duplicate variant name `{name}` (`baseline` is taken by the file itself)"),
            );
        }
        let mut setup = base.clone();
        let mut overrides = Vec::new();
        for (key, value) in &v.set {
            match resolve_effect(&base.world, key, Op::Set, *value) {
                Ok(e) => {
                    e.field.apply(&mut setup.world, Op::Set, e.value);
                    overrides.push((key.clone(), e.value));
                }
                Err(e) => p.add(at.key("set").key(key), e),
            }
        }
        finish(&mut setup.world);
        setup.schedule.events.extend(build_events(&v.events, &setup.world, clock, &at.key("events"), p));
        setup.schedule.events.sort_by_key(|e| e.month);
        setup.schedule.processes.extend(build_processes(
            &v.processes,
            &setup.world,
            clock,
            &at.key("processes"),
            p,
        ));
        total = total.saturating_add(expanded_size(&setup).saturating_sub(base_size));
        out.push(Variant { name, description: v.description.clone(), overrides, setup });
    }
    out
}

/// Resolves `key = [low, high]` into a prior, checking both bounds against the field's range.
pub fn resolve_prior(world: &World, key: &str, bounds: &[f64]) -> Result<Prior, String> {
    let field = Field::resolve(world, key)?;
    let [low, high] = bounds else {
        return Err(format!("expected [low, high], got {} numbers", bounds.len()));
    };
    field.check(*low, &world.ladder)?;
    field.check(*high, &world.ladder)?;
    if low >= high {
        return Err(format!("expected low < high, got [{low}, {high}]"));
    }
    Ok(Prior { key: key.to_string(), field, low: *low, high: *high })
}

fn build_calibration(c: &RawCalibration, world: &World, at: &KeyPath, p: &mut Problems) -> CalibrationConfig {
    let mut priors = Vec::new();
    for (key, bounds) in &c.priors {
        match resolve_prior(world, key, bounds) {
            Ok(prior) => priors.push(prior),
            Err(e) => p.add(at.key("priors").key(key), e),
        }
    }
    for (key, value, allowed) in
        [("align", &c.align, ["calendar", "origin"]), ("method", &c.method, ["rejection", "smc"])]
    {
        if let Some(v) = value.as_deref().filter(|v| !allowed.contains(v)) {
            p.add(at.key(key), format!("expected \"{}\" or \"{}\", got {v:?}", allowed[0], allowed[1]));
        }
    }
    if let Some(o) = &c.origin {
        if let Err(e) = crate::calendar::Date::parse(o) {
            p.add(at.key("origin"), e);
        }
    }
    for (key, value) in [
        ("replications", c.replications),
        ("particles", c.particles),
        ("proposals", c.proposals),
        ("max_evaluations", c.max_evaluations),
    ] {
        if value == Some(0) {
            p.add(at.key(key), "expected at least 1");
        }
    }
    CalibrationConfig {
        reference: c.reference.clone(),
        dyad: c.dyad.clone(),
        align: c.align.clone(),
        origin: c.origin.clone(),
        method: c.method.clone(),
        replications: c.replications,
        particles: c.particles,
        rounds: c.rounds,
        proposals: c.proposals,
        max_evaluations: c.max_evaluations,
        censor_penalty_months: c
            .censor_penalty_months
            .map(|v| p.num(at.key("censor_penalty_months"), Some(v), 60.0, 0.0, BIG)),
        priors,
    }
}

/// Design names `[sweep].design` accepts.
pub const SWEEP_DESIGNS: [&str; 5] = ["factorial", "zip", "lhs", "sobol", "morris"];

fn build_sweep(c: &RawSweep, world: &World, at: &KeyPath, p: &mut Problems) -> SweepConfig {
    let mut ranges = Vec::new();
    for (key, bounds) in &c.parameters {
        match resolve_prior(world, key, bounds) {
            Ok(prior) => ranges.push(prior),
            Err(e) => p.add(at.key("parameters").key(key), e),
        }
    }
    let mut values = Vec::new();
    for (key, list) in &c.values {
        let here = at.key("values").key(key);
        if c.parameters.contains_key(key) {
            p.add(
                here,
                "this key path is also given a range in [sweep].parameters; give it one or the other",
            );
            continue;
        }
        match resolve_values(world, key, list) {
            Ok(field) => values.push((key.clone(), field, list.clone())),
            Err(e) => p.add(here, e),
        }
    }
    if let Some(d) = c.design.as_deref().filter(|d| !SWEEP_DESIGNS.contains(d)) {
        p.add(at.key("design"), format!("expected one of {}, got {d:?}", SWEEP_DESIGNS.join(", ")));
    }
    for (key, value, min) in
        [("points", c.points, 1), ("levels", c.levels, 2), ("replications", c.replications, 1)]
    {
        if value.is_some_and(|v| v < min) {
            p.add(at.key(key), format!("expected at least {min}"));
        }
    }
    SweepConfig {
        design: c.design.clone(),
        points: c.points,
        levels: c.levels,
        replications: c.replications,
        crn: c.crn,
        ranges,
        values,
    }
}

/// Resolves `key = [a, b, ...]` into a field, checking every value against its range.
pub fn resolve_values(world: &World, key: &str, list: &[f64]) -> Result<Field, String> {
    let field = Field::resolve(world, key)?;
    if list.is_empty() {
        return Err("expected at least one value".into());
    }
    for &v in list {
        field.check(v, &world.ladder)?;
    }
    Ok(field)
}
