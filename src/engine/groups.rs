//! Submodel "groups": armed-group strength and attacks.
//!
//! Strength grows logistically by recruitment, plus hardliner defection from
//! the parent movement when it moderates or deals with the group's enemies,
//! and shrinks by attrition from enemies' counter-terrorism effort (reach x
//! capability x hostility of the action chosen toward the group), multiplied
//! by (1 + mu) when two enemies cooperate at rung 3 or above. Attacks are
//! Poisson(a0 S^eta) a month, on targets drawn from the group's weights.

use rand::Rng;

use super::{Happening, Recorder, Scratch};
use crate::model::{PairMode, World};

/// Most attacks one group can make in a month; bounds the Poisson loop.
const MAX_ATTACKS: u32 = 200;

/// Draws and applies this month's attacks of every group.
pub fn attack(world: &mut World, t: u32, rng: &mut impl Rng, s: &mut Scratch, rec: &mut Recorder) {
    for g in 0..world.groups.len() {
        let group = &world.groups[g];
        let rate = if group.strength > 0.0 {
            group.attack_rate * group.strength.powf(group.attack_exponent)
        } else {
            0.0
        };
        let count = poisson(rng, rate);
        let total: f64 = group.targets.iter().sum();
        for _ in 0..count {
            let u: f64 = rng.random();
            let group = &world.groups[g];
            let Some(target) = pick(&group.targets, u * total) else { break };
            let (by, severity) = (group.actor, group.attack_severity);
            apply_attack(world, s, by, target, severity, t, rec);
        }
    }
}

fn pick(weights: &[f64], mut x: f64) -> Option<usize> {
    let mut last = None;
    for (k, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            last = Some(k);
            x -= w;
            if x < 0.0 {
                return Some(k);
            }
        }
    }
    last
}

/// Knuth's method; rates here are a few per month at most.
fn poisson(rng: &mut impl Rng, rate: f64) -> u32 {
    if rate <= 0.0 {
        return 0;
    }
    let limit = (-rate.min(50.0)).exp();
    let mut product: f64 = rng.random();
    let mut k = 0;
    while product > limit && k < MAX_ATTACKS {
        product *= rng.random::<f64>();
        k += 1;
    }
    k
}

/// An attack by `by` on `on`: memory, this month's action, a state's direct
/// attack sends their simulated pair to rung 0, and the victim's hardliners gain.
pub fn apply_attack(
    world: &mut World,
    s: &mut Scratch,
    by: usize,
    on: usize,
    severity: f64,
    t: u32,
    rec: &mut Recorder,
) {
    let n = world.n();
    world.views[on * n + by].attack_memory += severity;
    s.attacked[by * n + on] = true;
    s.signal[on] -= 1.0;
    if let Some(k) = world.groups.iter().position(|g| g.actor == by) {
        s.groups[k].attacks += 1;
    } else if !world.is_group(on) {
        let p = world.pair_index(by, on);
        let pair = &mut world.pairs[p];
        if pair.mode == PairMode::Simulated && pair.stage > 0 {
            let from = pair.stage;
            pair.stage = 0;
            pair.months_at_stage = 0.0;
            pair.months_above = 0.0;
            rec.note(t, Happening::Stage(p, from, 0, super::Cause::Attack));
        }
    }
    rec.note(t, Happening::Attack(by, on));
}

/// Updates every group's strength for one month.
pub fn grow(world: &mut World, s: &mut Scratch) {
    let n = world.n();
    let p = &world.params;
    for (k, group) in world.groups.iter().enumerate() {
        let x = group.strength;
        let recruit =
            if group.capacity > 0.0 { group.recruitment * x * (1.0 - x / group.capacity) } else { 0.0 };
        let mut defect = 0.0;
        if let Some(parent) = group.parent {
            defect +=
                p.defection_moderation * (s.pragmatism[parent] - group.parent_pragmatism_start).max(0.0);
            for e in 0..n {
                if e != parent && group.targets[e] > 0.0 && !world.is_group(e) {
                    let stage = world.pairs[world.pair_index(parent, e)].stage as f64;
                    defect += p.defection_dealing * (stage - 2.0).max(0.0);
                }
            }
        }
        let mut effort = 0.0;
        for e in 0..n {
            if e == group.actor || world.is_group(e) {
                continue;
            }
            let v = &world.views[e * n + group.actor];
            let hostility = (-v.action).max(0.0);
            if hostility > 0.0 {
                let allied = (0..n).any(|f| {
                    f != e
                        && f != group.actor
                        && !world.is_group(f)
                        && group.targets[f] > 0.0
                        && world.pairs[world.pair_index(e, f)].stage >= 3
                });
                let multiplier = if allied { 1.0 + p.cooperation_multiplier } else { 1.0 };
                effort += v.reach * world.capability[e] * hostility * multiplier;
            }
        }
        let attrition = p.attrition * x * effort;
        let next = (x + recruit + defect - attrition).max(0.0);
        s.groups[k].peak_strength = s.groups[k].peak_strength.max(next);
        s.groups[k].final_strength = next;
    }
    for (group, out) in world.groups.iter_mut().zip(&s.groups) {
        group.strength = out.final_strength;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn poisson_mean_matches_rate() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let n = 20_000;
        let total: u32 = (0..n).map(|_| poisson(&mut rng, 1.5)).sum();
        let mean = total as f64 / n as f64;
        assert!((mean - 1.5).abs() < 0.05, "{mean}");
    }

    #[test]
    fn pick_follows_weights_and_skips_zeros() {
        let w = [0.0, 1.0, 0.0, 3.0];
        assert_eq!(pick(&w, 0.5), Some(1));
        assert_eq!(pick(&w, 1.5), Some(3));
        assert_eq!(pick(&w, 3.99), Some(3));
        assert_eq!(pick(&[0.0, 0.0], 0.1), None);
    }
}

#[cfg(test)]
mod growth_tests {
    use super::*;
    use crate::engine::testworld::states_and_group;

    fn grown(allied: bool) -> f64 {
        let mut w = states_and_group(0.5);
        let n = w.n();
        w.views[2].action = -0.6;
        w.views[n + 2].action = 0.0;
        w.pairs[0].stage = if allied { 3 } else { 2 };
        let mut s = Scratch::default();
        crate::engine::prepare(&w, &mut s);
        crate::engine::threat::perceive(&w, &mut s);
        grow(&mut w, &mut s);
        w.groups[0].strength
    }

    #[test]
    fn recruitment_minus_attrition_by_hand() {
        let p = crate::model::Params::default();
        // Recruit 0.1 * 0.5 * (1 - 0.5); effort = reach 0.5 * capability 1 * hostility 0.6.
        let expected = 0.5 + 0.025 - p.attrition * 0.5 * 0.3;
        assert!((grown(false) - expected).abs() < 1e-12);
    }

    #[test]
    fn cooperating_enemies_multiply_attrition() {
        let p = crate::model::Params::default();
        let expected = 0.5 + 0.025 - p.attrition * 0.5 * 0.3 * (1.0 + p.cooperation_multiplier);
        assert!((grown(true) - expected).abs() < 1e-12);
    }
}
