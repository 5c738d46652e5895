//! How far one simulated stage path is from a reference history.
//!
//! Two questions are asked of a run: does it reach each rung when the
//! reference did (timing error and pace, per rung), and how far apart are the
//! two paths month by month (area between the step functions, largest gap,
//! whether they end on the same rung). The reference can be laid over the run
//! on the calendar (a hindcast) or from a chosen origin date (elapsed time,
//! e.g. Afghanistan since 2021-09 against Vietnam since 1975-04-30).
//! Aggregating over runs is left to the caller. The formulas are written out
//! in docs/CALIBRATION.md.

use serde::Serialize;

use crate::calendar::{Date, YearMonth};
use crate::reference::ReferencePath;

/// One simulated run's stages, one per month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimPath<'a> {
    /// The calendar month of month 0.
    pub start: YearMonth,
    /// `stages[t]` is the rung during month `t`; the horizon is `len - 1`.
    pub stages: &'a [u8],
}

/// How simulated months are matched to the reference's dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alignment {
    /// Month `t` is calendar month `start + t`; reference times are counted
    /// from the first day of the simulation's start month.
    Calendar,
    /// Month `t` is `t` months after `reference_origin` (the reference month
    /// containing that date is month 0); reference times are counted from
    /// `reference_origin` itself. The simulation's `start` plays no part.
    Origin {
        /// The reference date that simulated month 0 stands for.
        reference_origin: Date,
    },
}

/// Settings for [`compare`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompareConfig {
    /// Months added to a censored timing error, as the price of a run that
    /// never reached a rung the reference reached.
    pub censor_penalty_months: f64,
}

/// Timing of one rung in one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StageTiming {
    /// The rung.
    pub stage: u8,
    /// Months from the aligned origin to the reference's first reaching the
    /// rung; `None` if it did not within the window (or did so before the
    /// origin), in which case the rung is not scored.
    pub reference_months: Option<f64>,
    /// Months from month 0 to the first simulated month at or above the rung;
    /// `None` if the run never got there by its horizon.
    pub simulated_months: Option<f64>,
    /// Simulated minus reference months (positive: the run is slower), or the
    /// censored penalty; `None` when the rung is not scored.
    pub error_months: Option<f64>,
    /// The reference reached the rung and the run never did.
    pub censored: bool,
    /// Simulated over reference months; `None` when not scored, censored, or
    /// the reference months are not positive.
    pub pace_ratio: Option<f64>,
}

/// The distance between one simulated path and one reference path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathDistance {
    /// Per-rung timing, in the order the rungs were asked for.
    pub stages: Vec<StageTiming>,
    /// Σ |simulated − reference| / 12 over the window, in stage-years.
    pub area_stage_years: f64,
    /// The largest |simulated − reference| over the window (0 if it is empty).
    pub max_abs_stage_gap: u8,
    /// Whether both paths stand on the same rung in the window's last month;
    /// `None` if the window is empty.
    pub final_stage_match: Option<bool>,
    /// The first simulated month of the window (0 if it is empty).
    pub window_start: usize,
    /// The window's length: the simulated months that have a reference stage.
    pub window_months: usize,
}

/// The rungs scored by default: every rung above the reference's first-row
/// stage up to the highest it ever reaches.
pub fn default_stages(reference: &ReferencePath) -> Vec<u8> {
    let Some(first) = reference.rows.first() else {
        return Vec::new();
    };
    let top = reference.rows.iter().map(|r| r.stage).max().unwrap_or(first.stage);
    (first.stage.saturating_add(1)..=top).collect()
}

