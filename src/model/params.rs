//! Mechanism parameters: every constant of the model, by name.
//!
//! Each parameter has a key (`trust.learn_up`), a default, a unit, a valid
//! range and a one-line meaning. A scenario, a variant, a sweep or a
//! calibration overrides one by its key path `params.<key>`. The table below
//! is the single source of truth: `detente params` prints it and
//! `docs/MODEL.md` is checked against it by a test.

/// Description of one mechanism parameter.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// Key below `params.`, e.g. `trust.learn_up`.
    pub key: &'static str,
    /// Built-in default.
    pub default: f64,
    /// Smallest valid value.
    pub min: f64,
    /// Largest valid value.
    pub max: f64,
    /// Unit, in words.
    pub unit: &'static str,
    /// What the parameter means and why its default is what it is.
    pub doc: &'static str,
}

macro_rules! define_params {
    ($( $field:ident : $key:literal = $default:expr, [$min:expr, $max:expr], $unit:literal, $doc:literal; )*) => {
        /// The values of all mechanism parameters for one run.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Params {
            $( #[doc = $doc] pub $field: f64, )*
        }

        impl Default for Params {
            fn default() -> Self {
                Params { $( $field: $default, )* }
            }
        }

        /// Every parameter, in documentation order.
        pub const PARAM_SPECS: &[ParamSpec] = &[
            $( ParamSpec { key: $key, default: $default, min: $min, max: $max, unit: $unit, doc: $doc }, )*
        ];

        impl Params {
            /// The storage slot of the parameter at `index` in [`PARAM_SPECS`].
            pub fn slot_mut(&mut self, index: usize) -> &mut f64 {
                let slots: [&mut f64; PARAM_SPECS.len()] = [ $( &mut self.$field, )* ];
                slots.into_iter().nth(index).expect("parameter index comes from PARAM_SPECS")
            }

            /// The value of the parameter at `index` in [`PARAM_SPECS`].
            pub fn get(&self, index: usize) -> f64 {
                let values = [ $( self.$field, )* ];
                values[index]
            }
        }
    };
}

