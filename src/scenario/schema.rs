//! The scenario file format, as serde reads it.
//!
//! These raw structs mirror the TOML one to one. Every struct denies unknown
//! fields, so a typo is an error rather than a silent default. Numbers are not
//! checked here: `validate` checks ranges and references and reports every
//! problem with its place in the file. The format is documented in
//! `docs/SCENARIOS.md`; this file and that one change together.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A whole scenario file.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Metadata and clock.
    pub scenario: Option<RawMeta>,
    /// Run settings.
    #[serde(default)]
    pub run: RawRun,
    /// Relations not listed in `[[relations]]` take these values.
    #[serde(default)]
    pub defaults: RawDefaults,
    /// Actors.
    #[serde(default)]
    pub actors: Vec<RawActor>,
    /// Relations between pairs of actors.
    #[serde(default)]
    pub relations: Vec<RawRelation>,
    /// A full ladder replacing the default one.
    pub ladder: Option<Vec<RawRung>>,
    /// Mechanism parameter overrides: `[params.<section>] <name> = value`.
    #[serde(default)]
    pub params: BTreeMap<String, BTreeMap<String, f64>>,
    /// Dated events.
    #[serde(default)]
    pub events: Vec<RawEvent>,
    /// Stochastic processes.
    #[serde(default)]
    pub processes: Vec<RawProcess>,
    /// Elections on a calendar.
    #[serde(default)]
    pub elections: Vec<RawElection>,
    /// Named variants of the baseline.
    #[serde(default)]
    pub variants: Vec<RawVariant>,
    /// Settings of `detente calibrate`.
    pub calibration: Option<RawCalibration>,
    /// Settings of `detente sweep`, `sensitivity` and `discover`.
    pub sweep: Option<RawSweep>,
}

/// `[sweep]`: the experimental design `detente sweep` (and `sensitivity`,
/// `discover`) runs over named key paths unless the command line says otherwise.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    /// `factorial`, `zip`, `lhs`, `sobol` or `morris`.
    pub design: Option<String>,
    /// Base sample size: LHS points, Saltelli base rows, Morris trajectories.
    pub points: Option<u64>,
    /// Levels per range (factorial) or grid levels (Morris).
    pub levels: Option<u64>,
    /// Replications per design point.
    pub replications: Option<u64>,
    /// Common random numbers across points (default true).
    pub crn: Option<bool>,
    /// Ranges: key path = [low, high].
    #[serde(default)]
    pub parameters: BTreeMap<String, Vec<f64>>,
    /// Value lists: key path = [a, b, c, ...].
    #[serde(default)]
    pub values: BTreeMap<String, Vec<f64>>,
}

/// `[calibration]`: what `detente calibrate` fits, to what, and how hard it tries.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawCalibration {
    /// Reference history CSV, relative to the scenario file.
    pub reference: Option<String>,
    /// Tracked dyad compared, `a-b`.
    pub dyad: Option<String>,
    /// Several (dyad, reference) histories of one scenario, each a case of its own.
    #[serde(default)]
    pub histories: Vec<RawHistory>,
    /// Last month the histories cover: the cases run to here, not to `[scenario] end`.
    pub until: Option<String>,
    /// `calendar` or `origin`.
    pub align: Option<String>,
    /// Reference date month 0 stands for, with `align = "origin"`.
    pub origin: Option<String>,
    /// `rejection` or `smc`.
    pub method: Option<String>,
    /// Replications per candidate.
    pub replications: Option<u64>,
    /// Accepted particles (population size).
    pub particles: Option<u64>,
    /// SMC rounds after the first.
    pub rounds: Option<u64>,
    /// Proposals evaluated in each SMC round after the first.
    pub proposals: Option<u64>,
    /// Budget of candidate evaluations.
    pub max_evaluations: Option<u64>,
    /// Months added to a censored timing error.
    pub censor_penalty_months: Option<f64>,
    /// Uniform priors: key path = [low, high].
    #[serde(default)]
    pub priors: BTreeMap<String, Vec<f64>>,
}

/// `[[calibration.histories]]`: one tracked dyad and the history it is held against.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawHistory {
    /// Tracked dyad, `a-b`.
    pub dyad: String,
    /// Reference history CSV, relative to the scenario file.
    pub reference: String,
}

/// `[scenario]`: what this is and when it runs.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    /// Short machine-friendly name; enters run seeds and output rows.
    pub name: Option<String>,
    /// One paragraph for the analyst.
    #[serde(default)]
    pub description: String,
    /// First month, `YYYY-MM`.
    pub start: Option<String>,
    /// Last month simulated, `YYYY-MM`.
    pub end: Option<String>,
    /// Dyads whose paths are written to the outputs, as `[a, b]` pairs of ids.
    #[serde(default)]
    pub tracked: Vec<Vec<String>>,
    /// Calendar cut-offs at which stage probabilities are reported: years
    /// (`2030`) or dates (`"2030-06-30"`).
    pub report_years: Option<Vec<RawBy>>,
}

