//! Hindcasts: reference-class cases run and held against their histories.
//!
//! Each case is a scenario whose `[calibration]` table names its reference
//! history and dyad (`crate::cases`). The job runs every case with the same
//! overrides (usually none: the shipped defaults), writes `hindcast.csv`
//! (one row per target of every case) and returns the table an analyst
//! reads: per rung history's date against the simulated 10–90 % band, per
//! fall the share of runs that fell within three years, and the totals the
//! validation asks for.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::batch::resolve_sets;
use super::{command_line, Clock, Context, JobError, Progress, Report};
use crate::batch::Pool;
use crate::cases::{self, Case, CaseScore, TargetKind, TargetRow};
use crate::model::{with_overrides, Field};
use crate::output::hindcast::{self, CaseRows};
use crate::output::manifest::{Manifest, ScenarioEntry};

/// Runs per case when the command line gives none.
pub const REPLICATIONS: u64 = 200;

/// Share of runs a fall must be produced in to count as reproduced.
pub const FALL_SHARE: f64 = 0.3;

/// What a hindcast runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HindcastSpec {
    /// Case files (scenarios with a `[calibration]` reference and dyad).
    pub files: Vec<PathBuf>,
    /// Runs per case (None: [`REPLICATIONS`]).
    pub replications: Option<u64>,
    /// Master seed (None: each case's `[run] seed`).
    pub seed: Option<u64>,
    /// `KEY=VALUE` overrides applied to every case.
    pub sets: Vec<String>,
    /// Print the tables as Markdown (for docs/VALIDATION.md).
    #[serde(default)]
    pub markdown: bool,
}

/// What `manifest.json` records of a hindcast.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HindcastDetails {
    /// The spec.
    pub spec: HindcastSpec,
    /// Runs per case.
    pub replications: u64,
    /// First-reach dates inside the simulated 10–90 % band.
    pub dates_inside: usize,
    /// First-reach dates in all.
    pub dates: usize,
    /// Falls produced within three years in at least [`FALL_SHARE`] of runs.
    pub falls_produced: usize,
    /// Falls in all.
    pub falls: usize,
    /// Mean distance over the cases, in years (`cases::CaseScore::distance`).
    pub mean_distance_years: f64,
}

/// One case's result: the case, its file, the seed of its runs, one row per target, its distance.
pub struct Scored {
    /// The case.
    pub case: Case,
    /// Master seed of its runs.
    pub seed: u64,
    /// One row per target.
    pub rows: Vec<TargetRow>,
    /// Its distance, years.
    pub distance: f64,
}

/// The totals the validation asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    /// First-reach dates inside the simulated 10–90 % band.
    pub dates_inside: usize,
    /// First-reach dates in all.
    pub dates: usize,
    /// Falls produced within three years in at least [`FALL_SHARE`] of runs.
    pub falls_produced: usize,
    /// Falls in all.
    pub falls: usize,
    /// Mean distance over the cases, years.
    pub mean_distance_years: f64,
}

/// Loads the cases of every case file, in file order.
pub fn load_cases(files: &[PathBuf]) -> Result<Vec<Case>, JobError> {
    let mut cases = Vec::new();
    for f in files {
        cases.extend(Case::load(f).map_err(|e| JobError::Invalid(format!("{}: {e}", f.display())))?);
    }
    Ok(cases)
}

/// Runs one case with `overrides` and scores it; the seed is `seed` or the case's `[run] seed`.
pub fn score_case(
    case: &Case,
    overrides: &[(Field, f64)],
    replications: u64,
    seed: Option<u64>,
    pool: &Pool,
) -> Scored {
    let setup = with_overrides(&case.scenario.base, overrides);
    let seed = seed.unwrap_or(case.scenario.seed);
    let score: CaseScore = cases::evaluate(case, &setup, replications, seed, pool);
    let (rows, distance) = (score.rows(&case.targets), score.distance(&case.targets));
    Scored { case: case.clone(), seed, rows, distance }
}

/// Runs and scores every case with the same overrides (mechanism parameters).
pub fn score_cases(
    cases: &[Case],
    overrides: &[(Field, f64)],
    replications: u64,
    seed: Option<u64>,
    pool: &Pool,
) -> Vec<Scored> {
    cases.iter().map(|c| score_case(c, overrides, replications, seed, pool)).collect()
}