define_params! {
    rationality: "choice.rationality" = 5.59, [0.0, 100.0], "1/utility",
        "Logit sharpness lambda: how strongly the monthly choice of action follows utility; 0 is a coin toss over the eight actions.";
    quadratic_cost: "choice.quadratic_cost" = 0.6, [0.0, 10.0], "utility",
        "kappa in kappa*x^2: makes the ordered repertoire work as a scale, so extreme actions need strong drive.";
    attack_cost: "choice.attack_cost" = 4.84, [0.0, 100.0], "utility",
        "Extra cost of attacking a state of equal capability (k_att), scaled by the target's share of the pair's capability: striking a much weaker state is cheaper. Attacking an armed group costs nothing extra.";
    reciprocity_floor: "choice.reciprocity_floor" = 0.254, [0.0, 1.0], "probability",
        "omega: expected reciprocation with zero trust. If benefits were weighted by trust alone nobody would start cooperating.";
    goal_spread: "choice.goal_spread" = 0.283, [0.0, 2.0], "log-units",
        "Spread of each actor's priorities between runs: at the start of every run each goal weight (of the actor and of each faction) is multiplied by exp(spread x z - spread^2 / 2), z standard normal, a mean-preserving draw. The goal weights a scenario codes are typical values set by judgement; how much a government cares about values or the economy in a given future is uncertain, and the runs carry that uncertainty.";
    surprise_weight: "choice.surprise_weight" = 0.409, [0.0, 10.0], "utility",
        "rho: weight of the partner's recent cooperative minus hostile acts in the drive (tit-for-tat memory).";
    threat_weight: "choice.threat_weight" = 0.346, [0.0, 10.0], "utility",
        "Weight of the direct threat from the partner, discounted by trust, that pushes toward hostile actions.";
    coercion: "choice.coercion" = 1.94, [0.0, 10.0], "utility",
        "chi: how much of its values cost toward a weaker partner an actor gains from hostile acts (sanctions, condemnation) in proportion to its power advantage: the strong coerce the weak over values.";
    hostility_rate: "threat.hostility_rate" = 0.2, [0.0, 1.0], "1/month",
        "Rate of the moving average of hostility received that adds to perceived hostility.";
    attack_memory_decay: "threat.attack_memory_decay" = 0.85, [0.0, 1.0], "factor/month",
        "Monthly decay of the memory of attacks suffered; 0.85 halves it in about four months.";
    hostility_fade: "threat.hostility_fade" = 0.0292, [0.0, 1.0], "1/month",
        "Monthly rate at which hostility added by events (provocations, tests, crises) in a simulated pair fades back to its lasting level (the scenario's, or the last one an event set); 0.029 is a half-life of about two years. Attention to a provocation fades unless it is renewed.";
    learn_up: "trust.learn_up" = 1.0, [0.0, 10.0], "evidence/act",
        "Weight of one unit of the partner's cooperation (an act above what the rung makes routine) as evidence that it reciprocates.";
    learn_down: "trust.learn_down" = 2.36, [0.0, 30.0], "evidence/act",
        "Weight of one unit of the partner's violation (an act below the rung's norm) as evidence that it does not; more than learn_up (the joint fit gives about 2.4 times): slow to build, quick to lose (the asymmetry principle of trust).";
    decay: "trust.decay" = 0.0596, [0.0, 1.0], "1/month",
        "Monthly forgetting of the evidence behind trust: the memory spans about 1/decay months, so old acts fade and new ones count more. Trust itself does not move without new evidence.";
    min_evidence: "trust.min_evidence" = 2.0, [0.1, 100.0], "months of acts",
        "Floor of the evidence mass: the weight of what an actor already believes, so one month of full-weight acts moves trust by at most about 1/(1 + min_evidence).";
    cheap_talk: "trust.cheap_talk" = 0.118, [0.0, 1.0], "action level",
        "Acts up to this much above what the rung makes routine (and above hold) are cheap talk and carry no evidence; only the part of an act beyond it counts as cooperation. Costly signals, not words, build trust (the level of talk is 0.2).";
    bad_faith: "trust.bad_faith" = 0.422, [0.0, 1.0], "share",
        "How far an enemy image discounts the partner's cooperation: cooperative evidence is weighted by 1 - bad_faith x the hostility perceived from the partner, while violations count in full (the inherent bad faith model of enemy images).";
    baseline: "trust.baseline" = 0.02, [0.0, 1.0], "trust",
        "Initial trust a scenario assumes at rung 0 when a listed view gives none.";
    baseline_per_stage: "trust.baseline_per_stage" = 0.04, [0.0, 0.2], "trust/rung",
        "Increase of that assumed initial trust per rung.";
    spillover: "trust.spillover" = 0.3, [0.0, 10.0], "evidence/act",
        "Weight of j acting against those i sees as hostile (or helping them) as evidence for (or against) i's trust in j.";
    surprise_rate: "trust.surprise_rate" = 0.15, [0.0, 1.0], "1/month",
        "Rate of the moving averages of the partner's cooperative and hostile acts (the tit-for-tat memory and the breach signal).";
    months_above: "ladder.months_above" = 9.06, [0.0, 600.0], "months",
        "Deliberation: consecutive months a higher rung must stay acceptable to every side whose consent is needed before a step can be taken, per unit of the target rung's values cost: a rung that asks more at home takes longer to ratify.";
    hysteresis: "ladder.hysteresis" = 0.00715, [0.0, 1.0], "trust",
        "A side leaves a rung for lack of trust only when its trust is below the rung's threshold minus this margin (prevents flicker).";
    low_trust_months: "ladder.low_trust_months" = 1.42, [1.0, 600.0], "months",
        "Consecutive months a side's trust must stay below the current rung's threshold (less the hysteresis) before the pair drops for lack of trust: confidence lost for one month of noisy acts does not undo a relation's commitments, a loss that lasts does. Months are counted whole, so 1 drops at the first such month and the fitted 1.42 at the second.";
    betrayal_threshold: "ladder.betrayal_threshold" = 0.536, [0.0, 2.0], "action level",
        "Breach: moving average of the partner's violations above which a side downgrades the relation by one rung.";
    drop_cooldown: "ladder.drop_cooldown_months" = 3.0, [0.0, 600.0], "months",
        "Minimum months at a rung before a side may downgrade it by decision, breach or lack of trust.";
    step_rate: "ladder.step_rate" = 0.319, [0.0, 1.0], "1/month",
        "pi_up: monthly hazard of a step up at a large consent margin, once every side whose consent is needed gains from it.";
    gate_sharpness: "ladder.gate_sharpness" = 4.65, [0.0, 100.0], "1/utility",
        "lambda_g: how fast the hazards of a step up and of a downgrade rise with the deciding sides' margin.";
    leap_discount: "ladder.leap_discount" = 0.912, [0.0, 1.0], "factor/rung",
        "rho: each rung a step takes beyond the next is one more issue to settle in the same deal, so the monthly hazard of a leap of k rungs is multiplied by rho^(k-1); 1 makes leaps as easy as single steps.";
    consent_bias: "ladder.consent_bias" = -0.0465, [-10.0, 10.0], "utility",
        "v0: constant added to each side's gain from a step up: institutional inertia, a status-quo bias, when negative. It is calibrated within [-0.5, 0]: institutions resist change, they do not seek it for its own sake.";
    exposure: "ladder.exposure" = 0.0213, [0.0, 10.0], "utility",
        "Exposure to defection: a side's cost of holding a rung rises by exposure x (1 - trust) per unit of the rung's values-cost multiplier, the sucker's payoff of a deal the partner may not keep. It is why a revealed breach of trust makes a rung not worth keeping, and why distrust slows every step up.";
    fall_rate: "ladder.fall_rate" = 0.455, [0.0, 1.0], "1/month",
        "pi_down: monthly hazard of a downgrade at a large margin, once a side gains more than the exit cost from a lower rung.";
    exit_cost: "ladder.exit_cost" = 0.762, [0.0, 10.0], "utility",
        "Cost a side pays for breaking the commitments of its current rung (audience and sunk costs); a downgrade needs a gain above it.";
    ties_rate: "ladder.ties_rate" = 0.0628, [0.0, 1.0], "1/month",
        "Rate at which a pair's economic ties grow toward (or shrink back to) the share of the ladder's economic goods its current rung delivers: commerce, investment and the business lobbies behind deeper economic rungs take years to form after a political opening; 0.063 is a half-life of about eleven months.";
    ties_floor: "ladder.ties_floor" = 0.82, [0.0, 1.0], "share",
        "Share of a side's economic benefits it counts before any ties exist: it values the economy good by ties_floor + (1 - ties_floor) x ties. 1 switches the lag off (benefits as coded); below 1, an economic rung is worth more once the commerce of the rungs below has grown.";
    war_cost: "ladder.war_cost" = 1.39, [0.0, 100.0], "utility",
        "Cost to each side of armed conflict against a partner of equal capability, scaled by the partner's share of the pair's capability; it makes a ceasefire worth consenting to.";
    relax_rate: "factions.relax_rate" = 0.03, [0.0, 1.0], "1/month",
        "Rate at which faction influence relaxes toward its scenario target.";
    stage_up_shift: "factions.stage_up_shift" = 0.05, [0.0, 1.0], "influence",
        "Shift of influence toward more pragmatic factions after a step up (success rewards the engagers).";
    betrayal_shift: "factions.betrayal_shift" = 0.08, [0.0, 1.0], "influence",
        "Shift of influence toward less pragmatic factions after a breach, a war or an attack suffered.";
    influence_noise: "factions.influence_noise" = 0.01, [0.0, 1.0], "influence/month",
        "Half-width of the uniform monthly noise on faction influence.";
    reform_stake: "economy.reform_stake" = 0.6, [0.0, 1.0], "share",
        "Share of the economic gain that depends on the partner's pragmatism: a partner's reform raises one's stake.";
    group_stance: "groups.stance" = -0.6, [-1.0, 0.0], "action level",
        "Action level of an armed group toward every state in a month it does not attack.";
    cooperation_multiplier: "groups.cooperation_multiplier" = 1.0, [0.0, 100.0], "factor",
        "mu: an actor's attrition of a group is multiplied by (1 + mu x reach) when it cooperates at rung 3 or above with a partner that is itself fighting the group (the partner's intelligence, weighted by the partner's reach).";
    attrition: "groups.attrition" = 0.08, [0.0, 10.0], "1/month",
        "Attrition per unit of reach x capability x hostility of the counter-terrorism action chosen.";
    defection_moderation: "groups.defection_moderation" = 0.02, [0.0, 10.0], "strength/month",
        "Recruits gained per month per unit rise of the parent movement's pragmatism above its start.";
    defection_dealing: "groups.defection_dealing" = 0.004, [0.0, 10.0], "strength/month",
        "Recruits gained per month per rung above 2 of the parent's relation with an enemy of the group.";
    complicity: "groups.complicity" = 0.5, [0.0, 10.0], "hostility/severity",
        "How much an attack by a group raises the victim's hostility toward the group's host, per unit of severity, when the host is not visibly fighting the group.";
}

