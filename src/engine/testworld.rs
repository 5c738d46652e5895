//! Small hand-built worlds for the mechanism tests.

use crate::model::world::N_GOALS;
use crate::model::{ActorInfo, ActorKind, Faction, Ladder, Pair, PairMode, Params, View, World};

/// Two states, equal capability, one simulated pair at rung 2, unit goals.
pub fn two_states() -> World {
    states(2)
}

/// `n` states, all pairs simulated at rung 2, each with one faction of pragmatism 0.5.
pub fn states(n: usize) -> World {
    let actors = (0..n)
        .map(|i| ActorInfo {
            id: format!("s{i}"),
            name: format!("State {i}"),
            kind: ActorKind::State,
            factions: i..i + 1,
        })
        .collect();
    let factions =
        (0..n).map(|_| Faction { id: "all".into(), pragmatism: 0.5, influence: 1.0, target: 1.0 }).collect();
    let mut pairs = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            pairs.push(Pair {
                a,
                b,
                mode: PairMode::Simulated,
                stage: 2,
                months_at_stage: 0.0,
                months_above: 0.0,
                values_distance: 0.0,
                grievance: 0.0,
                grievance_decay: 1.0,
                gatekeeper: None,
            });
        }
    }
    World {
        actors,
        capability: vec![1.0; n],
        outside_option: vec![0.0; n],
        goals: vec![[1.0; N_GOALS]; n],
        factions,
        views: vec![View::default(); n * n],
        pairs,
        groups: Vec::new(),
        ladder: Ladder::default(),
        params: Params::default(),
    }
}
