//! Turns a raw scenario into a validated [`Scenario`], collecting every problem.
//!
//! Each check records the key path of the value it rejects; the caller turns
//! paths into `file:line:col` positions. Building continues after a problem
//! with a harmless stand-in value, so one run reports everything at once.
//!
//! The work is split by concern: [`world`] builds the ladder, actors,
//! factions, armed groups, relations and tracked dyads; [`schedule`] the
//! dated events, processes and elections; [`experiment`] the `[calibration]`
//! and `[sweep]` tables. This file holds the entry point, the variants (a
//! world and a schedule each) and the limits on how large a file may expand.

mod experiment;
mod schedule;
mod world;

use std::collections::BTreeSet;

use super::diagnostic::KeyPath;
use super::schema::*;
use super::{Scenario, Variant};
use crate::calendar::{By, YearMonth};
use crate::model::params::{param_index, PARAM_SPECS};
use crate::model::{finish, Event, Op, Params, Schedule, Setup};

pub use experiment::SWEEP_DESIGNS;

/// Collected problems: key path and message.
#[derive(Default)]
pub struct Problems(pub Vec<(KeyPath, String)>);

impl Problems {
    pub(super) fn add(&mut self, at: KeyPath, message: impl Into<String>) {
        self.0.push((at, message.into()));
    }

    /// `value` if it is finite and within [min, max], else a problem and `fallback`.
    pub(super) fn num(&mut self, at: KeyPath, value: Option<f64>, default: f64, min: f64, max: f64) -> f64 {
        let Some(v) = value else { return default };
        if !v.is_finite() {
            self.add(at, format!("expected a finite number, got {v}"));
            default
        } else if v < min || v > max {
            self.add(at, format!("expected a number within [{min}, {max}], got {v}"));
            default
        } else {
            v
        }
    }

    pub(super) fn month(&mut self, at: KeyPath, text: Option<&str>) -> Option<YearMonth> {
        let text = text?;
        match YearMonth::parse(text) {
            Ok(m) => Some(m),
            Err(e) => {
                self.add(at, e);
                None
            }
        }
    }
}

pub(super) const BIG: f64 = 1e9;

/// Most values the baseline and all its variants may expand to in memory,
/// counted by [`expanded_size`]. Each variant is a full copy of the world, and
/// events, ramps and elections are unrolled month by month, so a few
/// kilobytes of repeated tables used to compile into gigabytes (an 8 KB file
/// of 500 `[[actors]]` and 250 `[[variants]]`: 8 GB and a minute). The
/// shipped scenarios use a few thousand.
pub(super) const MAX_EXPANDED: usize = 1 << 20;

/// What a setup holds in memory, in values: a view per ordered pair of
/// actors, each event month (and a word per 8 bytes of its name, which each
/// ramp month copies), each election month, each process.
fn expanded_size(setup: &Setup) -> usize {
    let n = setup.world.n();
    let s = &setup.schedule;
    n * n
        + s.events.iter().map(event_size).sum::<usize>()
        + s.elections.iter().map(|e| e.months.len()).sum::<usize>()
        + s.processes.len()
}

pub(super) fn event_size(e: &Event) -> usize {
    1 + e.name.len() / 8 + e.effects.len()
}

pub(super) fn too_big(what: &str) -> String {
    format!(
        "{what} would expand to more than {MAX_EXPANDED} values in memory (views between actors, \
         months of events, ramps and elections, once more for each variant); split the file"
    )
}

pub(super) fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

