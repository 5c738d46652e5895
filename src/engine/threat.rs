//! Submodel "threat": perceived hostility and threat between actors.
//!
//! h_ij = clip(h0_ij + H_ij) where H is the moving average of hostility
//! received (scripted pairs use h0 alone). Also computes each actor's
//! pragmatism and the goal weights it decides by this month. theta_ij = h_ij x power x (1 + A_ij)
//! with power c_j / (c_i + c_j) for states and lethality x strength for armed
//! groups, so an armed group's threat does not vanish against a superpower.

use super::{PairKind, Scratch};
use crate::model::{PairMode, World};

/// Computes pragmatism, effective hostility and threat for this month.
pub fn perceive(world: &World, s: &mut Scratch) {
    let n = world.n();
    for i in 0..n {
        s.pragmatism[i] = world.pragmatism(i);
        s.goals[i] = world.effective_goals(i);
    }
    for i in 0..n {
        for j in 0..n {
            let ij = i * n + j;
            let v = &world.views[ij];
            let h = match s.kinds[ij] {
                // An actor that does not exist this month threatens nobody and is threatened by nobody.
                PairKind::Itself | PairKind::Absent => {
                    s.hostility[ij] = 0.0;
                    s.threat[ij] = 0.0;
                    continue;
                }
                PairKind::ScriptedStates => v.hostility,
                PairKind::SimulatedStates | PairKind::WithGroup => {
                    (v.hostility + v.hostility_received).clamp(0.0, 1.0)
                }
            };
            s.hostility[ij] = h;
            s.threat[ij] = h * power(world, s, i, j) * (1.0 + v.attack_memory);
        }
    }
}

/// j's power as seen by i.
fn power(world: &World, s: &Scratch, i: usize, j: usize) -> f64 {
    match s.group_slot[j] {
        Some(g) => world.groups[g].lethality * world.groups[g].strength,
        None => {
            let total = world.capability[i] + world.capability[j];
            if total > 0.0 {
                world.capability[j] / total
            } else {
                0.5
            }
        }
    }
}

/// End-of-month decay of attack memories and war grievances, the fading
/// of added hostility in simulated pairs, and the economic ties of every
/// pair following its rung.
pub fn decay(world: &mut World) {
    let keep = world.params.attack_memory_decay;
    let fade = world.params.hostility_fade;
    let ties_rate = world.params.ties_rate;
    let levels = world.ladder.ties_levels();
    for v in &mut world.views {
        v.attack_memory *= keep;
    }
    let n = world.n();
    for p in &mut world.pairs {
        p.grievance *= p.grievance_decay;
        p.ties += ties_rate * (levels[p.stage as usize] - p.ties);
        if p.mode == PairMode::Simulated {
            for k in [p.a * n + p.b, p.b * n + p.a] {
                let v = &mut world.views[k];
                v.hostility += fade * (v.hostility_base - v.hostility);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testworld::two_states;

    #[test]
    fn threat_is_hostility_times_relative_power() {
        let mut w = two_states();
        w.capability = vec![3.0, 1.0];
        let ij = w.view_index(0, 1);
        w.views[ij].hostility = 0.5;
        w.views[ij].attack_memory = 1.0;
        let mut s = Scratch::default();
        crate::engine::prepare(&w, &mut s);
        perceive(&w, &mut s);
        // h = 0.5, power = 1 / (3 + 1), memory factor 2.
        assert!((s.threat[ij] - 0.5 * 0.25 * 2.0).abs() < 1e-12);
    }

    #[test]
    fn economic_ties_follow_the_rung_at_their_rate() {
        let mut w = two_states();
        w.params.ties_rate = 0.1;
        w.pairs[0].stage = 6;
        w.pairs[0].ties = 0.2;
        let level = w.ladder.ties_levels()[6];
        decay(&mut w);
        assert!((w.pairs[0].ties - (0.2 + 0.1 * (level - 0.2))).abs() < 1e-12);
        // A fall leaves commerce to shrink as slowly.
        w.pairs[0].stage = 1;
        let before = w.pairs[0].ties;
        decay(&mut w);
        assert!((w.pairs[0].ties - 0.9 * before).abs() < 1e-12);
    }
}
