//! Submodel "trust": trust learns from surprise.
//!
//! Surprise s = x_ji - n(S) is what j did against what the current rung makes
//! normal:
//! `T_ij += a_up max(s, 0)(1 - T) - a_dn max(-s, 0) T + delta (tau0 + tau_s S - T) + spill`.
//! Learning from the raw action
//! level instead would make routine sanctions erode trust to zero and lock a
//! dyad at war. Also keeps the moving averages of good and bad surprise (the
//! betrayal signal) and of hostility received.

use super::Scratch;
use crate::model::{PairMode, World};

/// Updates trust, surprise and hostility memories after this month's actions.
pub fn update(world: &mut World, s: &Scratch) {
    let n = world.n();
    let hr = world.params.hostility_rate;
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let pair = &world.pairs[world.pair_index(i, j)];
            let groups = world.is_group(i) || world.is_group(j);
            if pair.mode == PairMode::Scripted && !groups {
                continue;
            }
            let ij = i * n + j;
            let received = (-world.views[j * n + i].action).max(0.0);
            let v = &mut world.views[ij];
            v.hostility_received += hr * (received - v.hostility_received);
            if !groups {
                let stage = pair.stage;
                learn(world, s, i, j, stage);
            }
        }
    }
}

/// Trust and surprise update of i about j in a simulated pair at `stage`.
fn learn(world: &mut World, s: &Scratch, i: usize, j: usize, stage: u8) {
    let n = world.n();
    let p = &world.params;
    let surprise = world.views[j * n + i].action - world.ladder.rungs[stage as usize].norm;
    let spill = p.spillover * spillover_signal(world, s, i, j);
    let baseline = p.baseline + p.baseline_per_stage * stage as f64;
    let (up, down, decay, rate) = (p.learn_up, p.learn_down, p.decay, p.surprise_rate);
    let v = &mut world.views[i * n + j];
    let t = v.trust;
    let mut dt =
        up * surprise.max(0.0) * (1.0 - t) - down * (-surprise).max(0.0) * t + decay * (baseline - t);
    // Scaling by the room left keeps spill-over inside [0, 1].
    dt += if spill > 0.0 { spill * (1.0 - t) } else { spill * t };
    v.trust = (t + dt).clamp(0.0, 1.0);
    v.good_surprise += rate * (surprise.max(0.0) - v.good_surprise);
    v.bad_surprise += rate * ((-surprise).max(0.0) - v.bad_surprise);
}

/// How much j acted against those i sees as hostile this month, weighted by
/// i's hostility toward them: positive when j hits i's enemies, negative when
/// j helps them. Normalised by total hostility (at least 1) so that one enemy
/// counts fully and many do not add up without bound.
pub fn spillover_signal(world: &World, s: &Scratch, i: usize, j: usize) -> f64 {
    let n = world.n();
    let (mut sum, mut weight) = (0.0, 0.0);
    for k in 0..n {
        if k != i && k != j {
            let h = s.hostility[i * n + k];
            sum += h * (-world.views[j * n + k].action);
            weight += h;
        }
    }
    sum / weight.max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testworld::two_states;

    fn one_step(trust: f64, partner_action: f64, stage: u8) -> f64 {
        let mut w = two_states();
        for p in &mut w.pairs {
            p.stage = stage;
        }
        let (ab, ba) = (w.view_index(0, 1), w.view_index(1, 0));
        w.views[ab].trust = trust;
        w.views[ba].action = partner_action;
        let mut s = Scratch::default();
        crate::engine::prepare(&w, &mut s);
        crate::engine::threat::perceive(&w, &mut s);
        update(&mut w, &s);
        w.views[ab].trust
    }

    #[test]
    fn good_surprise_builds_trust_slowly_and_bad_surprise_destroys_it_fast() {
        let p = crate::model::Params::default();
        // Stage 2 norm is -0.2; talk (0.2) is a surprise of +0.4.
        let up = one_step(0.3, 0.2, 2) - 0.3;
        let expected_up = p.learn_up * 0.4 * 0.7 + p.decay * (p.baseline + 2.0 * p.baseline_per_stage - 0.3);
        assert!((up - expected_up).abs() < 1e-12, "{up} vs {expected_up}");
        // Coerce (-0.6) is a surprise of -0.4.
        let down = one_step(0.3, -0.6, 2) - 0.3;
        let expected_down =
            -p.learn_down * 0.4 * 0.3 + p.decay * (p.baseline + 2.0 * p.baseline_per_stage - 0.3);
        assert!((down - expected_down).abs() < 1e-12, "{down} vs {expected_down}");
        assert!(down.abs() > up.abs());
    }

    #[test]
    fn routine_hostility_at_war_is_no_surprise() {
        // At rung 0 the norm is -0.6: coercion there confirms expectations.
        let t = one_step(0.2, -0.6, 0);
        let p = crate::model::Params::default();
        assert!((t - (0.2 + p.decay * (p.baseline - 0.2))).abs() < 1e-12);
    }
}
