//! Submodel "ladder": stage moves with gatekeeping and hysteresis.
//!
//! A direct attack sends a simulated pair to rung 0. Sustained betrayal (the
//! moving average of bad surprise above a threshold) or trust below the
//! rung's threshold minus a hysteresis margin drops one rung, never below 1,
//! and only after a minimum stay so single noisy draws do not make stages
//! flicker. A step up needs min(T_ij, T_ji) above the next rung's threshold for
//! `months_above` months, the minimum stay at the current rung, and the
//! gatekeeper's consent V = r G - K phi + v0 > 0 (a hard gate); a monthly
//! hazard pi sigma(lambda_g V) then sets the timing.

use rand::Rng;

use super::choice::{benefits, reciprocation, values_cost};
use super::{Cause, Happening, Recorder, Scratch, ATTACK};
use crate::model::{PairMode, World};

/// Moves the stages of all simulated pairs for month `t`.
pub fn move_stages(world: &mut World, t: u32, rng: &mut impl Rng, s: &mut Scratch, rec: &mut Recorder) {
    for p in 0..world.pairs.len() {
        let (a, b) = (world.pairs[p].a, world.pairs[p].b);
        if world.pairs[p].mode != PairMode::Simulated || world.is_group(a) || world.is_group(b) {
            continue;
        }
        // One draw per pair and month whatever happens, for stream stability.
        let draw: f64 = rng.random();
        let from = world.pairs[p].stage;
        let Some(cause) = decide(world, s, p, draw) else {
            world.pairs[p].months_at_stage += 1.0;
            continue;
        };
        let to = match cause {
            Cause::StepUp => from + 1,
            Cause::Attack => 0,
            _ => from - 1,
        };
        let delta = match cause {
            Cause::StepUp => 1.0,
            Cause::Attack | Cause::Betrayal => -1.0,
            _ => 0.0,
        };
        s.signal[a] += delta;
        s.signal[b] += delta;
        if cause == Cause::Attack {
            // A chosen attack leaves the same traces as a staged one.
            let n = world.n();
            for (by, on) in [(a, b), (b, a)] {
                if world.views[by * n + on].action_index == ATTACK && !s.attacked[by * n + on] {
                    world.views[on * n + by].attack_memory += 1.0;
                    rec.note(t, Happening::Attack(by, on));
                }
            }
        }
        let pair = &mut world.pairs[p];
        pair.stage = to;
        pair.months_at_stage = 0.0;
        pair.months_above = 0.0;
        rec.note(t, Happening::Stage(p, from, to, cause));
    }
}

/// Decides whether pair `p` moves this month, and why. Updates the months-above counter.
fn decide(world: &mut World, s: &Scratch, p: usize, draw: f64) -> Option<Cause> {
    let n = world.n();
    let pair = &world.pairs[p];
    let (a, b, stage) = (pair.a, pair.b, pair.stage);
    let (ab, ba) = (&world.views[a * n + b], &world.views[b * n + a]);
    if ab.action_index == ATTACK || ba.action_index == ATTACK {
        return (stage > 0).then_some(Cause::Attack);
    }
    let params = &world.params;
    let trust = ab.trust.min(ba.trust);
    let rungs = &world.ladder.rungs;
    let may_drop = stage > 1 && pair.months_at_stage >= params.drop_cooldown;
    if may_drop && ab.bad_surprise.max(ba.bad_surprise) > params.betrayal_threshold {
        return Some(Cause::Betrayal);
    }
    if may_drop && trust < rungs[stage as usize].threshold - params.hysteresis {
        return Some(Cause::LowTrust);
    }
    if stage as usize + 1 >= rungs.len() {
        return None;
    }
    let next = &rungs[stage as usize + 1];
    let above = trust >= next.threshold;
    let ready = above
        && pair.months_above + 1.0 >= params.months_above
        && pair.months_at_stage >= rungs[stage as usize].min_stay_months;
    let step = ready && {
        let v = consent(world, s, p);
        v > 0.0 && draw < params.step_rate * logistic(params.gate_sharpness * v)
    };
    let pair = &mut world.pairs[p];
    pair.months_above = if above { pair.months_above + 1.0 } else { 0.0 };
    step.then_some(Cause::StepUp)
}

/// The gatekeeper's consent value for pair `p` to step onto the next rung.
pub fn consent(world: &World, s: &Scratch, p: usize) -> f64 {
    let pair = &world.pairs[p];
    let g = gatekeeper(world, p);
    let other = if g == pair.a { pair.b } else { pair.a };
    let next = &world.ladder.rungs[pair.stage as usize + 1];
    let b = benefits(world, s, g, other);
    let goods: f64 = next.goods.iter().zip(&b).map(|(w, x)| w * x).sum();
    reciprocation(world, g, other) * goods - values_cost(world, s, g, other) * next.values_cost
        + world.params.consent_bias
}

