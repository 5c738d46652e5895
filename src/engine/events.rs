//! Submodel "events": scheduled events, stochastic processes and elections.
//!
//! Fires everything due in a month before the actors decide, so that a
//! decree or an attack dated this month shapes this month's choices.

use rand::Rng;

use super::{groups, Happening, Recorder, Scratch, Streams};
use crate::model::{Effect, Event, Setup, World};

/// Position in the schedule's dated events.
#[derive(Debug, Default, Clone, Copy)]
pub struct Cursor {
    next_event: usize,
}

/// Sets which actors exist in month `t`; true if that changed.
pub fn update_presence(world: &mut World, t: u32) -> bool {
    let mut changed = false;
    for (present, actor) in world.present.iter_mut().zip(&world.actors) {
        let now = actor.exists_at(t);
        changed |= *present != now;
        *present = now;
    }
    changed
}

/// Applies a list of effects.
pub fn apply_effects(world: &mut World, effects: &[Effect]) {
    for e in effects {
        e.field.apply(world, e.op, e.value);
    }
}

/// Fires the events, processes and elections due in month `t`.
pub fn fire_due(
    world: &mut World,
    setup: &Setup,
    t: u32,
    cursor: &mut Cursor,
    streams: &mut Streams,
    scratch: &mut Scratch,
    rec: &mut Recorder,
) {
    let schedule = &setup.schedule;
    let mut fired = false;
    while let Some(event) = schedule.events.get(cursor.next_event).filter(|e| e.month <= t) {
        let what = (!event.quiet).then_some(Happening::Event(cursor.next_event));
        fire(world, setup, event, what, t, scratch, rec);
        cursor.next_event += 1;
        fired = true;
    }
    // Conditions are read after the month's dated events, so a dated event
    // can release a conditional one in the same month.
    for (k, c) in schedule.conditional.iter().enumerate() {
        if !scratch.conditional_fired[k] && (c.from..=c.until).contains(&t) && c.when.holds(world) {
            scratch.conditional_fired[k] = true;
            fire(world, setup, &c.event, Some(Happening::Conditional(k)), t, scratch, rec);
            fired = true;
        }
    }
    for (k, p) in schedule.processes.iter().enumerate() {
        if (p.from..=p.until).contains(&t) {
            // One draw per month of the window whether or not it fires, so
            // the stream does not depend on the outcome.
            let u: f64 = streams.events.random();
            if u < p.probability {
                apply_effects(world, &p.effects);
                rec.note(t, Happening::Process(k));
                fired = true;
            }
        }
    }
    for (k, e) in schedule.elections.iter().enumerate() {
        if e.months.binary_search(&t).is_ok() {
            for &(f, lo, hi) in &e.draws {
                let u: f64 = streams.events.random();
                let share = lo + u * (hi - lo);
                world.factions[f].influence = share;
                world.factions[f].target = share;
            }
            rec.note(t, Happening::Election(k));
            fired = true;
        }
    }
    if fired {
        world.normalize_factions();
    }
}

/// Applies one event: its effects, then its staged attacks; logs it as `what`
/// (none for the quiet steps of a ramp) and the stage changes it forced.
fn fire(
    world: &mut World,
    setup: &Setup,
    event: &Event,
    what: Option<Happening>,
    t: u32,
    scratch: &mut Scratch,
    rec: &mut Recorder,
) {
    scratch.tracked_stages.clear();
    scratch.tracked_stages.extend(setup.tracked.iter().map(|tr| world.pairs[tr.pair].stage));
    apply_effects(world, &event.effects);
    if let Some(what) = what {
        rec.note(t, what);
    }
    note_scripted_stage_changes(world, setup, t, &scratch.tracked_stages, rec);
    for a in &event.attacks {
        groups::apply_attack(world, scratch, a.by, a.on, a.severity, t, rec);
    }
}

/// Logs stage changes an event forced on tracked dyads, so timelines show them.
fn note_scripted_stage_changes(world: &World, setup: &Setup, t: u32, before: &[u8], rec: &mut Recorder) {
    for (b, tr) in before.iter().zip(&setup.tracked) {
        let now = world.pairs[tr.pair].stage;
        if now != *b {
            rec.note(t, Happening::Stage(tr.pair, *b, now, super::Cause::Scripted));
        }
    }
}
