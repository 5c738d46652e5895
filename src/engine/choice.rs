//! Submodel "choice": bounded-rational choice over the ordered repertoire.
//!
//! For each ordered pair (i, j) where i decides, the drive toward
//! cooperation is m = r B + w_bal beta + rho (C - N) - w_sec gamma theta (1 - T),
//! with B the benefits of cooperation (shared threat, economy, legitimacy,
//! shared issue), r = omega + (1 - omega) T the expected reciprocation and
//! beta the balance term. Utility is
//! `U(a) = x_a m - K max(x_a, 0) + chi K lev max(-x_a, 0) - kappa x_a^2 - k_att share_j [a = attack on a state]`:
//! the values cost K makes cooperation costly at home, and a stronger side
//! (power advantage lev) gains from coercing a partner whose values it
//! rejects. P(a) is a softmax of lambda U. Armed groups do not choose;
//! scripted pairs act at their rung's norm; an actor that does not exist
//! this month holds.

use rand::Rng;

use super::{Rule, Scratch, ACTION_LEVELS, ATTACK, HOLD};
use crate::model::ladder::N_GOODS;
use crate::model::world::{BALANCE, ECONOMY, LEGITIMACY, SECURITY, VALUES};
use crate::model::{World, MAX_RUNGS};

/// Shared threat sigma_ij = (1 - h_ij) max_k min(theta_ik, theta_jk): a max,
/// not a sum, so it does not grow with the number of actors, and damped by
/// j's own hostility so nobody courts the common enemy itself.
pub fn shared_threat(world: &World, s: &Scratch, i: usize, j: usize) -> f64 {
    let n = world.n();
    let mut best: f64 = 0.0;
    for k in 0..n {
        if k != i && k != j {
            best = best.max(s.threat[i * n + k].min(s.threat[j * n + k]));
        }
    }
    (1.0 - s.hostility[i * n + j]) * best
}

/// Balance beta_ij = -(1 - h_ij) sum_k theta_ik (T_jk - h_jk): positive when
/// j stands against those who threaten i.
pub fn balance(world: &World, s: &Scratch, i: usize, j: usize) -> f64 {
    let n = world.n();
    let mut sum = 0.0;
    for k in 0..n {
        if k != i && k != j {
            sum += s.threat[i * n + k] * (world.views[j * n + k].trust - s.hostility[j * n + k]);
        }
    }
    -(1.0 - s.hostility[i * n + j]) * sum
}

/// Goal-weighted benefits to i of engaging j, in the ladder's goods order
/// (shared threat, shared issue, economy, legitimacy, balance).
pub fn benefits(world: &World, s: &Scratch, i: usize, j: usize) -> [f64; N_GOODS] {
    let v = &world.views[i * world.n() + j];
    let w = &s.goals[i];
    let rs = world.params.reform_stake;
    // A partner's reform raises one's economic stake; commerce that has not
    // grown yet counts only by the floor.
    let floor = world.params.ties_floor;
    let ties = floor + (1.0 - floor) * world.pairs[world.pair_index(i, j)].ties;
    let economy = v.economy * ((1.0 - rs) + rs * s.pragmatism[j]) * (1.0 - world.outside_option[i]) * ties;
    [
        // Security: the threat both face from third parties, and the threat j
        // itself poses, which engagement (ceasefires, monitoring, arms
        // control) lowers if it is reciprocated.
        w[SECURITY] * (shared_threat(world, s, i, j) + s.threat[i * world.n() + j]),
        w[LEGITIMACY] * v.issue,
        w[ECONOMY] * economy,
        w[LEGITIMACY] * v.legitimacy,
        w[BALANCE] * balance(world, s, i, j),
    ]
}

/// Values cost K_ij = w_val (d_ij + g_ij) (1 - p_i): what engaging j costs
/// i at home, from the values distance i sees in j and the pair's war grievance.
pub fn values_cost(world: &World, s: &Scratch, i: usize, j: usize) -> f64 {
    let grievance = world.pairs[world.pair_index(i, j)].grievance;
    let d = world.views[i * world.n() + j].values_distance;
    s.goals[i][VALUES] * (d + grievance) * (1.0 - s.pragmatism[i])
}

/// Expected reciprocation r = omega + (1 - omega) T, with T i's trust in j
/// or, if higher, the guarantee a trusted mediator offers ([`guarantee`]).
pub fn reciprocation(world: &World, i: usize, j: usize) -> f64 {
    let omega = world.params.reciprocity_floor;
    omega + (1.0 - omega) * effective_trust(world, i, j)
}

/// i's trust in j, raised to the guarantee of a mediator if that is higher.
pub fn effective_trust(world: &World, i: usize, j: usize) -> f64 {
    world.views[i * world.n() + j].trust.max(guarantee(world, i, j))
}