pub fn build(mut raw: RawScenario, p: &mut Problems) -> Option<Scenario> {
    let root = KeyPath::root();
    let meta_at = root.key("scenario");
    let meta = match raw.scenario.take() {
        Some(m) => m,
        None => {
            p.add(meta_at.clone(), "missing table [scenario] with name, start and end");
            RawMeta::default()
        }
    };
    let name = meta.name.clone().unwrap_or_default();
    if meta.name.is_none() && p.0.is_empty() {
        p.add(meta_at.key("name"), "missing key `name` (a short name such as \"afghanistan\")");
    } else if meta.name.is_some() && name.trim().is_empty() {
        p.add(meta_at.key("name"), "expected a non-empty name");
    }
    let start = p.month(meta_at.key("start"), meta.start.as_deref());
    let end = p.month(meta_at.key("end"), meta.end.as_deref());
    for (key, v) in [("start", &meta.start), ("end", &meta.end)] {
        if v.is_none() && raw_scenario_present(&meta_at, p) {
            p.add(meta_at.key(key), format!("missing key `{key}` (a month YYYY-MM)"));
        }
    }
    let horizon = match (start, end) {
        (Some(s), Some(e)) if e.months_since(s) >= 1 => Some(e.months_since(s) as u32),
        (Some(s), Some(e)) => {
            p.add(meta_at.key("end"), format!("expected a month after the start {s}, got {e}"));
            None
        }
        _ => None,
    };

    let ladder = world::build_ladder(raw.ladder.as_deref(), &root.key("ladder"), p);
    let mut params = Params::default();
    for (section, values) in &raw.params {
        for (k, v) in values {
            let at = root.key("params").key(section).key(k);
            let key = format!("{section}.{k}");
            match param_index(&key) {
                Some(idx) => {
                    let spec = PARAM_SPECS[idx];
                    *params.slot_mut(idx) = p.num(at, Some(*v), spec.default, spec.min, spec.max);
                }
                None => {
                    let hint = super::diagnostic::closest(&key, PARAM_SPECS.iter().map(|s| s.key))
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default();
                    p.add(at, format!("unknown parameter `{key}`{hint}; `detente params` lists them"));
                }
            }
        }
    }

    let mut world = world::build_world(&raw, ladder, params, p)?;
    let start = start?;
    let horizon = horizon?;
    let clock = Clock { start, horizon };
    world::build_windows(&raw, &mut world, clock, p);
    let tracked = world::build_tracked(&meta.tracked, &world, &meta_at.key("tracked"), p);
    let (events, conditional) = schedule::build_events(&raw.events, &world, clock, &root.key("events"), p);
    let schedule = Schedule {
        events,
        conditional,
        processes: schedule::build_processes(&raw.processes, &world, clock, &root.key("processes"), p),
        elections: schedule::build_elections(&raw.elections, &world, clock, &root.key("elections"), p),
    };
    let report_years =
        build_report_years(meta.report_years.as_deref(), start, &meta_at.key("report_years"), p);
    let run_at = root.key("run");
    let replications = raw.run.replications;
    if replications == Some(0) {
        p.add(run_at.key("replications"), "expected at least 1 replication");
    } else if replications.is_some_and(|n| n > crate::model::MAX_COUNT) {
        p.add(
            run_at.key("replications"),
            format!("expected at most {} replications", crate::model::MAX_COUNT),
        );
    }
    let mut base = Setup { world, schedule, start, horizon, tracked };
    finish(&mut base.world);
    let variants = build_variants(&raw.variants, &base, clock, &root.key("variants"), p);
    let calibration = raw
        .calibration
        .as_ref()
        .map(|c| experiment::build_calibration(c, &base.world, &root.key("calibration"), p));
    let sweep = raw.sweep.as_ref().map(|c| experiment::build_sweep(c, &base.world, &root.key("sweep"), p));
    Some(Scenario {
        calibration,
        sweep,
        name,
        description: meta.description,
        replications,
        seed: raw.run.seed.unwrap_or(1),
        report_years,
        base,
        variants,
        path: Default::default(),
        sha256: String::new(),
    })
}

/// The cut-offs of `report_years`: calendar years or dates; by default the
/// ends of the 5th, 10th and 20th calendar years after the start year.
/// Numbers below 1000 are years after the start, as they always were: the
/// month 12 × Y months after it (5 in a scenario starting 2021-09 is the
/// cut-off 2026-09).
fn build_report_years(raw: Option<&[RawBy]>, start: YearMonth, at: &KeyPath, p: &mut Problems) -> Vec<By> {
    let Some(raw) = raw else {
        return [5, 10, 20].iter().filter_map(|y| By::year(start.year() + y)).collect();
    };
    let mut out: Vec<By> = Vec::new();
    for (i, entry) in raw.iter().enumerate() {
        let by = match entry {
            RawBy::Year(y) if (1..1000).contains(y) => Ok(By::month(start.plus(12 * *y as i32))),
            RawBy::Year(y) => i32::try_from(*y).ok().and_then(By::year).ok_or_else(|| {
                format!(
                    "expected a calendar year (1000 to 9999), a number of years after the start (1 to 999) \
                     or a date \"YYYY-MM-DD\", got {y}"
                )
            }),
            RawBy::Text(t) => By::parse(t),
        };
        match by {
            Ok(b) if !out.contains(&b) => out.push(b),
            Ok(_) => {}
            Err(e) => p.add(at.index(i), e),
        }
    }
    out
}

