//! Submodel "factions": who speaks for an actor.
//!
//! Each faction's influence relaxes toward its target (which events and
//! elections move), shifts toward the more pragmatic factions after a step
//! up and toward the less pragmatic after betrayal or attack (a replicator
//! step proportional to how far a faction's pragmatism is from the actor's),
//! and carries small uniform noise. Shares are renormalised to sum to 1.

use rand::Rng;

use super::Scratch;
use crate::model::World;

/// Smallest influence a faction keeps, so a faction can always come back.
const FLOOR: f64 = 1e-3;

/// Updates faction influence for one month.
pub fn update(world: &mut World, rng: &mut impl Rng, s: &Scratch) {
    let p = &world.params;
    let (relax, up, down, noise) = (p.relax_rate, p.stage_up_shift, p.betrayal_shift, p.influence_noise);
    for (i, actor) in world.actors.iter().enumerate() {
        let range = actor.factions.clone();
        if range.len() < 2 {
            continue;
        }
        let mean = s.pragmatism[i];
        let signal = s.signal[i];
        let shift = if signal > 0.0 { up * signal } else { down * signal };
        let mut total = 0.0;
        for f in &mut world.factions[range.clone()] {
            let u: f64 = rng.random();
            let q = f.influence
                + relax * (f.target - f.influence)
                + shift * f.influence * (f.pragmatism - mean)
                + noise * (2.0 * u - 1.0);
            f.influence = q.max(FLOOR);
            total += f.influence;
        }
        for f in &mut world.factions[range] {
            f.influence /= total;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testworld::two_states;
    use crate::model::Faction;
    use rand::SeedableRng;

    fn split_world() -> World {
        let mut w = two_states();
        w.factions = vec![
            Faction { id: "reformers".into(), pragmatism: 0.8, influence: 0.3, target: 0.6, goals: None },
            Faction { id: "conservatives".into(), pragmatism: 0.2, influence: 0.7, target: 0.4, goals: None },
            Faction { id: "all".into(), pragmatism: 0.5, influence: 1.0, target: 1.0, goals: None },
        ];
        w.actors[0].factions = 0..2;
        w.actors[1].factions = 2..3;
        w.params.influence_noise = 0.0;
        w.params.relax_rate = 0.1;
        w
    }

    fn update_with(signal: f64) -> (f64, f64) {
        let mut w = split_world();
        let mut s = Scratch::default();
        crate::engine::prepare(&w, &mut s);
        crate::engine::threat::perceive(&w, &mut s);
        s.signal[0] = signal;
        update(&mut w, &mut rand_chacha::ChaCha8Rng::seed_from_u64(1), &s);
        (w.factions[0].influence, w.factions[1].influence)
    }

    #[test]
    fn influence_relaxes_toward_its_target() {
        let (reformers, conservatives) = update_with(0.0);
        assert!((reformers - 0.33).abs() < 1e-12);
        assert!((conservatives - 0.67).abs() < 1e-12);
    }

    #[test]
    fn success_favours_the_pragmatic_and_betrayal_the_hardline() {
        let p = crate::model::Params::default();
        // Mean pragmatism 0.3 * 0.8 + 0.7 * 0.2 = 0.38.
        let up = 0.33 + p.stage_up_shift * 0.3 * (0.8 - 0.38);
        let down_other = 0.67 + p.stage_up_shift * 0.7 * (0.2 - 0.38);
        let (reformers, _) = update_with(1.0);
        assert!((reformers - up / (up + down_other)).abs() < 1e-12);
        let (after_betrayal, _) = update_with(-1.0);
        assert!(after_betrayal < 0.33 && reformers > 0.33);
    }
}