/// What a third party can guarantee of a deal between i and j: the largest
/// mediation capacity of a present actor k, times the lesser of i's and j's
/// trust in k. A deal is only as safe as the guarantor both sides believe.
pub fn guarantee(world: &World, i: usize, j: usize) -> f64 {
    let n = world.n();
    let mut best: f64 = 0.0;
    for (k, &m) in world.mediation.iter().enumerate() {
        if m > 0.0 && k != i && k != j && world.present[k] {
            best = best.max(m * world.views[i * n + k].trust.min(world.views[j * n + k].trust));
        }
    }
    best
}

/// i's power advantage over j, (c_i - c_j) / (c_i + c_j) clipped to [0, 1]:
/// the leverage that makes coercion pay.
pub fn leverage(world: &World, i: usize, j: usize) -> f64 {
    let (ci, cj) = (world.capability[i], world.capability[j]);
    if ci + cj > 0.0 {
        ((ci - cj) / (ci + cj)).max(0.0)
    } else {
        0.0
    }
}

/// The extra cost for i of attacking j: `k_att` for a state of equal
/// capability, scaled by j's share of the pair's capability (x 2) and
/// divided by 1 + i's memory of attacks by j (striking back at an attacker
/// is self-defence, which costs less at home and abroad than a first
/// strike); nothing for an armed group.
pub fn attack_cost(world: &World, i: usize, j: usize) -> f64 {
    if world.is_group(j) {
        return 0.0;
    }
    let (ci, cj) = (world.capability[i], world.capability[j]);
    let share = if ci + cj > 0.0 { 2.0 * cj / (ci + cj) } else { 1.0 };
    world.params.attack_cost * share / (1.0 + world.views[i * world.n() + j].attack_memory)
}

/// Drive m_ij toward cooperation.
pub fn drive(world: &World, s: &Scratch, i: usize, j: usize) -> f64 {
    let p = &world.params;
    let n = world.n();
    let v = &world.views[i * n + j];
    let b = benefits(world, s, i, j);
    let direct: f64 = b[..N_GOODS - 1].iter().sum();
    reciprocation(world, i, j) * direct
        + b[N_GOODS - 1]
        + p.surprise_weight * (v.good_surprise - v.bad_surprise)
        - s.goals[i][SECURITY] * p.threat_weight * s.threat[i * n + j] * (1.0 - v.trust)
}

/// Utilities of the eight actions for i toward j.
pub fn utilities(world: &World, s: &Scratch, i: usize, j: usize) -> [f64; 8] {
    let p = &world.params;
    let m = drive(world, s, i, j);
    let k = values_cost(world, s, i, j);
    let coerce = p.coercion * k * leverage(world, i, j);
    let attack = attack_cost(world, i, j);
    let mut u = [0.0; 8];
    for (a, (ua, &x)) in u.iter_mut().zip(&ACTION_LEVELS).enumerate() {
        *ua = x * m - k * x.max(0.0) + coerce * (-x).max(0.0) - p.quadratic_cost * x * x;
        if a == ATTACK as usize {
            *ua -= attack;
        }
    }
    u
}

/// Samples an action index from the logit over `u` with one uniform draw.
pub fn sample(u: &[f64; 8], rationality: f64, draw: f64) -> u8 {
    let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut weights = [0.0; 8];
    let mut total = 0.0;
    for (w, &ua) in weights.iter_mut().zip(u) {
        // Subtracting the max keeps exp from overflowing at high rationality.
        *w = exact_exp(rationality * (ua - max));
        total += *w;
    }
    let mut target = draw * total;
    for (a, w) in weights.iter().enumerate() {
        target -= w;
        if target < 0.0 {
            return a as u8;
        }
    }
    7
}

/// exp(x), skipping the call where the result is known exactly: 1 at 0 (the
/// best action's weight) and 0 below the logarithm of the smallest
/// subnormal (about -745.13). Bit for bit the value of `f64::exp`.
#[inline]
fn exact_exp(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else if x < -746.0 {
        0.0
    } else {
        x.exp()
    }
}

/// Sets every actor's action toward every other for this month.
pub fn choose(world: &mut World, rng: &mut impl Rng, s: &Scratch) {
    let n = world.n();
    let stance = world.params.group_stance;
    let stance_action = nearest_action(stance);
    // Events can change rung norms, so the nearest actions are taken afresh
    // each month: one pass over the rungs, not one per scripted pair.
    let mut norm_action = [HOLD; MAX_RUNGS];
    for (a, rung) in norm_action.iter_mut().zip(&world.ladder.rungs) {
        *a = nearest_action(rung.norm);
    }
    for f in &s.fixed {
        let (level, index) = match f.rule {
            Rule::Hold => (0.0, HOLD),
            Rule::Group { .. } if s.attacked[f.view] => (ACTION_LEVELS[0], ATTACK),
            // A group does not stand against the state that hosts it.
            Rule::Group { host: true } => (0.0, HOLD),
            Rule::Group { host: false } => (stance, stance_action),
            Rule::Norm { pair } => {
                let stage = world.pairs[pair].stage as usize;
                (world.ladder.rungs[stage].norm, norm_action[stage])
            }
        };
        let v = &mut world.views[f.view];
        v.action = level;
        v.action_index = index;
    }
    for &(i, j) in &s.choosers {
        let u = utilities(world, s, i, j);
        // Draw even when an event forces the action, so staged attacks do not shift the stream.
        let drawn = sample(&u, world.params.rationality, rng.random());
        let a = if s.attacked[i * n + j] { ATTACK } else { drawn };
        let v = &mut world.views[i * n + j];
        v.action = ACTION_LEVELS[a as usize];
        v.action_index = a;
    }
}