fn raw_scenario_present(_at: &KeyPath, p: &Problems) -> bool {
    // A missing [scenario] table was already reported once; do not repeat per key.
    !p.0.iter().any(|(k, m)| k.0.len() == 1 && m.starts_with("missing table [scenario]"))
}

#[derive(Clone, Copy)]
pub(super) struct Clock {
    pub(super) start: YearMonth,
    pub(super) horizon: u32,
}

impl Clock {
    /// Month index of a date, which must lie within the horizon.
    pub(super) fn index(&self, at: KeyPath, text: Option<&str>, p: &mut Problems, what: &str) -> Option<u32> {
        let Some(text) = text else {
            p.add(at, format!("missing {what} (a month YYYY-MM)"));
            return None;
        };
        let m = p.month(at.clone(), Some(text))?;
        let k = m.months_since(self.start);
        if k < 0 || k > self.horizon as i32 {
            p.add(
                at,
                format!(
                    "{m} is outside the scenario's horizon {} to {}",
                    self.start,
                    self.start.plus(self.horizon as i32)
                ),
            );
            return None;
        }
        Some(k as u32)
    }
}

fn build_variants(
    raw: &[RawVariant],
    base: &Setup,
    clock: Clock,
    at: &KeyPath,
    p: &mut Problems,
) -> Vec<Variant> {
    let mut out = vec![Variant {
        name: "baseline".into(),
        description: "The scenario as written, without overrides.".into(),
        overrides: Vec::new(),
        setup: base.clone(),
    }];
    let mut names = BTreeSet::from(["baseline".to_string()]);
    let base_size = expanded_size(base);
    let mut total = base_size;
    for (k, v) in raw.iter().enumerate() {
        let at = at.index(k);
        // Checked before the copy is made, so memory stays within the budget.
        total = total.saturating_add(base_size);
        if total > MAX_EXPANDED {
            p.add(at, too_big("the baseline and its variants"));
            break;
        }
        let name = v.name.clone().unwrap_or_default();
        if v.name.is_none() {
            p.add(at.clone(), "missing key `name`");
        } else if !valid_id(&name) {
            p.add(
                at.key("name"),
                format!("expected a name of lowercase letters, digits and underscores, got {name:?}"),
            );
        } else if !names.insert(name.clone()) {
            p.add(
                at.key("name"),
                format!("duplicate variant name `{name}` (`baseline` is taken by the file itself)"),
            );
        }
        let mut setup = base.clone();
        let mut overrides = Vec::new();
        for (key, value) in &v.set {
            match schedule::resolve_effect(&base.world, key, Op::Set, *value) {
                Ok(e) => {
                    e.field.apply(&mut setup.world, Op::Set, e.value);
                    overrides.push((key.clone(), e.value));
                }
                Err(e) => p.add(at.key("set").key(key), e),
            }
        }
        if let Err(e) = crate::scenario::edit::check_world(&setup.world) {
            p.add(at.key("set"), e);
        }
        finish(&mut setup.world);
        let (events, conditional) =
            schedule::build_events(&v.events, &setup.world, clock, &at.key("events"), p);
        setup.schedule.events.extend(events);
        setup.schedule.events.sort_by_key(|e| e.month);
        setup.schedule.conditional.extend(conditional);
        setup.schedule.processes.extend(schedule::build_processes(
            &v.processes,
            &setup.world,
            clock,
            &at.key("processes"),
            p,
        ));
        total = total.saturating_add(expanded_size(&setup).saturating_sub(base_size));
        out.push(Variant { name, description: v.description.clone(), overrides, setup });
    }
    out
}

/// Helpers for the builders' tests: a small valid file, and what a file
/// gives when it is built.
#[cfg(test)]
pub(super) mod testing {
    use std::path::Path;

    use crate::scenario::{parse, Scenario, ScenarioError};

    /// Two states with one simulated relation and an armed group, over two years.
    pub const SMALL: &str = r#"
[scenario]
name = "small"
start = "2000-01"
end = "2002-01"

[[actors]]
id = "north"
kind = "state"

[[actors]]
id = "south"
kind = "state"
[[actors.factions]]
id = "doves"
pragmatism = 0.8
influence = 0.75
[[actors.factions]]
id = "hawks"
pragmatism = 0.2
influence = 0.25

[[actors]]
id = "raiders"
kind = "armed_group"
[actors.group]
strength = 0.6
targets = { north = 1.0 }

[[relations]]
pair = ["north", "south"]
stage = 2
"#;