/// One entry of `report_years`: a calendar year as a number, or a month or
/// date as a string (checked in `build`).
#[derive(Debug, Clone, PartialEq)]
pub enum RawBy {
    /// A whole number.
    Year(i64),
    /// Text: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    Text(String),
}

impl<'de> Deserialize<'de> for RawBy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawBy, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = RawBy;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a calendar year (2030) or a date (\"2030-06-30\")")
            }
            fn visit_i64<E>(self, v: i64) -> Result<RawBy, E> {
                Ok(RawBy::Year(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<RawBy, E> {
                Ok(RawBy::Year(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E>(self, v: &str) -> Result<RawBy, E> {
                Ok(RawBy::Text(v.to_string()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// `[run]`: default batch settings.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    /// Replications per variant.
    pub replications: Option<u64>,
    /// Master seed.
    pub seed: Option<u64>,
}

/// `[defaults]`: values for pairs not listed in `[[relations]]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    /// Stage of unlisted state pairs.
    pub stage: Option<i64>,
    /// Trust both ways of unlisted state pairs.
    pub trust: Option<f64>,
    /// Hostility both ways of unlisted state pairs.
    pub hostility: Option<f64>,
    /// Hostility of states toward armed groups and back, where not listed.
    pub group_hostility: Option<f64>,
    /// Counter-terrorism reach of states against armed groups, where not listed.
    pub reach: Option<f64>,
}

/// `[[actors]]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawActor {
    /// Unique id used in key paths: lowercase letters, digits, underscores.
    pub id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// `state`, `regime` or `armed_group`.
    pub kind: Option<String>,
    /// Relative power.
    pub capability: Option<f64>,
    /// Patron's aid lowering the value of economic gains (0..1).
    pub outside_option: Option<f64>,
    /// Pragmatism of an actor without factions.
    pub pragmatism: Option<f64>,
    /// First month the actor exists, `YYYY-MM` (default: the start).
    pub from: Option<String>,
    /// Last month the actor exists, `YYYY-MM` (default: the end).
    pub until: Option<String>,
    /// Mediation capacity (0..1): how far it can guarantee a deal between two parties that trust it.
    pub mediation: Option<f64>,
    /// Goal weights.
    #[serde(default)]
    pub goals: RawGoals,
    /// Factions.
    #[serde(default)]
    pub factions: Vec<RawFaction>,
    /// Armed-group settings (only for `kind = "armed_group"`).
    pub group: Option<RawGroup>,
}

/// `[actors.goals]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawGoals {
    /// Weight of security.
    pub security: Option<f64>,
    /// Weight of economic gain.
    pub economy: Option<f64>,
    /// Weight of legitimacy and recognition.
    pub legitimacy: Option<f64>,
    /// Weight of values (the domestic cost of engaging a distant partner).
    pub values: Option<f64>,
    /// Weight of regional balance.
    pub balance: Option<f64>,
}

/// `[[actors.factions]]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawFaction {
    /// Id, unique within the actor.
    pub id: Option<String>,
    /// Pragmatism (0..1).
    pub pragmatism: Option<f64>,
    /// Initial influence share (shares of an actor sum to 1).
    pub influence: Option<f64>,
    /// Target share (defaults to the initial influence).
    pub target: Option<f64>,
    /// The faction's own goal weights, if they differ from the actor's.
    pub goals: Option<RawGoals>,
}

/// `[actors.group]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    /// Initial strength index.
    pub strength: Option<f64>,
    /// Carrying capacity.
    pub capacity: Option<f64>,
    /// Monthly recruitment rate.
    pub recruitment: Option<f64>,
    /// Threat per unit strength.
    pub lethality: Option<f64>,
    /// Attacks per month at strength 1.
    pub attack_rate: Option<f64>,
    /// Exponent of strength in the attack rate.
    pub attack_exponent: Option<f64>,
    /// Severity per attack.
    pub attack_severity: Option<f64>,
    /// Parent movement (actor id) that loses hardliners to the group.
    pub parent: Option<String>,
    /// Actor from whose territory the group operates (blamed for its attacks).
    pub host: Option<String>,
    /// Target weights by actor id.
    #[serde(default)]
    pub targets: BTreeMap<String, f64>,
}

/// `[[relations]]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawRelation {
    /// The two actor ids.
    pub pair: Option<Vec<String>>,
    /// `simulated` (default) or `scripted`.
    pub mode: Option<String>,
    /// Initial stage.
    pub stage: Option<i64>,
    /// Months already spent at the initial stage.
    pub months_at_stage: Option<f64>,
    /// Lasting values distance (0..1), both sides' unless a view gives its own.
    pub values_distance: Option<f64>,
    /// War grievance added to the values distance.
    pub grievance: Option<f64>,
    /// Half-life of the grievance in years.
    pub grievance_half_life_years: Option<f64>,
    /// The only actor whose consent a step up needs (kept for older files; see `consent`).
    pub gatekeeper: Option<String>,
    /// Actors whose consent a step up needs (default: both).
    pub consent: Option<Vec<String>>,
    /// How each side sees the other, keyed by actor id.
    #[serde(default)]
    pub views: BTreeMap<String, RawView>,
}

/// `[relations.views.<id>]`: how that actor sees the other.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawView {
    /// Trust (0..1).
    pub trust: Option<f64>,
    /// Baseline hostility (0..1).
    pub hostility: Option<f64>,
    /// Economic gain expected from engagement.
    pub economy: Option<f64>,
    /// Legitimacy gained from the other's engagement.
    pub legitimacy: Option<f64>,
    /// Value of a shared issue.
    pub issue: Option<f64>,
    /// Counter-terrorism reach against an armed group (0..1).
    pub reach: Option<f64>,
    /// Memory of attacks suffered from the other at the start.
    pub attack_memory: Option<f64>,
    /// Values distance this side sees in the other (default: the relation's).
    pub values_distance: Option<f64>,
}

/// `[[ladder]]`: one rung of a replacement ladder.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawRung {
    /// Name.
    pub name: Option<String>,
    /// Trust threshold to step onto it.
    pub threshold: Option<f64>,
    /// Norm action level.
    pub norm: Option<f64>,
    /// Minimum months at this rung before stepping up.
    pub min_stay_months: Option<f64>,
    /// Values-cost multiplier of stepping onto it.
    pub values_cost: Option<f64>,
    /// Goods it delivers.
    #[serde(default)]
    pub goods: RawGoods,
}

