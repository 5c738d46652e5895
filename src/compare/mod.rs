//! Comparing simulated paths with a reference history.
//!
//! For each run of a job, [`metrics::compare`] measures the run's stage path
//! of one dyad against a [`ReferencePath`]: per-stage timing error (censored
//! runs pay a stated penalty), pace ratio, the area between the two step
//! functions, and whether the final stages match. [`JobComparison`] gathers a
//! job's runs and summarises them (median and 10/90 % quantiles, the share of
//! runs faster than the reference). Formulas: `docs/CALIBRATION.md`.

pub mod diff;
pub mod metrics;

use std::sync::atomic::AtomicBool;

pub use metrics::{compare, default_stages, Alignment, CompareConfig, PathDistance, SimPath};

use crate::batch::{self, BatchError, Capture, Job};
use crate::reference::ReferencePath;
use crate::stats::quantile::quantile_sorted;

/// Distances of every run of one job.
#[derive(Debug, Clone)]
pub struct JobComparison {
    /// Per run, in replicate order: (replicate, seed, distance).
    pub runs: Vec<(u64, u64, PathDistance)>,
    /// Stages scored, in column order.
    pub stages: Vec<u8>,
}

/// Quantiles reported in summaries.
pub const QUANTILES: [f64; 3] = [0.1, 0.5, 0.9];

/// Summary of one stage across the runs of a job.
#[derive(Debug, Clone, PartialEq)]
pub struct StageSummary {
    /// The stage.
    pub stage: u8,
    /// Reference months to first reach (same for all runs), if scored.
    pub reference_months: Option<f64>,
    /// 10/50/90 % of the timing error in months (censored runs included with their penalty).
    pub error_months: [Option<f64>; 3],
    /// 10/50/90 % of the pace ratio among runs that reached the stage.
    pub pace_ratio: [Option<f64>; 3],
    /// Share of runs that reached the stage before the reference did.
    pub share_faster: Option<f64>,
    /// Share of runs censored (never reached a stage the reference reached).
    pub share_censored: Option<f64>,
}

/// Summary of a job's comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonSummary {
    /// Runs compared.
    pub runs: usize,
    /// Per scored stage.
    pub stages: Vec<StageSummary>,
    /// 10/50/90 % of the area between the paths, in stage-years.
    pub area_stage_years: [Option<f64>; 3],
    /// Share of runs whose final stage matches the reference at the window's end.
    pub share_final_match: Option<f64>,
    /// Share of runs whose path equals the reference in every month of the window.
    pub share_identical: Option<f64>,
    /// Months in the comparison window.
    pub window_months: usize,
}

fn quantiles(mut values: Vec<f64>) -> [Option<f64>; 3] {
    values.sort_by(f64::total_cmp);
    QUANTILES.map(|q| quantile_sorted(&values, q))
}

impl JobComparison {
    /// Summarises the runs.
    pub fn summary(&self) -> ComparisonSummary {
        let n = self.runs.len();
        let share = |count: usize, of: usize| (of > 0).then(|| count as f64 / of as f64);
        let stages = self
            .stages
            .iter()
            .enumerate()
            .map(|(k, &stage)| {
                let timings: Vec<_> = self.runs.iter().map(|(_, _, d)| d.stages[k]).collect();
                let scored: Vec<_> = timings.iter().filter(|t| t.error_months.is_some()).collect();
                let faster =
                    scored.iter().filter(|t| !t.censored && t.error_months.is_some_and(|e| e < 0.0)).count();
                let censored = scored.iter().filter(|t| t.censored).count();
                StageSummary {
                    stage,
                    reference_months: timings.first().and_then(|t| t.reference_months),
                    error_months: quantiles(scored.iter().filter_map(|t| t.error_months).collect()),
                    pace_ratio: quantiles(scored.iter().filter_map(|t| t.pace_ratio).collect()),
                    share_faster: share(faster, scored.len()),
                    share_censored: share(censored, scored.len()),
                }
            })
            .collect();
        let matches: Vec<bool> = self.runs.iter().filter_map(|(_, _, d)| d.final_stage_match).collect();
        ComparisonSummary {
            runs: n,
            stages,
            area_stage_years: quantiles(self.runs.iter().map(|(_, _, d)| d.area_stage_years).collect()),
            share_final_match: share(matches.iter().filter(|m| **m).count(), matches.len()),
            share_identical: share(
                self.runs.iter().filter(|(_, _, d)| d.window_months > 0 && d.max_abs_stage_gap == 0).count(),
                n,
            ),
            window_months: self.runs.first().map_or(0, |(_, _, d)| d.window_months),
        }
    }
}

/// How to compare.
#[derive(Debug, Clone)]
pub struct CompareSpec<'a> {
    /// The history.
    pub reference: &'a ReferencePath,
    /// Calendar or origin alignment.
    pub alignment: Alignment,
    /// Stages to score (default: every stage the reference reaches above its first).
    pub stages: Vec<u8>,
    /// Censoring penalty.
    pub config: CompareConfig,
}

impl<'a> CompareSpec<'a> {
    /// A spec scoring the reference's default stages.
    pub fn new(
        reference: &'a ReferencePath,
        alignment: Alignment,
        censor_penalty_months: f64,
    ) -> CompareSpec<'a> {
        CompareSpec {
            reference,
            alignment,
            stages: default_stages(reference),
            config: CompareConfig { censor_penalty_months },
        }
    }

    /// Distance of one stage path.
    pub fn distance(&self, path: SimPath<'_>) -> PathDistance {
        compare(path, self.reference, self.alignment, Some(&self.stages), self.config)
    }
}