    /// `SMALL` followed by `extra`, built.
    pub fn build(extra: &str) -> Result<Scenario, Vec<String>> {
        match parse(Path::new("t.toml"), format!("{SMALL}{extra}")) {
            Ok(s) => Ok(s),
            Err(ScenarioError::Invalid(d)) => {
                Err(d.0.iter().map(|d| format!("{}: {}", d.key, d.message)).collect())
            }
            Err(e) => Err(vec![e.to_string()]),
        }
    }

    /// The problems `SMALL` followed by `extra` has (it must have some).
    pub fn problems(extra: &str) -> Vec<String> {
        build(extra).expect_err("the file should have problems")
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{build, problems};

    #[test]
    fn defaults_fill_what_the_file_leaves_out() {
        let s = build("").unwrap();
        assert_eq!((s.replications, s.seed), (None, 1));
        let years: Vec<&str> = s.report_years.iter().map(|b| b.label()).collect();
        assert_eq!(years, ["2005", "2010", "2020"], "5, 10 and 20 calendar years after a start in 2000");
        assert_eq!(s.base.horizon, 24);
        assert_eq!(s.variants.len(), 1);
        assert_eq!(s.variants[0].name, "baseline");
    }

    #[test]
    fn report_years_are_calendar_years_or_dates() {
        let with = |years: &str| {
            let text = super::testing::SMALL
                .replace("end = \"2002-01\"", &format!("end = \"2002-01\"\nreport_years = {years}"));
            crate::scenario::parse(std::path::Path::new("t.toml"), text)
        };
        let ok = with(r#"[2001, "2001-06", "2001-06-15", 2001]"#).expect("valid");
        let labels: Vec<&str> = ok.report_years.iter().map(|b| b.label()).collect();
        assert_eq!(labels, ["2001", "2001-06", "2001-06-15"], "duplicates dropped, order kept");
        let old = with("[5, 10]").expect("years after the start still read");
        let labels: Vec<&str> = old.report_years.iter().map(|b| b.label()).collect();
        assert_eq!(labels, ["2005-01", "2010-01"], "month 12 x Y after a start in 2000-01");
        let Err(crate::scenario::ScenarioError::Invalid(d)) = with(r#"["soon", 0]"#) else {
            panic!("a word and 0 are refused")
        };
        let messages: Vec<&str> = d.0.iter().map(|d| d.message.as_str()).collect();
        assert!(messages[0].contains("YYYY-MM-DD") && messages[1].contains("1000"), "{messages:?}");
    }

    #[test]
    fn a_variant_overrides_the_baseline_and_is_finished() {
        let s = build(
            r#"
[[variants]]
name = "weak"
set = { "actors.raiders.group.strength" = 0.1 }
"#,
        )
        .unwrap();
        let weak = s.variant("weak").unwrap();
        assert_eq!(weak.overrides, vec![("actors.raiders.group.strength".to_string(), 0.1)]);
        assert_eq!(weak.setup.world.groups[0].strength, 0.1);
        assert_eq!(s.base.world.groups[0].strength, 0.6);
    }

    #[test]
    fn variant_names_are_unique_ids() {
        let p = problems(
            r#"
[[variants]]
name = "baseline"
[[variants]]
name = "Bad Name"
[[variants]]
description = "no name"
"#,
        );
        assert!(p.iter().any(|m| m.contains("duplicate variant name `baseline`")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("lowercase letters")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("missing key `name`")), "{p:?}");
    }

    #[test]
    fn the_run_table_and_the_horizon_are_checked() {
        let p = problems("[run]\nreplications = 0\n");
        assert_eq!(p, ["run.replications: expected at least 1 replication"]);
        let text = super::testing::SMALL.replace("end = \"2002-01\"", "end = \"1999-01\"");
        let p = match crate::scenario::parse(std::path::Path::new("t.toml"), text) {
            Err(crate::scenario::ScenarioError::Invalid(d)) => d.0,
            other => panic!("{other:?}"),
        };
        assert!(p[0].message.contains("expected a month after the start"), "{p:?}");
    }
}
