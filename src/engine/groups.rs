//! Submodel "groups": armed-group strength and attacks.
//!
//! Strength grows logistically by recruitment, plus hardliner defection from
//! the parent movement when it moderates or deals with the group's enemies,
//! and shrinks by attrition from enemies' counter-terrorism effort (reach x
//! capability x hostility of the action chosen toward the group), multiplied
//! by (1 + mu x reach) when the fighter cooperates at rung 3 or above with a
//! partner that is itself fighting the group. Attacks are Poisson(a0 S^eta)
//! a month, on targets drawn from the group's weights; a victim blames the
//! group's host in proportion to how little the host visibly fights it.

use rand::Rng;

use super::{Happening, Recorder, Scratch};
use crate::model::World;

/// Most attacks one group can make in a month; bounds the Poisson loop.
const MAX_ATTACKS: u32 = 200;

/// Draws and applies this month's attacks of every group.
pub fn attack(world: &mut World, t: u32, rng: &mut impl Rng, s: &mut Scratch, rec: &mut Recorder) {
    for g in 0..world.groups.len() {
        let group = &world.groups[g];
        if !world.present[group.actor] {
            continue;
        }
        // No attack rate, no attacks: skips the power, whose product with a
        // zero rate is zero for any finite strength.
        let rate = if group.strength > 0.0 && group.attack_rate != 0.0 {
            group.attack_rate * group.strength.powf(group.attack_exponent)
        } else {
            0.0
        };
        let count = poisson(rng, rate);
        let total: f64 = live_targets(group, &world.present).sum();
        for _ in 0..count {
            let u: f64 = rng.random();
            let group = &world.groups[g];
            let Some(target) = pick(&group.targets, &world.present, u * total) else { break };
            let (by, severity) = (group.actor, group.attack_severity);
            apply_attack(world, s, by, target, severity, t, rec);
        }
    }
}

/// Target weights of the actors that exist this month.
fn live_targets<'a>(group: &'a crate::model::Group, present: &'a [bool]) -> impl Iterator<Item = f64> + 'a {
    group.targets.iter().zip(present).map(|(&w, &here)| if here { w } else { 0.0 })
}