fn nearest_action(level: f64) -> u8 {
    let mut best = 0;
    for (a, &x) in ACTION_LEVELS.iter().enumerate() {
        if (x - level).abs() < (ACTION_LEVELS[best] - level).abs() {
            best = a;
        }
    }
    best as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_economic_stake_counts_by_the_ties_above_the_floor() {
        let mut w = crate::engine::testworld::two_states();
        let ij = w.view_index(0, 1);
        w.views[ij].economy = 1.0;
        let mut s = Scratch::default();
        crate::engine::prepare(&w, &mut s);
        s.goals[0] = w.goals[0];
        s.pragmatism[1] = 0.5;
        let economy = |w: &World, s: &Scratch| benefits(w, s, 0, 1)[crate::model::ladder::ECONOMY_GOOD];
        // A floor of 1 counts the stake in full whatever the ties.
        w.params.ties_floor = 1.0;
        w.pairs[0].ties = 1.0;
        let full = economy(&w, &s);
        assert!(full > 0.0);
        w.pairs[0].ties = 0.0;
        assert_eq!(economy(&w, &s), full);
        w.params.ties_floor = 0.25;
        assert!((economy(&w, &s) - 0.25 * full).abs() < 1e-12);
        w.pairs[0].ties = 1.0;
        assert!((economy(&w, &s) - full).abs() < 1e-12);
    }

    #[test]
    fn sampling_follows_the_inverse_cdf() {
        let u = [0.0; 8];
        // Uniform weights: each action owns an eighth of [0, 1).
        assert_eq!(sample(&u, 1.0, 0.0), 0);
        assert_eq!(sample(&u, 1.0, 0.13), 1);
        assert_eq!(sample(&u, 1.0, 0.99), 7);
        let mut sharp = [0.0; 8];
        sharp[5] = 10.0;
        assert_eq!(sample(&sharp, 50.0, 0.5), 5);
    }

    #[test]
    fn softmax_survives_huge_utilities() {
        let mut u = [1e6; 8];
        u[2] = 2e6;
        assert_eq!(sample(&u, 100.0, 0.7), 2);
    }

    /// The logit as written in the model: every weight from `f64::exp`.
    fn sample_with_every_exp(u: &[f64; 8], rationality: f64, draw: f64) -> u8 {
        let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights = u.map(|ua| (rationality * (ua - max)).exp());
        let mut target = draw * weights.iter().sum::<f64>();
        for (a, w) in weights.iter().enumerate() {
            target -= w;
            if target < 0.0 {
                return a as u8;
            }
        }
        7
    }

    #[test]
    fn skipped_exponentials_are_the_exact_ones() {
        for x in [0.0, -0.0, -745.0, -745.13, -745.1332191019412, -745.2, -746.0, -746.5, -1e300] {
            assert_eq!(exact_exp(x).to_bits(), x.exp().to_bits(), "{x}");
        }
    }

    proptest::proptest! {
        #[test]
        fn skipped_exponentials_change_no_weight(x in -800.0f64..1.0) {
            proptest::prop_assert_eq!(exact_exp(x).to_bits(), x.exp().to_bits());
        }

        #[test]
        fn the_draw_is_that_of_every_exponential(
            u in proptest::array::uniform8(-50.0f64..50.0),
            ties in proptest::array::uniform8(0usize..8),
            rationality in proptest::prop_oneof![0.0f64..20.0, 20.0f64..200.0],
            draw in 0.0f64..1.0,
        ) {
            // Ties make several weights exactly 1; wide utilities at high
            // rationality push weights below the subnormal range.
            let mut u = u;
            for (a, &t) in ties.iter().enumerate().take(3) {
                u[a] = u[t];
            }
            proptest::prop_assert_eq!(sample(&u, rationality, draw), sample_with_every_exp(&u, rationality, draw));
        }
    }

    #[test]
    fn nearest_action_rounds_to_the_repertoire() {
        assert_eq!(nearest_action(-0.6), 1);
        assert_eq!(nearest_action(0.1), 3);
        assert_eq!(nearest_action(0.4), 5);
    }
}