/// Writes `hindcast.csv` into `out`.
pub fn write_hindcast(out: &Path, scored: &[Scored], replications: u64) -> Result<PathBuf, JobError> {
    write_hindcast_as(out, "hindcast.csv", scored, replications)
}

/// Writes the hindcast rows of `scored` into `out/name`.
pub fn write_hindcast_as(
    out: &Path,
    name: &str,
    scored: &[Scored],
    replications: u64,
) -> Result<PathBuf, JobError> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let labels: Vec<String> =
        scored.iter().map(|s| s.case.scenario.base.tracked[s.case.dyad].label.clone()).collect();
    let tables: Vec<CaseRows<'_>> = scored
        .iter()
        .zip(&labels)
        .map(|(s, label)| CaseRows {
            case: s.case.name(),
            dyad: label,
            reference: &s.case.reference.name,
            start: s.case.scenario.base.start,
            runs: replications as usize,
            rows: &s.rows,
        })
        .collect();
    Ok(hindcast::write(&out.join(name), &tables)?)
}

/// The default output folder of a hindcast: `results/hindcast`, or a
/// distinct what-if folder with `--set`.
pub fn default_out(spec: &HindcastSpec) -> std::path::PathBuf {
    Path::new("results").join(crate::output::folder::what_if_name("hindcast", &spec.sets))
}

/// Runs the hindcast of `spec` on `pool` into `target`.
pub fn run(
    spec: &HindcastSpec,
    target: &Path,
    replace: &crate::output::folder::Replace,
    pool: &Pool,
    progress: &dyn Progress,
) -> Result<Report, JobError> {
    let clock = Clock::start();
    let replications = spec.replications.unwrap_or(REPLICATIONS);
    super::defaults::check_count("-n", replications)?;
    if replications == 0 {
        bail!("-n 0: a hindcast needs at least one run per case");
    }
    let cases = load_cases(&spec.files)?;
    progress.start(replications * cases.len() as u64, "runs", 0);
    let mut scored = Vec::new();
    for case in &cases {
        let sets = resolve_sets(&case.scenario, &spec.sets)?;
        let overrides: Vec<_> = sets.iter().map(|(_, f, v)| (*f, *v)).collect();
        scored.push(score_case(case, &overrides, replications, spec.seed, pool));
        progress.advance(replications);
    }
    progress.finish();
    let folder = match super::open_out(target, false, replace)? {
        super::Opened::Work(f) | super::Opened::Fresh(f) => f,
        super::Opened::Done(report) => return Ok(report),
    };
    let out = folder.dir();
    let path = write_hindcast(out, &scored, replications)?;
    let (mut text, totals) = if spec.markdown { markdown(&scored) } else { summarise(&scored) };
    let details = HindcastDetails {
        spec: spec.clone(),
        replications,
        dates_inside: totals.dates_inside,
        dates: totals.dates,
        falls_produced: totals.falls_produced,
        falls: totals.falls,
        mean_distance_years: totals.mean_distance_years,
    };
    let entries = scored
        .iter()
        .map(|s| ScenarioEntry {
            path: s.case.file.display().to_string(),
            name: s.case.name().to_string(),
            sha256: s.case.scenario.sha256.clone(),
            seed: s.seed,
            variants: vec!["baseline".into()],
            replications,
            about: None,
        })
        .collect();
    let runs = replications * scored.len() as u64;
    let manifest = Manifest::new(
        "hindcast",
        command_line(),
        entries,
        pool.threads(),
        clock.timing(),
        runs,
        std::slice::from_ref(&path),
        details,
    );
    manifest.write(out)?;
    let notes = folder.commit()?;
    let _ = writeln!(text, "results in {}", target.display());
    Ok(Report { text, notes, ..Report::default() })
}