fn pick(weights: &[f64], present: &[bool], mut x: f64) -> Option<usize> {
    let mut last = None;
    for (k, &w) in weights.iter().enumerate() {
        if w > 0.0 && present[k] {
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

/// Severity of an attack a state chooses in the logit (staged attacks carry their own).
pub const CHOSEN_ATTACK_SEVERITY: f64 = 1.0;

/// An attack by `by` on `on`: the victim's memory, this month's action (the
/// attacker's action toward the victim is forced to attack where it chooses
/// by logit; the ladder turns an exchange into war), the victim's hardliners
/// gain, and a group's attack is blamed on its host.
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
        blame_host(world, k, on, severity);
    }
    rec.note(t, Happening::Attack(by, on));
}

/// The victim of a group's attack holds the group's host partly to account,
/// in proportion to `groups.complicity`, the attack's severity and how
/// little the host fought the group last month (its action toward the
/// group): the victim's hostility toward the host rises by that much (a
/// shock that fades, docs/MODEL.md §3.3.10), and it counts as a violation of
/// that size in the victim's trust in the host: a good neighbour does not
/// let its soil be used against you.
fn blame_host(world: &mut World, g: usize, on: usize, severity: f64) {
    let n = world.n();
    let group = &world.groups[g];
    let Some(host) = group.host.filter(|&h| h != on && world.present[h] && !world.is_group(on)) else {
        return;
    };
    let fought = (-world.views[host * n + group.actor].action).clamp(0.0, 1.0);
    let blame = world.params.complicity * severity * (1.0 - fought);
    let p = &world.params;
    let v = &mut world.views[on * n + host];
    v.hostility = (v.hostility + blame).min(1.0);
    super::trust::absorb(v, 0.0, p.learn_down * blame, p);
}

/// Leaves the traces of the attacks states chose this month on other states
/// (not those staged by events, already applied): the victim's memory and
/// faction signal, and the log.
pub fn mark_chosen_attacks(world: &mut World, t: u32, s: &mut Scratch, rec: &mut Recorder) {
    let n = world.n();
    for &(i, j) in &s.choosers {
        let ij = i * n + j;
        if world.views[ij].action_index == super::ATTACK && !s.attacked[ij] && !world.is_group(j) {
            world.views[j * n + i].attack_memory += CHOSEN_ATTACK_SEVERITY;
            s.signal[j] -= 1.0;
            rec.note(t, Happening::Attack(i, j));
        }
    }
}

/// Updates every group's strength for one month.
pub fn grow(world: &mut World, s: &mut Scratch) {
    let n = world.n();
    let p = &world.params;
    for (k, group) in world.groups.iter().enumerate() {
        if !world.present[group.actor] {
            continue;
        }
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
            if e == group.actor || world.is_group(e) || !world.present[e] {
                continue;
            }
            let v = &world.views[e * n + group.actor];
            let hostility = (-v.action).max(0.0);
            if hostility > 0.0 {
                let multiplier = 1.0 + p.cooperation_multiplier * intelligence(world, group.actor, e);
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

/// The intelligence fighter `e` gets on group `g` from its partners: the
/// largest reach toward the group of a partner that cooperates with `e` at
/// rung 3 or above and fights the group itself this month. The bonus belongs
/// to the pair that actually cooperates.
fn intelligence(world: &World, g: usize, e: usize) -> f64 {
    let n = world.n();
    let mut best: f64 = 0.0;
    for f in 0..n {
        if f == e || f == g || world.is_group(f) || !world.present[f] {
            continue;
        }
        let v = &world.views[f * n + g];
        if v.action < 0.0 && world.pairs[world.pair_index(e, f)].stage >= 3 {
            best = best.max(v.reach);
        }
    }
    best
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
        let here = [true; 4];
        assert_eq!(pick(&w, &here, 0.5), Some(1));
        assert_eq!(pick(&w, &here, 1.5), Some(3));
        assert_eq!(pick(&w, &here, 3.99), Some(3));
        assert_eq!(pick(&[0.0, 0.0], &here, 0.1), None);
        assert_eq!(pick(&w, &[true, false, true, true], 0.5), Some(3), "an absent target is never picked");
    }
}

#[cfg(test)]
mod growth_tests {
    use super::*;
    use crate::engine::testworld::states_and_group;

    /// Strength after one month: state 0 fights the group (coerce), state 1
    /// fights too if `both_fight`; the two states sit at `stage`.
    fn grown(stage: u8, both_fight: bool) -> f64 {
        let mut w = states_and_group(0.5);
        let n = w.n();
        w.views[2].action = -0.6;
        w.views[n + 2].action = if both_fight { -0.6 } else { 0.0 };
        w.pairs[0].stage = stage;
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
        assert!((grown(3, false) - expected).abs() < 1e-12, "a partner that does not fight shares nothing");
    }

    #[test]
    fn cooperating_fighters_multiply_attrition() {
        let p = crate::model::Params::default();
        let apart = 0.5 + 0.025 - p.attrition * 0.5 * 0.6;
        assert!((grown(2, true) - apart).abs() < 1e-12, "below rung 3 no intelligence is shared");
        // Each fighter's effort 0.3 is multiplied by 1 + mu x the partner's reach 0.5.
        let together = 0.5 + 0.025 - p.attrition * 0.5 * 0.6 * (1.0 + p.cooperation_multiplier * 0.5);
        assert!((grown(3, true) - together).abs() < 1e-12);
    }

    #[test]
    fn a_victim_blames_a_host_that_does_not_fight_the_group() {
        let mut w = states_and_group(0.5);
        w.groups[0].host = Some(1);
        let n = w.n();
        let mut s = Scratch::default();
        crate::engine::prepare(&w, &mut s);
        let mut rec = Recorder::new(false, false);
        w.views[1].trust = 0.5;
        let before = w.views[1].hostility;
        apply_attack(&mut w, &mut s, 2, 0, 1.0, 1, &mut rec);
        let blame = w.params.complicity;
        assert!((w.views[1].hostility - (before + blame).min(1.0)).abs() < 1e-12, "passive host: full blame");
        assert!(w.views[1].trust < 0.5, "and a violation of the victim's trust");
        let (h, t) = (w.views[1].hostility, w.views[1].trust);
        w.views[n + 2].action = -1.0;
        apply_attack(&mut w, &mut s, 2, 0, 1.0, 1, &mut rec);
        assert_eq!(
            (w.views[1].hostility, w.views[1].trust),
            (h, t),
            "a host fighting the group is not blamed"
        );
    }
}
