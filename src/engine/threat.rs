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

/// End-of-month decay of attack memories and war grievances, and the fading
/// of added hostility in simulated pairs.
pub fn decay(world: &mut World) {
    let keep = world.params.attack_memory_decay;
    let fade = world.params.hostility_fade;
    for v in &mut world.views {
        v.attack_memory *= keep;
    }
    let n = world.n();
    for p in &mut world.pairs {
        p.grievance *= p.grievance_decay;
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
}