/// The tables in Markdown: per case its rungs and its falls, then the totals.
pub fn markdown(scored: &[Scored]) -> (String, Totals) {
    let (_, totals) = summarise(scored);
    let mut text = String::new();
    let pct = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{:.0} %", 100.0 * x));
    for s in scored {
        let start = s.case.scenario.base.start;
        let at = |m: Option<u32>| m.map_or("never".to_string(), |m| start.plus(m as i32).to_string());
        let label = &s.case.scenario.base.tracked[s.case.dyad].label;
        let _ = writeln!(text, "#### {} ({label}), case distance {:.2} years\n", s.case.name(), s.distance);
        let _ = writeln!(
            text,
            "| rung | history | simulated median | 10–90 % band | inside | reached | within 3 y |"
        );
        let _ = writeln!(text, "|---|---|---|---|---|---|---|");
        for r in s.rows.iter().filter(|r| r.kind != TargetKind::Fall) {
            let [lo, mid, hi] = r.quantiles;
            let history = r.date.map_or("never".into(), |d| d.year_month().to_string());
            let inside = if r.inside == Some(true) { "yes" } else { "**no**" };
            let _ = writeln!(
                text,
                "| {} | {history} | {} | {} – {} | {inside} | {} | {} |",
                r.stage,
                at(mid),
                at(lo),
                at(hi),
                pct(r.share_reached),
                pct(r.share_near)
            );
        }
        let falls: Vec<&TargetRow> = s.rows.iter().filter(|r| r.kind == TargetKind::Fall).collect();
        if !falls.is_empty() {
            let _ =
                writeln!(text, "\n| fall | date | runs falling within 3 y | produced |\n|---|---|---|---|");
            for r in falls {
                let share = r.share_near.unwrap_or(0.0);
                let date = r.date.map_or(String::new(), |d| d.to_string());
                let ok = if share >= FALL_SHARE { "yes" } else { "**no**" };
                let _ = writeln!(
                    text,
                    "| {} → {} | {date} | {} | {ok} |",
                    r.from.unwrap_or(0),
                    r.stage,
                    pct(Some(share))
                );
            }
        }
        text.push('\n');
    }
    let _ = writeln!(
        text,
        "First-reach dates inside the 10–90 % band: **{}/{}**; falls produced within three years in at least {:.0} % of runs: **{}/{}**; mean case distance {:.2} years.",
        totals.dates_inside,
        totals.dates,
        100.0 * FALL_SHARE,
        totals.falls_produced,
        totals.falls,
        totals.mean_distance_years
    );
    (text, totals)
}

/// The table: per case a line per target, then the totals.
pub fn summarise(scored: &[Scored]) -> (String, Totals) {
    let mut text = String::new();
    let mut t = Totals::default();
    let mut total = 0.0;
    for s in scored {
        total += s.distance;
        let start = s.case.scenario.base.start;
        let at = |m: Option<u32>| m.map_or("never".to_string(), |m| start.plus(m as i32).to_string());
        let label = &s.case.scenario.base.tracked[s.case.dyad].label;
        let _ = writeln!(text, "{} ({label}), distance {:.2} y", s.case.name(), s.distance);
        for r in &s.rows {
            match r.kind {
                TargetKind::Reach | TargetKind::Unreached => {
                    let history = r.date.map_or("never".into(), |d| d.year_month().to_string());
                    let [lo, mid, hi] = r.quantiles;
                    let mark = if r.inside == Some(true) { "in " } else { "OUT" };
                    let near = r.share_near.map_or("-".into(), |x| format!("{:.0}%", 100.0 * x));
                    let _ = writeln!(
                        text,
                        "  {mark} rung {}: history {history:>7}  simulated {} [{} .. {}]  reached {:>3.0}%  within 3 y {near}",
                        r.stage,
                        at(mid),
                        at(lo),
                        at(hi),
                        100.0 * r.share_reached.unwrap_or(0.0),
                    );
                    if r.kind == TargetKind::Reach {
                        t.dates += 1;
                        t.dates_inside += usize::from(r.inside == Some(true));
                    }
                }
                TargetKind::Fall => {
                    let share = r.share_near.unwrap_or(0.0);
                    let mark = if share >= FALL_SHARE { "in " } else { "OUT" };
                    let date = r.date.map_or(String::new(), |d| d.to_string());
                    let _ = writeln!(
                        text,
                        "  {mark} fall {} -> {} on {date}: {:.0}% of runs fall within 3 y",
                        r.from.unwrap_or(0),
                        r.stage,
                        100.0 * share
                    );
                    t.falls += 1;
                    t.falls_produced += usize::from(share >= FALL_SHARE);
                }
            }
        }
    }
    t.mean_distance_years = total / scored.len().max(1) as f64;
    let _ = writeln!(
        text,
        "first-reach dates inside the 10-90% band: {}/{}; falls produced within 3 y in >= {:.0}% of runs: {}/{}; mean distance {:.2} y",
        t.dates_inside,
        t.dates,
        100.0 * FALL_SHARE,
        t.falls_produced,
        t.falls,
        t.mean_distance_years
    );
    (text, t)
}