/// The actor whose consent gates pair `p`: as set, or the stronger side.
pub fn gatekeeper(world: &World, p: usize) -> usize {
    let pair = &world.pairs[p];
    pair.gatekeeper.unwrap_or(if world.capability[pair.b] > world.capability[pair.a] {
        pair.b
    } else {
        pair.a
    })
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testworld::two_states;
    use crate::engine::{prepare, threat, Fired};
    use rand::SeedableRng;

    /// Runs one ladder step with a fixed draw sequence; returns the new stage and the log.
    fn step(w: &mut World) -> (u8, Vec<Fired>) {
        let mut s = Scratch::default();
        prepare(w, &mut s);
        threat::perceive(w, &mut s);
        let mut rec = Recorder::new(false, true);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        move_stages(w, 1, &mut rng, &mut s, &mut rec);
        (w.pairs[0].stage, rec.fired.unwrap_or_default())
    }

    fn at_stage(stage: u8, months_at_stage: f64, trust: f64) -> World {
        let mut w = two_states();
        w.pairs[0].stage = stage;
        w.pairs[0].months_at_stage = months_at_stage;
        for v in [(0, 1), (1, 0)] {
            let k = w.view_index(v.0, v.1);
            w.views[k].trust = trust;
            w.views[k].action_index = 3;
        }
        w
    }

    #[test]
    fn a_direct_attack_sends_the_pair_to_war_and_leaves_traces() {
        let mut w = at_stage(4, 50.0, 0.5);
        w.views[1].action_index = ATTACK;
        let (stage, log) = step(&mut w);
        assert_eq!(stage, 0);
        assert_eq!(w.views[w.view_index(1, 0)].attack_memory, 1.0);
        assert!(log.iter().any(|f| f.what == Happening::Stage(0, 4, 0, Cause::Attack)));
        assert!(log.iter().any(|f| f.what == Happening::Attack(0, 1)));
    }

    #[test]
    fn sustained_betrayal_drops_one_rung_but_not_during_the_cooldown_or_below_one() {
        let mut w = at_stage(3, 10.0, 0.5);
        w.views[1].bad_surprise = 0.5;
        assert_eq!(step(&mut w).0, 2);
        let mut early = at_stage(3, 2.0, 0.5);
        early.views[1].bad_surprise = 0.5;
        assert_eq!(step(&mut early).0, 3, "no drop before the cooldown");
        let mut floor = at_stage(1, 10.0, 0.5);
        floor.views[1].bad_surprise = 0.5;
        assert_eq!(step(&mut floor).0, 1, "betrayal never drops below rung 1");
    }

    #[test]
    fn low_trust_drops_only_below_the_hysteresis_margin() {
        // Rung 3 threshold 0.14, margin 0.10: trust 0.05 holds, 0.03 falls.
        assert_eq!(step(&mut at_stage(3, 10.0, 0.05)).0, 3);
        assert_eq!(step(&mut at_stage(3, 10.0, 0.03)).0, 2);
    }

    fn ready_to_step(months_above: f64) -> World {
        let mut w = at_stage(2, 100.0, 0.5);
        w.pairs[0].months_above = months_above;
        w.params.step_rate = 1.0;
        w.params.gate_sharpness = 100.0;
        // Rung 3 delivers the shared issue: worth 1 to the gatekeeper.
        w.views[1].issue = 1.0;
        w
    }

    #[test]
    fn a_step_up_needs_trust_held_for_months_above() {
        let mut w = ready_to_step(0.0);
        assert_eq!(step(&mut w).0, 2);
        assert_eq!(w.pairs[0].months_above, 1.0, "the counter grows while trust holds");
        let mut w = ready_to_step(w.params.months_above - 1.0);
        let (stage, log) = step(&mut w);
        assert_eq!(stage, 3);
        assert!(log.iter().any(|f| f.what == Happening::Stage(0, 2, 3, Cause::StepUp)));
    }

    #[test]
    fn the_gatekeepers_consent_is_a_hard_gate() {
        let mut w = ready_to_step(100.0);
        w.views[1].issue = 0.0;
        w.pairs[0].values_distance = 1.0;
        let mut s = Scratch::default();
        prepare(&w, &mut s);
        threat::perceive(&w, &mut s);
        assert!(consent(&w, &s, 0) < 0.0);
        assert_eq!(step(&mut w).0, 2);
    }

    #[test]
    fn the_stronger_side_holds_the_gate_unless_set() {
        let mut w = two_states();
        w.capability = vec![0.2, 0.9];
        assert_eq!(gatekeeper(&w, 0), 1);
        w.pairs[0].gatekeeper = Some(0);
        assert_eq!(gatekeeper(&w, 0), 0);
    }
}
