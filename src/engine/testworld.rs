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
            from: 0,
            until: u32::MAX,
        })
        .collect();
    let factions = (0..n)
        .map(|_| Faction { id: "all".into(), pragmatism: 0.5, influence: 1.0, target: 1.0, goals: None })
        .collect();
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
                months_distrusted: 0.0,
                grievance: 0.0,
                grievance_decay: 1.0,
                fought_last_month: false,
                ties: 0.0,
            });
        }
    }
    World {
        actors,
        capability: vec![1.0; n],
        outside_option: vec![0.0; n],
        goals: vec![[1.0; N_GOALS]; n],
        mediation: vec![0.0; n],
        present: vec![true; n],
        mode_version: 0,
        factions,
        views: vec![View { consent: true, ..View::default() }; n * n],
        pairs,
        groups: Vec::new(),
        ladder: Ladder::default(),
        params: Params::default(),
    }
}

/// Two states and one armed group (index 2) targeting both, with the given strength.
pub fn states_and_group(strength: f64) -> World {
    let mut w = states(3);
    w.actors[2].kind = ActorKind::ArmedGroup;
    w.actors[2].id = "g".into();
    for (i, j) in [(0, 2), (1, 2)] {
        let p = w.pair_index(i, j);
        w.pairs[p].mode = PairMode::Scripted;
        w.pairs[p].stage = 0;
        let n = w.n();
        w.views[i * n + j].hostility = 1.0;
        w.views[i * n + j].reach = 0.5;
        w.views[j * n + i].hostility = 1.0;
    }
    w.groups.push(crate::model::Group {
        actor: 2,
        strength,
        capacity: 1.0,
        recruitment: 0.1,
        lethality: 1.0,
        attack_rate: 0.0,
        attack_exponent: 1.0,
        attack_severity: 1.0,
        parent: None,
        parent_pragmatism_start: 0.5,
        host: None,
        targets: vec![1.0, 1.0, 0.0],
    });
    w
}