/// The mechanism parameters a joint calibration on the reference class fits
/// by default, each with the range it explores: wide enough to hold every
/// value a modeller could defend for the mechanism, and inside the
/// parameter's valid range. The ladder's rungs, the goal weights and every
/// scenario input are not calibrated: they are coded by docs/CODEBOOK.md.
pub const CALIBRATED: &[(&str, f64, f64)] = &[
    ("choice.rationality", 2.0, 15.0),
    ("choice.reciprocity_floor", 0.1, 0.6),
    ("choice.coercion", 0.0, 2.0),
    ("choice.attack_cost", 0.5, 8.0),
    ("choice.threat_weight", 0.2, 3.0),
    ("choice.surprise_weight", 0.0, 2.0),
    ("choice.goal_spread", 0.0, 0.5),
    ("threat.hostility_fade", 0.002, 0.05),
    ("trust.learn_down", 1.0, 6.0),
    ("trust.decay", 0.005, 0.1),
    ("trust.min_evidence", 1.0, 40.0),
    ("trust.cheap_talk", 0.0, 0.4),
    ("trust.bad_faith", 0.0, 1.0),
    ("ladder.months_above", 0.0, 36.0),
    ("ladder.hysteresis", 0.0, 0.2),
    ("ladder.betrayal_threshold", 0.1, 1.0),
    ("ladder.step_rate", 0.02, 0.8),
    ("ladder.gate_sharpness", 0.5, 10.0),
    ("ladder.leap_discount", 0.05, 1.0),
    ("ladder.consent_bias", -0.5, 0.0),
    ("ladder.exposure", 0.0, 3.0),
    ("ladder.fall_rate", 0.02, 0.8),
    ("ladder.exit_cost", 0.0, 1.5),
    ("ladder.war_cost", 0.1, 3.0),
    ("ladder.ties_rate", 0.002, 0.1),
    ("ladder.ties_floor", 0.0, 1.0),
    ("ladder.low_trust_months", 1.0, 24.0),
];