/// `[ladder.goods]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawGoods {
    /// Weight of the shared-threat benefit.
    pub shared_threat: Option<f64>,
    /// Weight of the shared-issue benefit.
    pub shared_issue: Option<f64>,
    /// Weight of the economic benefit.
    pub economy: Option<f64>,
    /// Weight of the legitimacy benefit.
    pub legitimacy: Option<f64>,
    /// Weight of the balance benefit.
    pub balance: Option<f64>,
}

/// `[[events]]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    /// Month it fires, `YYYY-MM` (or `YYYY-MM-DD`, truncated to the month);
    /// with `when`, the first month it may fire.
    pub date: Option<String>,
    /// A condition, `<key path> <op> <number>`: the event fires once, in the
    /// first month (from `date`, until `until`) at whose start it holds.
    pub when: Option<String>,
    /// With `when`: the last month it may fire.
    pub until: Option<String>,
    /// Name shown in event logs.
    pub name: Option<String>,
    /// Where the fact comes from.
    pub source: Option<String>,
    /// Values set, by key path.
    #[serde(default)]
    pub set: BTreeMap<String, f64>,
    /// Values added, by key path.
    #[serde(default)]
    pub add: BTreeMap<String, f64>,
    /// Spread `add` evenly over this many months.
    pub ramp_months: Option<i64>,
    /// Attacks staged by the event.
    #[serde(default)]
    pub attacks: Vec<RawAttack>,
}

/// An attack staged by an event.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawAttack {
    /// Attacker id.
    pub by: Option<String>,
    /// Target id.
    pub on: Option<String>,
    /// Severity added to the target's attack memory.
    pub severity: Option<f64>,
}

/// `[[processes]]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawProcess {
    /// Name shown in event logs.
    pub name: Option<String>,
    /// First month of the window (default: the start).
    pub from: Option<String>,
    /// Last month of the window (default: the end).
    pub until: Option<String>,
    /// Expected occurrences per year.
    pub rate_per_year: Option<f64>,
    /// Values set when it fires.
    #[serde(default)]
    pub set: BTreeMap<String, f64>,
    /// Values added when it fires.
    #[serde(default)]
    pub add: BTreeMap<String, f64>,
}

/// `[[elections]]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawElection {
    /// Name shown in event logs.
    pub name: Option<String>,
    /// Actor holding it.
    pub actor: Option<String>,
    /// First election month.
    pub first: Option<String>,
    /// Months between elections.
    pub every_months: Option<i64>,
    /// Influence range drawn for each faction, `faction = [low, high]`.
    #[serde(default)]
    pub influence: BTreeMap<String, Vec<f64>>,
}

/// `[[variants]]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawVariant {
    /// Name, unique in the file.
    pub name: Option<String>,
    /// What the variant assumes, for the analyst.
    #[serde(default)]
    pub description: String,
    /// Initial values overridden, by key path.
    #[serde(default)]
    pub set: BTreeMap<String, f64>,
    /// Extra dated events.
    #[serde(default)]
    pub events: Vec<RawEvent>,
    /// Extra stochastic processes.
    #[serde(default)]
    pub processes: Vec<RawProcess>,
}
