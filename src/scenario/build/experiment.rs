//! The experiment tables of a scenario file: `[calibration]` (reference,
//! priors, method and budget) and `[sweep]` (ranges, value lists, design).
//! They configure commands, not the world, so every setting stays optional
//! here and the commands fill in their defaults.

use super::{Problems, BIG};
use crate::model::{resolve_prior, resolve_values, World};
use crate::scenario::diagnostic::KeyPath;
use crate::scenario::schema::*;
use crate::scenario::{CalibrationConfig, SweepConfig};

pub(super) fn build_calibration(
    c: &RawCalibration,
    world: &World,
    at: &KeyPath,
    p: &mut Problems,
) -> CalibrationConfig {
    let mut priors = Vec::new();
    for (key, bounds) in &c.priors {
        match resolve_prior(world, key, bounds) {
            Ok(prior) => priors.push(prior),
            Err(e) => p.add(at.key("priors").key(key), e),
        }
    }
    for (key, value, allowed) in
        [("align", &c.align, ["calendar", "origin"]), ("method", &c.method, ["rejection", "smc"])]
    {
        if let Some(v) = value.as_deref().filter(|v| !allowed.contains(v)) {
            p.add(at.key(key), format!("expected \"{}\" or \"{}\", got {v:?}", allowed[0], allowed[1]));
        }
    }
    if let Some(o) = &c.origin {
        if let Err(e) = crate::calendar::Date::parse(o) {
            p.add(at.key("origin"), e);
        }
    }
    let until = c.until.as_deref().and_then(|u| match crate::calendar::YearMonth::parse(u) {
        Ok(m) => Some(m),
        Err(e) => {
            p.add(at.key("until"), e);
            None
        }
    });
    if !c.histories.is_empty() && (c.reference.is_some() || c.dyad.is_some()) {
        p.add(
            at.key("histories"),
            "expected either `reference` and `dyad` or `[[calibration.histories]]`, not both",
        );
    }
    for (key, value) in [
        ("replications", c.replications),
        ("particles", c.particles),
        ("proposals", c.proposals),
        ("max_evaluations", c.max_evaluations),
    ] {
        if value == Some(0) {
            p.add(at.key(key), "expected at least 1");
        } else if key != "max_evaluations" && value.is_some_and(|v| v > crate::model::MAX_COUNT) {
            p.add(at.key(key), format!("expected at most {}", crate::model::MAX_COUNT));
        }
    }
    CalibrationConfig {
        reference: c.reference.clone(),
        dyad: c.dyad.clone(),
        histories: c.histories.iter().map(|h| (h.dyad.clone(), h.reference.clone())).collect(),
        until,
        align: c.align.clone(),
        origin: c.origin.clone(),
        method: c.method.clone(),
        replications: c.replications,
        particles: c.particles,
        rounds: c.rounds,
        proposals: c.proposals,
        max_evaluations: c.max_evaluations,
        censor_penalty_months: c
            .censor_penalty_months
            // The stand-in 0 is never used: a rejected value rejects the file.
            .map(|v| p.num(at.key("censor_penalty_months"), Some(v), 0.0, 0.0, BIG)),
        priors,
    }
}

/// Design names `[sweep].design` accepts.
pub const SWEEP_DESIGNS: [&str; 5] = ["factorial", "zip", "lhs", "sobol", "morris"];

pub(super) fn build_sweep(c: &RawSweep, world: &World, at: &KeyPath, p: &mut Problems) -> SweepConfig {
    let mut ranges = Vec::new();
    for (key, bounds) in &c.parameters {
        match resolve_prior(world, key, bounds) {
            Ok(prior) => ranges.push(prior),
            Err(e) => p.add(at.key("parameters").key(key), e),
        }
    }
    let mut values = Vec::new();
    for (key, list) in &c.values {
        let here = at.key("values").key(key);
        if c.parameters.contains_key(key) {
            p.add(
                here,
                "this key path is also given a range in [sweep].parameters; give it one or the other",
            );
            continue;
        }
        match resolve_values(world, key, list) {
            Ok(field) => values.push((key.clone(), field, list.clone())),
            Err(e) => p.add(here, e),
        }
    }
    if let Some(d) = c.design.as_deref().filter(|d| !SWEEP_DESIGNS.contains(d)) {
        p.add(at.key("design"), format!("expected one of {}, got {d:?}", SWEEP_DESIGNS.join(", ")));
    }
    for (key, value, min) in
        [("points", c.points, 1), ("levels", c.levels, 2), ("replications", c.replications, 1)]
    {
        if value.is_some_and(|v| v < min) {
            p.add(at.key(key), format!("expected at least {min}"));
        } else if value.is_some_and(|v| v > crate::model::MAX_COUNT) {
            p.add(at.key(key), format!("expected at most {}", crate::model::MAX_COUNT));
        }
    }
    SweepConfig {
        design: c.design.clone(),
        points: c.points,
        levels: c.levels,
        replications: c.replications,
        crn: c.crn,
        ranges,
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{build, problems};

    #[test]
    fn calibration_settings_stay_optional_and_priors_are_resolved() {
        let s = build(
            r#"
[calibration]
reference = "history.csv"
method = "rejection"
priors = { "params.ladder.step_rate" = [0.04, 0.16] }
"#,
        )
        .unwrap();
        let c = s.calibration.unwrap();
        assert_eq!((c.reference.as_deref(), c.method.as_deref()), (Some("history.csv"), Some("rejection")));
        assert_eq!((c.replications, c.censor_penalty_months), (None, None));
        assert_eq!(c.priors[0].key, "params.ladder.step_rate");
        assert_eq!((c.priors[0].low, c.priors[0].high), (0.04, 0.16));
    }

    #[test]
    fn calibration_values_are_checked() {
        let p = problems(
            "[calibration]\nmethod = \"grid\"\nparticles = 0\npriors = { \"params.ladder.step_rate\" = [0.2, 0.1] }\n",
        );
        assert!(p.iter().any(|m| m.starts_with("calibration.method")), "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("calibration.particles")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("low < high")), "{p:?}");
    }

    #[test]
    fn a_sweep_holds_ranges_and_value_lists() {
        let s = build(
            r#"
[sweep]
design = "sobol"
points = 8
parameters = { "actors.raiders.group.strength" = [0.1, 0.9] }
values = { "actors.north.capability" = [0.5, 1.0] }
"#,
        )
        .unwrap();
        let w = s.sweep.unwrap();
        assert_eq!((w.design.as_deref(), w.points, w.replications), (Some("sobol"), Some(8), None));
        assert_eq!(w.ranges[0].key, "actors.raiders.group.strength");
        assert_eq!(w.values[0].2, [0.5, 1.0]);
    }

    #[test]
    fn a_key_is_swept_one_way_and_the_design_is_known() {
        let p = problems(
            r#"
[sweep]
design = "grid"
levels = 1
parameters = { "actors.north.capability" = [0.1, 0.9] }
values = { "actors.north.capability" = [0.5] }
"#,
        );
        assert!(p.iter().any(|m| m.starts_with("sweep.design") && m.contains("factorial")), "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("sweep.levels")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("give it one or the other")), "{p:?}");
    }
}