/// Runs every job and compares tracked dyad `dyad[k]` of job k with the reference.
pub fn run_and_compare(
    jobs: &[Job<'_>],
    dyads: &[usize],
    spec: &CompareSpec<'_>,
    pool: &batch::Pool,
    stop: &AtomicBool,
    mut progress: impl FnMut(u64),
) -> Result<Vec<JobComparison>, BatchError<std::convert::Infallible>> {
    let mut out: Vec<JobComparison> =
        jobs.iter().map(|_| JobComparison { runs: Vec::new(), stages: spec.stages.clone() }).collect();
    let mut stages = Vec::new();
    batch::execute(
        jobs,
        pool,
        Capture { series: true, bins: false, fired: false, decisions: false },
        stop,
        |k, runs| {
            for run in runs {
                stage_path(&run.series, dyads[k], &mut stages);
                let d = spec.distance(SimPath { start: jobs[k].setup.start, stages: &stages });
                out[k].runs.push((run.replicate, run.seed, d));
            }
            progress(runs.len() as u64);
            Ok(())
        },
    )?;
    Ok(out)
}

/// Extracts dyad `dyad`'s stage per month from a run's series.
pub fn stage_path(series: &[crate::engine::TickRecord], dyad: usize, out: &mut Vec<u8>) {
    out.clear();
    out.extend(series.iter().filter(|r| r.dyad as usize == dyad).map(|r| r.stage));
}

/// One run's path of one dyad, read back from a results folder.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPath {
    /// Scenario name.
    pub scenario: String,
    /// Variant name.
    pub variant: String,
    /// The dyad's label as the folder writes it (whichever order it was asked in).
    pub dyad: String,
    /// Replicate index.
    pub replicate: u64,
    /// Run seed.
    pub seed: u64,
    /// Calendar month of month 0.
    pub start: crate::calendar::YearMonth,
    /// Stage per month.
    pub stages: Vec<u8>,
}

/// The ladder size of a results folder: one more than the top rung of the
/// `stage_<s>_month` columns of its `runs.csv`.
pub fn folder_ladder_len(dir: &std::path::Path) -> Result<usize, String> {
    let path = dir.join("runs.csv");
    let mut reader = csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = reader.headers().map_err(|e| format!("{}:1: {e}", path.display()))?;
    let top = headers
        .iter()
        .filter_map(|h| h.strip_prefix("stage_")?.strip_suffix("_month")?.parse::<usize>().ok())
        .max()
        .ok_or_else(|| {
            format!("{}:1: no stage_<s>_month columns: is this a runs.csv of detente?", path.display())
        })?;
    if top >= crate::model::MAX_RUNGS {
        return Err(format!(
            "{}:1: stage_{top}_month: a ladder has at most {} rungs",
            path.display(),
            crate::model::MAX_RUNGS
        ));
    }
    Ok(top + 1)
}

/// Reads the paths of dyad `dyad` (either order) from a `timeseries.csv` written with
/// `--timeseries full`, in file order; every stage must be a rung of a
/// ladder of `ladder_len` rungs. Errors name the file and line.
pub fn read_full_timeseries(
    path: &std::path::Path,
    dyad: &str,
    ladder_len: usize,
) -> Result<Vec<StoredPath>, String> {
    let at = |line: u64, what: String| format!("{}:{line}: {what}", path.display());
    let mut reader = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = reader.headers().map_err(|e| at(1, e.to_string()))?.clone();
    let column = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            at(
                1,
                format!("missing column `{name}`: expected a timeseries.csv written with --timeseries full"),
            )
        })
    };
    let cols = ["scenario", "variant", "replicate", "run_seed", "dyad", "month", "date", "stage"]
        .iter()
        .map(|c| column(c))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out: Vec<StoredPath> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| at(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |k: usize| record.get(cols[k]).unwrap_or("");
        if !crate::model::same_dyad(field(4), dyad) {
            continue;
        }
        let number = |k: usize, name: &str| {
            field(k)
                .parse::<u64>()
                .map_err(|_| at(line, format!("{name}: expected a whole number, got {:?}", field(k))))
        };
        let (replicate, seed, month, stage) =
            (number(2, "replicate")?, number(3, "run_seed")?, number(5, "month")?, number(7, "stage")?);
        let stage = u8::try_from(stage).ok().filter(|&s| (s as usize) < ladder_len).ok_or_else(|| {
            at(line, format!("stage: {stage} is not a rung of the folder's ladder (0 to {})", ladder_len - 1))
        })?;
        let same_run = out.last().is_some_and(|p| {
            p.replicate == replicate && p.seed == seed && p.scenario == field(0) && p.variant == field(1)
        });
        if !same_run {
            if month != 0 {
                return Err(at(line, format!("month: a run's rows must start at month 0, got {month}")));
            }
            let start =
                crate::calendar::YearMonth::parse(field(6)).map_err(|e| at(line, format!("date: {e}")))?;
            out.push(StoredPath {
                scenario: field(0).to_string(),
                variant: field(1).to_string(),
                dyad: field(4).to_string(),
                replicate,
                seed,
                start,
                stages: Vec::new(),
            });
        }
        let run = out.last_mut().expect("a run was just pushed");
        if month as usize != run.stages.len() {
            return Err(at(
                line,
                format!("month: expected {} (months in order), got {month}", run.stages.len()),
            ));
        }
        run.stages.push(stage);
    }
    if out.is_empty() {
        return Err(format!("{}: no rows for dyad `{dyad}`", path.display()));
    }
    Ok(out)
}
