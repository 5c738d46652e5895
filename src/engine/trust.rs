//! Submodel "trust": trust is learned from evidence of reciprocation.
//!
//! i's trust in j is i's estimate of the share of j's informative acts
//! toward i that are cooperative: a recency-weighted Bayesian mean. Each
//! month, j's act toward i is compared with what the current rung makes
//! routine: the part of an act beyond both the rung's norm and `hold`, less
//! a cheap-talk margin, is cooperative evidence (costly signals, not words,
//! build trust); an act below the norm is a violation. Holding still, talk
//! within the cheap-talk margin, and acts the rung makes routine carry no
//! evidence, so trust never grows
//! from inaction. With `E` the evidence mass behind the current trust `T`,
//! cooperative evidence `p` (weighted by `learn_up`) and violations `q`
//! (weighted by `learn_down`, three times as much: slow to build, quick to
//! lose):
//! `T' = (E T + p) / (E + p + q)`, `E' = (1 - decay) (E + p + q)`, `E >= min_evidence`.
//! j acting against those i sees as hostile counts as cooperation too
//! (spill-over). The more hostile i perceives j, the less i believes j's
//! cooperation: `p` is discounted by (1 - bad_faith x h_ij). Also keeps the moving averages of cooperation and violation
//! (the tit-for-tat memory and the breach signal) and of hostility received.

use super::{PairKind, Scratch};
use crate::model::{Params, View, World};

/// Updates trust, surprise and hostility memories after this month's actions.
pub fn update(world: &mut World, s: &Scratch) {
    let n = world.n();
    let hr = world.params.hostility_rate;
    for i in 0..n {
        for j in 0..n {
            let ij = i * n + j;
            let kind = s.kinds[ij];
            if !matches!(kind, PairKind::SimulatedStates | PairKind::WithGroup) {
                continue;
            }
            let received = (-world.views[j * n + i].action).max(0.0);
            let v = &mut world.views[ij];
            v.hostility_received += hr * (received - v.hostility_received);
            if kind == PairKind::SimulatedStates {
                let stage = world.pairs[world.pair_index(i, j)].stage;
                learn(world, s, i, j, stage);
            }
        }
    }
}

/// Cooperative evidence and violation in j's act `x` toward i at a rung
/// with norm `norm`: cooperation is the part of the act beyond the norm (or
/// hold, whichever is higher) plus the cheap-talk margin; violation is how
/// far the act falls below the norm.
pub fn evidence(x: f64, norm: f64, cheap_talk: f64) -> (f64, f64) {
    ((x - norm.max(0.0) - cheap_talk).max(0.0), (norm - x).max(0.0))
}

/// Trust and surprise update of i about j in a simulated pair at `stage`.
fn learn(world: &mut World, s: &Scratch, i: usize, j: usize, stage: u8) {
    let n = world.n();
    let p = &world.params;
    let (mut coop, mut violation) =
        evidence(world.views[j * n + i].action, world.ladder.rungs[stage as usize].norm, p.cheap_talk);
    let spill = p.spillover * spillover_signal(world, s, i, j);
    coop += spill.max(0.0);
    violation += (-spill).max(0.0);
    // An enemy image discounts the enemy's cooperation as a ruse and takes
    // its hostility at face value (the inherent bad faith model).
    let believed = 1.0 - p.bad_faith * s.hostility[i * n + j];
    let (plus, minus) = (p.learn_up * coop * believed, p.learn_down * violation);
    let rate = p.surprise_rate;
    let v = &mut world.views[i * n + j];
    absorb(v, plus, minus, p);
    v.good_surprise += rate * (coop - v.good_surprise);
    v.bad_surprise += rate * (violation - v.bad_surprise);
}

/// One month's evidence, already weighted: `plus` for, `minus` against the
/// partner's reciprocation. The Bayesian update of trust, then the
/// forgetting of the evidence mass.
pub fn absorb(v: &mut View, plus: f64, minus: f64, p: &Params) {
    let mass = v.evidence.max(p.min_evidence);
    if plus + minus > 0.0 {
        v.trust = ((mass * v.trust + plus) / (mass + plus + minus)).clamp(0.0, 1.0);
    }
    v.evidence = (1.0 - p.decay) * (mass + plus + minus);
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

    /// One month of learning: 0's trust in 1 after 1 acts at `partner_action`.
    fn one_step(trust: f64, evidence_mass: f64, partner_action: f64, stage: u8) -> (f64, f64) {
        let mut w = two_states();
        for p in &mut w.pairs {
            p.stage = stage;
        }
        let (ab, ba) = (w.view_index(0, 1), w.view_index(1, 0));
        w.views[ab].trust = trust;
        w.views[ab].evidence = evidence_mass;
        w.views[ba].action = partner_action;
        let mut s = Scratch::default();
        crate::engine::prepare(&w, &mut s);
        crate::engine::threat::perceive(&w, &mut s);
        update(&mut w, &s);
        (w.views[ab].trust, w.views[ab].evidence)
    }

    #[test]
    fn cooperation_builds_trust_as_a_bayesian_mean_and_violation_destroys_it_faster() {
        let p = crate::model::Params::default();
        // Rung 2 (norm -0.2): cooperate (0.6) is 0.6 - 0.2 (cheap talk) = 0.4 of cooperative evidence.
        let (up, mass) = one_step(0.3, 5.0, 0.6, 2);
        let plus = p.learn_up * (0.6 - p.cheap_talk);
        assert!((up - (5.0 * 0.3 + plus) / (5.0 + plus)).abs() < 1e-12, "{up}");
        assert!((mass - (1.0 - p.decay) * (5.0 + plus)).abs() < 1e-12);
        // Coerce (-0.6) is 0.4 of violation, weighted learn_down.
        let (down, _) = one_step(0.3, 5.0, -0.6, 2);
        let minus = p.learn_down * 0.4;
        assert!((down - 5.0 * 0.3 / (5.0 + minus)).abs() < 1e-12, "{down}");
        // From an even belief, a month of coercion undoes more than a month of cooperation builds.
        let (up, _) = one_step(0.5, 5.0, 0.6, 2);
        let (down, _) = one_step(0.5, 5.0, -0.6, 2);
        assert!(0.5 - down > up - 0.5, "{down} {up}");
    }

    #[test]
    fn holding_still_and_routine_acts_carry_no_evidence() {
        // Hold, or an act no further beyond the norm than the cheap-talk margin, at rung 2;
        // coercion at war; cooperation that rung 7 (norm 0.4) makes routine: trust stays.
        let talk = crate::model::Params::default().cheap_talk;
        for (action, stage) in [(0.0, 2), (talk, 2), (-0.6, 0), (0.4 + talk, 7)] {
            let (t, _) = one_step(0.2, 5.0, action, stage);
            assert_eq!(t, 0.2, "action {action} at rung {stage}");
        }
    }

    #[test]
    fn the_evidence_mass_never_falls_below_its_floor() {
        let p = crate::model::Params::default();
        let (t, mass) = one_step(0.5, 0.0, 0.6, 2);
        // An empty memory counts as min_evidence months of belief.
        let plus = p.learn_up * (0.6 - p.cheap_talk);
        assert!((t - (p.min_evidence * 0.5 + plus) / (p.min_evidence + plus)).abs() < 1e-12);
        assert!(mass >= (1.0 - p.decay) * p.min_evidence);
    }
}