/// Compares one run with one reference; `stages_to_score` of `None` means
/// [`default_stages`].
pub fn compare(
    sim: SimPath<'_>,
    reference: &ReferencePath,
    alignment: Alignment,
    stages_to_score: Option<&[u8]>,
    config: CompareConfig,
) -> PathDistance {
    // `frame` is the calendar month that simulated month 0 stands for;
    // `lead` is how far into that month the timing origin lies.
    let (frame, lead) = match alignment {
        Alignment::Calendar => (sim.start, 0.0),
        Alignment::Origin { reference_origin } => {
            let month = reference_origin.year_month();
            (month, reference_origin.months_after(month))
        }
    };
    let months = sim.stages.len();
    let reference_stages = reference.monthly_stages(frame, months);
    let window: Vec<(usize, u8, u8)> = reference_stages
        .iter()
        .zip(sim.stages)
        .enumerate()
        .filter_map(|(t, (r, &s))| r.map(|r| (t, s, r)))
        .collect();
    // The reference is known on one contiguous run of months, so the window
    // is that run's overlap with the simulation.
    let window_start = window.first().map_or(0, |&(t, _, _)| t);
    let window_end = window.last().map(|&(t, _, _)| t);

    let gaps = window.iter().map(|&(_, s, r)| s.abs_diff(r));
    let area_stage_years = gaps.clone().map(f64::from).sum::<f64>() / 12.0;
    let max_abs_stage_gap = gaps.max().unwrap_or(0);
    let final_stage_match = window.last().map(|&(_, s, r)| s == r);

    let default;
    let wanted = match stages_to_score {
        Some(list) => list,
        None => {
            default = default_stages(reference);
            &default
        }
    };
    let horizon = months.saturating_sub(1) as f64;
    let stages = wanted
        .iter()
        .map(|&stage| {
            let reference_months = window_end.and_then(|end| {
                let date = reference.first_reach(stage)?;
                let month = i64::from(date.year_month().months_since(frame));
                let elapsed = date.months_after(frame) - lead;
                let in_window = elapsed >= 0.0 && month >= window_start as i64 && month <= end as i64;
                in_window.then_some(elapsed)
            });
            let simulated_months = sim.stages.iter().position(|&s| s >= stage).map(|t| t as f64);
            let (error_months, censored) = match (reference_months, simulated_months) {
                (Some(r), Some(s)) => (Some(s - r), false),
                // A reach in the last month's tail can lie past the horizon;
                // the shortfall is then nil, not negative.
                (Some(r), None) => (Some((horizon - r).max(0.0) + config.censor_penalty_months), true),
                (None, _) => (None, false),
            };
            let pace_ratio = match (reference_months, simulated_months) {
                (Some(r), Some(s)) if r > 0.0 => Some(s / r),
                _ => None,
            };
            StageTiming { stage, reference_months, simulated_months, error_months, censored, pace_ratio }
        })
        .collect();

    PathDistance {
        stages,
        area_stage_years,
        max_abs_stage_gap,
        final_stage_match,
        window_start,
        window_months: window.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::ReferenceRow;
    use std::path::Path;

    const NO_PENALTY: CompareConfig = CompareConfig { censor_penalty_months: 0.0 };

    fn month(year: i32, month: u32) -> YearMonth {
        YearMonth::new(year, month).unwrap()
    }

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    fn reference(rows: &[(&str, u8)]) -> ReferencePath {
        ReferencePath {
            name: "synthetic".to_string(),
            rows: rows
                .iter()
                .map(|&(d, stage)| ReferenceRow {
                    date: date(d),
                    stage,
                    event: String::new(),
                    alt_effective_stage: None,
                    alt_formal_stage: None,
                })
                .collect(),
        }
    }

    /// Rows on first days, so that monthly stages and reach times agree
    /// exactly; stage 4 falls back to 3 to exercise first-reach.
    fn first_of_month_reference() -> ReferencePath {
        reference(&[
            ("2000-01-01", 1),
            ("2001-01-01", 2),
            ("2003-01-01", 4),
            ("2004-06-01", 3),
            ("2005-01-01", 5),
        ])
    }

    /// The reference's monthly stages from `start`, continued at the last
    /// known stage (before the first row: `before`).
    fn copy_of(reference: &ReferencePath, start: YearMonth, months: usize, before: u8) -> Vec<u8> {
        let mut last = before;
        reference
            .monthly_stages(start, months)
            .into_iter()
            .map(|s| {
                last = s.unwrap_or(last);
                last
            })
            .collect()
    }

    fn errors(distance: &PathDistance) -> Vec<Option<f64>> {
        distance.stages.iter().map(|s| s.error_months).collect()
    }

    #[test]
    fn an_identical_path_has_no_error_and_no_area() {
        let reference = first_of_month_reference();
        let stages = copy_of(&reference, month(2000, 1), 73, 1);
        let sim = SimPath { start: month(2000, 1), stages: &stages };
        let d = compare(sim, &reference, Alignment::Calendar, None, NO_PENALTY);
        let scored: Vec<u8> = d.stages.iter().map(|s| s.stage).collect();
        assert_eq!(scored, vec![2, 3, 4, 5]);
        assert_eq!(errors(&d), vec![Some(0.0); 4]);
        assert!(d.stages.iter().all(|s| !s.censored));
        assert_eq!(d.stages[0].pace_ratio, Some(1.0));
        assert_eq!(d.area_stage_years, 0.0);
        assert_eq!(d.max_abs_stage_gap, 0);
        assert_eq!(d.final_stage_match, Some(true));
        // The record ends with its last row's month, 2005-01 = month 60.
        assert_eq!((d.window_start, d.window_months), (0, 61));
    }

    #[test]
    fn a_path_one_year_late_is_twelve_months_slow_at_every_stage() {
        let reference = first_of_month_reference();
        let on_time = copy_of(&reference, month(2000, 1), 85, 1);
        let late: Vec<u8> = (0..on_time.len()).map(|t| if t < 12 { 1 } else { on_time[t - 12] }).collect();
        let sim = SimPath { start: month(2000, 1), stages: &late };
        let d = compare(sim, &reference, Alignment::Calendar, None, NO_PENALTY);
        assert_eq!(errors(&d), vec![Some(12.0); 4]);
        assert_eq!(d.stages[0].reference_months, Some(12.0));
        assert_eq!(d.stages[0].pace_ratio, Some(2.0));
        // The window ends with the record at month 60: a year of gap 1 from
        // 1→2, a year of gap 2 from 2→4, then 8 months of gap 1 from the
        // fall 4→3 at month 53 and the rise 3→5 at month 60.
        assert!((d.area_stage_years - (1.0 + 2.0 + 8.0 / 12.0)).abs() < 1e-12);
        assert_eq!(d.max_abs_stage_gap, 2);
        assert_eq!(d.final_stage_match, Some(false));
    }

    #[test]
    fn a_rung_never_reached_is_censored_at_the_horizon_plus_penalty() {
        let reference = first_of_month_reference();
        let stuck = vec![1u8; 37];
        let sim = SimPath { start: month(2000, 1), stages: &stuck };
        let config = CompareConfig { censor_penalty_months: 6.0 };
        let d = compare(sim, &reference, Alignment::Calendar, None, config);
        let by_stage = |s: u8| d.stages.iter().find(|t| t.stage == s).unwrap();
        // Reference reaches 2 at month 12 and 3 and 4 at month 36 = horizon.
        assert_eq!(by_stage(2).error_months, Some(36.0 - 12.0 + 6.0));
        assert_eq!(by_stage(4).error_months, Some(6.0));
        assert!(by_stage(2).censored && by_stage(3).censored);
        assert_eq!(by_stage(2).pace_ratio, None);
        assert_eq!(by_stage(2).simulated_months, None);
        // 5 comes at month 60, past the window: not scored, not censored.
        assert_eq!(by_stage(5).reference_months, None);
        assert_eq!(by_stage(5).error_months, None);
        assert!(!by_stage(5).censored);
        assert_eq!(d.window_months, 37);
    }

    #[test]
    fn calendar_alignment_only_compares_months_both_cover() {
        let reference = first_of_month_reference();
        // Starting after the reference reached 2: 2 is not scored, 4 is timed
        // from the simulation's start.
        let later = vec![2u8; 30];
        let sim = SimPath { start: month(2001, 6), stages: &later };
        let d = compare(sim, &reference, Alignment::Calendar, Some(&[2, 4]), NO_PENALTY);
        assert_eq!(d.stages[0].reference_months, None);
        assert_eq!(d.stages[1].reference_months, Some(19.0));
        assert!(d.stages[1].censored);
        // Starting before the record: the window opens at the first row's month.
        let earlier = vec![1u8; 12];
        let sim = SimPath { start: month(1999, 7), stages: &earlier };
        let d = compare(sim, &reference, Alignment::Calendar, None, NO_PENALTY);
        assert_eq!((d.window_start, d.window_months), (6, 6));
        // After the record ends there is nothing to compare.
        let after = vec![5u8; 12];
        let sim = SimPath { start: month(2010, 1), stages: &after };
        let d = compare(sim, &reference, Alignment::Calendar, None, NO_PENALTY);
        assert_eq!((d.window_months, d.final_stage_match), (0, None));
        assert!(d.stages.iter().all(|s| s.error_months.is_none()));
    }

    #[test]
    fn origin_alignment_maps_month_zero_to_the_reference_origin() {
        let reference = reference(&[("1975-04-30", 1), ("1977-05-03", 2), ("1995-07-11", 5)]);
        let alignment = Alignment::Origin { reference_origin: date("1975-04-30") };
        // Simulated 2021-09 stands for 1975-04, so a copy of Vietnam's
        // months from 1975-04 matches month for month.
        let stages = copy_of(&reference, month(1975, 4), 300, 1);
        let sim = SimPath { start: month(2021, 9), stages: &stages };
        let d = compare(sim, &reference, alignment, None, NO_PENALTY);
        assert_eq!((d.window_start, d.area_stage_years), (0, 0.0));
        // Month-level simulation against day-dated reference: stage 2 comes
        // in month 25 (1977-05) against 25 + 2/31 - 29/30 months after the
        // origin day.
        let stage2 = d.stages[0];
        assert_eq!(stage2.simulated_months, Some(25.0));
        let expected = 25.0 + 2.0 / 31.0 - 29.0 / 30.0;
        assert!((stage2.reference_months.unwrap() - expected).abs() < 1e-12);
        assert!((stage2.error_months.unwrap() - (25.0 - expected)).abs() < 1e-12);
        // The start month plays no part under origin alignment.
        let moved = SimPath { start: month(2030, 1), stages: &stages };
        assert_eq!(compare(moved, &reference, alignment, None, NO_PENALTY), d);
        // On the calendar, 2021-09 onward is after the record: no window.
        let d = compare(sim, &reference, Alignment::Calendar, None, NO_PENALTY);
        assert_eq!(d.window_months, 0);
    }

    #[test]
    fn vietnam_reaches_recognition_twenty_years_after_saigon() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference/us_vietnam.csv");
        let vietnam = ReferencePath::load(&path, 8).unwrap();
        assert_eq!(default_stages(&vietnam), vec![2, 3, 4, 5, 6, 7]);
        let stages = vec![1u8; 600];
        let sim = SimPath { start: month(2021, 9), stages: &stages };
        let alignment = Alignment::Origin { reference_origin: vietnam.origin() };
        let d = compare(sim, &vietnam, alignment, None, NO_PENALTY);
        // The years after 1975-04-30 of each first reach, counted as
        // days / 365.25 (the table the reference history was coded with);
        // fractional months differ by under a week.
        let readme = [2.01, 10.56, 18.77, 20.20, 26.59, 41.07];
        for (timing, years) in d.stages.iter().zip(readme) {
            let ours = timing.reference_months.unwrap() / 12.0;
            assert!((ours - years).abs() < 0.02, "stage {}: {ours}", timing.stage);
        }
        assert!(d.stages.iter().all(|s| s.censored));
    }

    #[test]
    fn arbitrary_paths_and_windows_never_panic() {
        let reference = first_of_month_reference();
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2_000 {
            let len = (next() % 120) as usize;
            let stages: Vec<u8> = (0..len).map(|_| (next() % 9) as u8).collect();
            let start = month(1995 + (next() % 15) as i32, 1 + (next() % 12) as u32);
            let alignment = if next() % 2 == 0 {
                Alignment::Calendar
            } else {
                Alignment::Origin { reference_origin: start.plus((next() % 7) as i32 - 3).first_day() }
            };
            let wanted: Vec<u8> = (0..(next() % 4)).map(|_| (next() % 10) as u8).collect();
            let sim = SimPath { start, stages: &stages };
            let d = compare(sim, &reference, alignment, Some(&wanted), NO_PENALTY);
            assert!(d.area_stage_years.is_finite() && d.area_stage_years >= 0.0);
            assert!(d.window_start + d.window_months <= len);
            for s in &d.stages {
                assert_eq!(s.error_months.is_some(), s.reference_months.is_some());
                assert!(!s.censored || s.error_months.unwrap() >= 0.0);
            }
        }
        let empty = ReferencePath { name: String::new(), rows: Vec::new() };
        let sim = SimPath { start: month(2000, 1), stages: &[1, 2] };
        let d = compare(sim, &empty, Alignment::Calendar, None, NO_PENALTY);
        assert_eq!((d.window_months, d.stages.len()), (0, 0));
    }
}