/// The calibration range of the parameter `key`, if the joint fit calibrates it.
pub fn calibrated_range(key: &str) -> Option<(f64, f64)> {
    CALIBRATED.iter().find(|(k, _, _)| *k == key).map(|&(_, lo, hi)| (lo, hi))
}

/// Position of a parameter in [`PARAM_SPECS`], by key.
pub fn param_index(key: &str) -> Option<usize> {
    PARAM_SPECS.iter().position(|spec| spec.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_lie_in_their_ranges_and_keys_are_unique() {
        for (i, spec) in PARAM_SPECS.iter().enumerate() {
            assert!(spec.min <= spec.default && spec.default <= spec.max, "{}", spec.key);
            assert_eq!(param_index(spec.key), Some(i), "duplicate key {}", spec.key);
            assert_eq!(Params::default().get(i), spec.default);
        }
    }

    #[test]
    fn calibrated_ranges_lie_inside_the_valid_ranges_and_hold_the_default() {
        for &(key, lo, hi) in CALIBRATED {
            let spec = PARAM_SPECS[param_index(key).unwrap_or_else(|| panic!("unknown {key}"))];
            assert!(spec.min <= lo && lo < hi && hi <= spec.max, "{key}");
            assert!(lo <= spec.default && spec.default <= hi, "{key}: the default lies outside its prior");
        }
    }

    #[test]
    fn slots_write_the_named_field() {
        let mut p = Params::default();
        *p.slot_mut(param_index("trust.learn_up").unwrap()) = 0.5;
        assert_eq!(p.learn_up, 0.5);
    }
}
