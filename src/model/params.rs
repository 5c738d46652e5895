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
    rationality: "choice.rationality" = 6.0, [0.0, 100.0], "1/utility",
        "Logit sharpness lambda: how strongly choice follows utility; 0 is a coin toss over the eight actions.";
    quadratic_cost: "choice.quadratic_cost" = 0.6, [0.0, 10.0], "utility",
        "kappa in kappa*x^2: makes the ordered repertoire work as a scale, so extreme actions need strong drive.";
    attack_cost: "choice.attack_cost" = 3.0, [0.0, 100.0], "utility",
        "Extra cost of attacking a state (k_att); keeps war between states rare. Attacking an armed group costs nothing extra.";
    reciprocity_floor: "choice.reciprocity_floor" = 0.35, [0.0, 1.0], "probability",
        "omega: expected reciprocation with zero trust. If benefits were weighted by trust alone nobody would start cooperating.";
    surprise_weight: "choice.surprise_weight" = 0.5, [0.0, 10.0], "utility",
        "rho: weight of recent good minus bad surprise in the drive (tit-for-tat memory).";
    threat_weight: "choice.threat_weight" = 1.0, [0.0, 10.0], "utility",
        "Weight of the direct threat from the partner, discounted by trust, that pushes toward hostile actions.";
    hostility_rate: "threat.hostility_rate" = 0.2, [0.0, 1.0], "1/month",
        "Rate of the moving average of hostility received that adds to perceived hostility.";
    attack_memory_decay: "threat.attack_memory_decay" = 0.85, [0.0, 1.0], "factor/month",
        "Monthly decay of the memory of attacks suffered; 0.85 halves it in about four months.";
    learn_up: "trust.learn_up" = 0.04, [0.0, 1.0], "1/month",
        "Trust gain per unit of good surprise (action above the rung's norm), scaled by the distance to full trust.";
    learn_down: "trust.learn_down" = 0.12, [0.0, 1.0], "1/month",
        "Trust loss per unit of bad surprise, scaled by current trust; three times learn_up: slow to build, quick to lose.";
    decay: "trust.decay" = 0.01, [0.0, 1.0], "1/month",
        "Monthly relaxation of trust toward its stage-dependent baseline.";
    baseline: "trust.baseline" = 0.02, [0.0, 1.0], "trust",
        "Trust baseline at rung 0.";
    baseline_per_stage: "trust.baseline_per_stage" = 0.04, [0.0, 0.2], "trust/rung",
        "Increase of the trust baseline per rung: institutions keep some trust alive. At 0.04 the baseline of every default rung stays below the next rung's threshold (institutions alone never carry a dyad up) but high enough that trust at rungs 5-6, whose norms are demanding, does not sag into a low-trust fall.";
    spillover: "trust.spillover" = 0.03, [0.0, 1.0], "1/month",
        "Balance spill-over: j acting against those i sees as enemies raises i's trust in j; j helping them lowers it.";
    surprise_rate: "trust.surprise_rate" = 0.15, [0.0, 1.0], "1/month",
        "Rate of the moving averages of good and bad surprise (the betrayal signal).";
    months_above: "ladder.months_above" = 12.0, [0.0, 600.0], "months",
        "d_up: months trust both ways must hold above the next rung's threshold before a step up.";
    hysteresis: "ladder.hysteresis" = 0.10, [0.0, 1.0], "trust",
        "A trust-based fall needs trust below the rung's threshold minus this margin (prevents flicker).";
    betrayal_threshold: "ladder.betrayal_threshold" = 0.33, [0.0, 2.0], "action level",
        "Moving average of bad surprise above which a side counts as betrayed: the dyad drops one rung.";
    drop_cooldown: "ladder.drop_cooldown_months" = 6.0, [0.0, 600.0], "months",
        "Minimum months at a rung before it can be lost to betrayal or low trust.";
    step_rate: "ladder.step_rate" = 0.08, [0.0, 1.0], "1/month",
        "pi: monthly hazard of a step up once every condition holds, at a large consent margin.";
    gate_sharpness: "ladder.gate_sharpness" = 4.0, [0.0, 100.0], "1/utility",
        "lambda_g: how fast the step-up hazard rises with the gatekeeper's consent margin.";
    consent_bias: "ladder.consent_bias" = 0.0, [-10.0, 10.0], "utility",
        "v0: constant added to the gatekeeper's consent value (institutional inertia when negative).";
    relax_rate: "factions.relax_rate" = 0.03, [0.0, 1.0], "1/month",
        "Rate at which faction influence relaxes toward its scenario target.";
    stage_up_shift: "factions.stage_up_shift" = 0.05, [0.0, 1.0], "influence",
        "Shift of influence toward more pragmatic factions after a step up (success rewards the engagers).";
    betrayal_shift: "factions.betrayal_shift" = 0.08, [0.0, 1.0], "influence",
        "Shift of influence toward less pragmatic factions after betrayal or attack.";
    influence_noise: "factions.influence_noise" = 0.01, [0.0, 1.0], "influence/month",
        "Half-width of the uniform monthly noise on faction influence.";
    reform_stake: "economy.reform_stake" = 0.6, [0.0, 1.0], "share",
        "Share of the economic gain that depends on the partner's pragmatism: a partner's reform raises one's stake.";
    group_stance: "groups.stance" = -0.6, [-1.0, 0.0], "action level",
        "Action level of an armed group toward every state in a month it does not attack.";
    cooperation_multiplier: "groups.cooperation_multiplier" = 1.0, [0.0, 100.0], "factor",
        "mu: attrition is multiplied by (1 + mu) when two enemies of the group cooperate at rung 3 or above.";
    attrition: "groups.attrition" = 0.08, [0.0, 10.0], "1/month",
        "Attrition per unit of reach x capability x hostility of the counter-terrorism action chosen.";
    defection_moderation: "groups.defection_moderation" = 0.02, [0.0, 10.0], "strength/month",
        "Recruits gained per month per unit rise of the parent movement's pragmatism above its start.";
    defection_dealing: "groups.defection_dealing" = 0.004, [0.0, 10.0], "strength/month",
        "Recruits gained per month per rung above 2 of the parent's relation with an enemy of the group.";
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
    fn slots_write_the_named_field() {
        let mut p = Params::default();
        *p.slot_mut(param_index("trust.learn_up").unwrap()) = 0.5;
        assert_eq!(p.learn_up, 0.5);
    }
}
