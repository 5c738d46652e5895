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
