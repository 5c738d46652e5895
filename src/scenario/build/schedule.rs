//! What happens to a world from outside its own mechanisms: dated events
//! (with their ramps and staged attacks), stochastic processes and
//! elections, each checked against the scenario's horizon.

use std::collections::BTreeMap;

use super::world::pair_ids;
use super::{event_size, too_big, Clock, Problems, BIG, MAX_EXPANDED};
use crate::model::field::PairField;
use crate::model::{Attack, Cmp, Condition, Conditional, Effect, Election, Event, Field, Op, Process, World};
use crate::scenario::diagnostic::KeyPath;
use crate::scenario::schema::*;

/// Resolves one `path = value` effect and checks its value.
pub(super) fn resolve_effect(world: &World, path: &str, op: Op, value: f64) -> Result<Effect, String> {
    let field = Field::resolve(world, path)?;
    if let Field::Pair(k, PairField::Mode) = field {
        let pair = &world.pairs[k];
        if world.is_group(pair.a) || world.is_group(pair.b) {
            return Err("a relation with an armed group is always scripted".into());
        }
    }
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
    let sets = resolve(set, Op::Set, "set");
    let adds = resolve(add, Op::Add, "add");
    // The rules that bind several values (faction shares) hold for what an
    // event sets, as for the file's own values.
    if sets.iter().any(|e| matches!(e.field, Field::FactionInfluence(_) | Field::FactionTarget(_))) {
        let mut after = world.clone();
        for e in &sets {
            e.field.apply(&mut after, Op::Set, e.value);
        }
        if let Err(e) = crate::scenario::edit::check_world(&after) {
            p.add(at.key("set"), e);
        }
    }
    (sets, adds)
}

/// Parses a condition `<key path> <op> <number>`, op one of `>=`, `>`, `<=`, `<`, `==`.
pub(super) fn parse_condition(world: &World, text: &str) -> Result<Condition, String> {
    const OPS: [(&str, Cmp); 5] =
        [(">=", Cmp::Ge), ("<=", Cmp::Le), ("==", Cmp::Eq), (">", Cmp::Gt), ("<", Cmp::Lt)];
    let expected = "expected `<key path> <op> <number>` with op one of >=, >, <=, <, ==, \
                    e.g. \"relations.us.vietnam.stage >= 4\"";
    let Some((at, op, cmp)) =
        OPS.iter().filter_map(|&(op, cmp)| text.find(op).map(|at| (at, op, cmp))).min_by_key(|x| x.0)
    else {
        return Err(format!("{expected}; got {text:?}"));
    };
    let (path, number) = (text[..at].trim(), text[at + op.len()..].trim());
    let field = Field::resolve(world, path)?;
    let value: f64 = number.parse().map_err(|_| format!("{expected}; `{number}` is not a number"))?;
    if !value.is_finite() {
        return Err(format!("{expected}; `{number}` is not a finite number"));
    }
    Ok(Condition { field, cmp, value })
}

/// Dated events (sorted by month, ramps unrolled) and conditional events (file order).
pub(super) fn build_events(
    raw: &[RawEvent],
    world: &World,
    clock: Clock,
    at: &KeyPath,
    p: &mut Problems,
) -> (Vec<Event>, Vec<Conditional>) {
    let mut out = Vec::new();
    let mut conditional = Vec::new();
    let mut size = 0usize;
    for (k, e) in raw.iter().enumerate() {
        let at = at.index(k);
        let when = e.when.as_deref().map(|w| parse_condition(world, w).map_err(|m| p.add(at.key("when"), m)));
        let month = match (&when, e.date.as_deref()) {
            (Some(_), None) => Some(0),
            _ => clock.index(at.key("date"), e.date.as_deref(), p, "key `date`"),
        };
        let until = match (&when, e.until.as_deref()) {
            (Some(_), Some(d)) => clock.index(at.key("until"), Some(d), p, "key `until`"),
            (Some(_), None) => Some(clock.horizon),
            (None, Some(_)) => {
                p.add(at.key("until"), "`until` is only for events with a `when` condition");
                None
            }
            (None, None) => None,
        };
        if when.is_some() && e.ramp_months.is_some() {
            p.add(at.key("ramp_months"), "an event with a `when` condition cannot be ramped");
        }
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
        if let Some(when) = when {
            let (Ok(when), Some(until)) = (when, until) else { continue };
            if until < month {
                p.add(at.key("until"), "expected a month at or after `date`");
                continue;
            }
            let mut effects = set;
            effects.extend(add);
            let event = Event { month, name, effects, attacks, quiet: false };
            conditional.push(Conditional { from: month, until, when, event });
            continue;
        }
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
    (out, conditional)
}

pub(super) fn build_processes(
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

pub(super) fn build_elections(
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

#[cfg(test)]
mod tests {
    use super::super::testing::{build, problems};

    #[test]
    fn a_ramped_event_is_unrolled_month_by_month() {
        let s = build(
            r#"
[[events]]
date = "2001-01"
name = "thaw"
add = { "relations.north.south.trust" = 0.3 }
ramp_months = 3
"#,
        )
        .unwrap();
        let events = &s.base.schedule.events;
        let months: Vec<u32> = events.iter().map(|e| e.month).collect();
        assert_eq!(months, [12, 13, 14]);
        assert!(!events[0].quiet && events[1].quiet && events[2].quiet);
        assert!(events.iter().all(|e| (e.effects[0].value - 0.1).abs() < 1e-12));
    }

    #[test]
    fn processes_turn_yearly_rates_into_monthly_probabilities() {
        let s = build("[[processes]]\nname = \"talks\"\nrate_per_year = 1.2\nadd = { \"relations.north.south.trust\" = 0.01 }\n")
            .unwrap();
        let p = &s.base.schedule.processes[0];
        assert_eq!((p.from, p.until), (0, 24));
        assert!((p.probability - (1.0 - (-0.1f64).exp())).abs() < 1e-12);
    }

    #[test]
    fn elections_are_held_every_so_many_months_within_the_horizon() {
        let s = build(
            r#"
[[elections]]
actor = "south"
first = "2000-07"
every_months = 12
influence = { doves = [0.2, 0.8] }
"#,
        )
        .unwrap();
        let e = &s.base.schedule.elections[0];
        assert_eq!(e.months, [6, 18]);
        assert_eq!(e.draws.len(), 1);
    }

    #[test]
    fn dates_outside_the_horizon_and_unknown_keys_are_reported() {
        let p = problems(
            r#"
[[events]]
date = "2010-01"
[[events]]
date = "2001-01"
set = { "actors.nobody.capability" = 1.0 }
[[elections]]
actor = "south"
first = "2000-01"
influence = { nobody = [0.1, 0.2] }
"#,
        );
        assert!(p.iter().any(|m| m.starts_with("events[0].date") && m.contains("outside")), "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("events[1].set.\"actors.nobody.capability\"")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("has no faction `nobody`")), "{p:?}");
    }
}
