//! Comparisons: simulated paths of a dyad against a reference history.
//!
//! [`ComparisonRun`] names what is compared: a scenario file, run on the
//! fly with a [`Selection`] of its variants, or a results folder written
//! with `--timeseries full`, whose stored paths are compared as they are.
//! [`run`] writes `compare_runs.csv`, `compare_summary.csv` and the
//! manifest, and reports the table of timing errors.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::batch::{Plan, Selection};
use super::calibration::load_reference;
use super::{
    command_line, load_one, open_out, pick_dyad, Clock, Context, JobError, Opened, Progress, Report,
};
use crate::batch::Pool;
use crate::calendar::Date;
use crate::compare::{
    folder_ladder_len, read_full_timeseries, run_and_compare, Alignment, CompareSpec, JobComparison, SimPath,
};
use crate::output::compare::{write, CompareKey};
use crate::output::folder::{safe_name, settle, what_if_name, Replace};
use crate::output::manifest::{file_sha256, Manifest};
use crate::reference::ReferencePath;

/// How simulated and reference paths are lined up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// On calendar dates (a hindcast).
    Calendar,
    /// By elapsed time from each path's origin.
    Origin,
}

/// A comparison as `detente compare` asks for it.
#[derive(Debug, Clone)]
pub struct ComparisonRun {
    /// Scenario file to run, or a results folder whose paths are compared.
    pub source: PathBuf,
    /// Which runs of a scenario file (unused for a folder).
    pub select: Selection,
    /// Reference history.
    pub reference: PathBuf,
    /// Tracked dyad, `a-b` in either order (None: the scenario's only one).
    pub dyad: Option<String>,
    /// How the paths are lined up.
    pub align: Align,
    /// Reference date month 0 stands for, with origin alignment (None: the reference's first row).
    pub origin: Option<String>,
    /// Stages scored (empty: every stage the reference reaches above its first).
    pub stages: Vec<u8>,
    /// Months added to the timing error of a run that never reached a stage the reference reached.
    pub censor_penalty_months: f64,
    /// Output folder (None: `results/compare/<scenario>-<reference>`, or
    /// `compare-<reference>` inside a results folder).
    pub out: Option<PathBuf>,
    /// Whether a finished comparison in the output folder may be replaced.
    pub replace: Replace,
}

/// What the manifest of a comparison records besides the common fields.
#[derive(Debug, Serialize)]
pub struct CompareDetails {
    /// Reference history.
    pub reference: String,
    /// Its SHA-256.
    pub reference_sha256: String,
    /// The dyad compared.
    pub dyad: String,
    /// `calendar` or `origin:<date>`.
    pub alignment: String,
    /// Stages scored.
    pub stages: Vec<u8>,
    /// Months added for a stage never reached.
    pub censor_penalty_months: f64,
    /// The results folder's `timeseries.csv` compared, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Its SHA-256.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_sha256: Option<String>,
}

impl ComparisonRun {
    fn details(
        &self,
        dyad: &str,
        alignment: &str,
        spec: &CompareSpec<'_>,
        source: Option<&Path>,
    ) -> CompareDetails {
        CompareDetails {
            reference: self.reference.display().to_string(),
            reference_sha256: file_sha256(&self.reference),
            dyad: dyad.to_string(),
            alignment: alignment.to_string(),
            stages: spec.stages.clone(),
            censor_penalty_months: self.censor_penalty_months,
            source: source.map(|s| s.display().to_string()),
            source_sha256: source.map(file_sha256),
        }
    }

    /// The comparison asked for, and its alignment label for the outputs.
    fn spec<'a>(&self, reference: &'a ReferencePath, top: u8) -> Result<(CompareSpec<'a>, String), JobError> {
        let alignment = match self.align {
            Align::Calendar => Alignment::Calendar,
            Align::Origin => Alignment::Origin {
                reference_origin: match &self.origin {
                    Some(text) => {
                        Date::parse(text).map_err(|e| JobError::Invalid(format!("--origin: {e}")))?
                    }
                    None => reference.origin(),
                },
            },
        };
        let mut spec = CompareSpec::new(reference, alignment, self.censor_penalty_months);
        if !self.stages.is_empty() {
            if let Some(bad) = self.stages.iter().find(|s| **s > top) {
                bail!("--stages: {bad} is not a rung of the ladder (0..{top})");
            }
            spec.stages = self.stages.clone();
        }
        let label = match alignment {
            Alignment::Calendar => "calendar".to_string(),
            Alignment::Origin { reference_origin } => format!("origin:{reference_origin}"),
        };
        Ok((spec, label))
    }
}

/// Runs a comparison: the scenario's runs on `pool`, or a folder's stored paths.
pub fn run(
    run: &ComparisonRun,
    pool: &Pool,
    stop: &AtomicBool,
    progress: &dyn Progress,
) -> Result<Report, JobError> {
    if run.source.is_dir() {
        return compare_folder(run);
    }
    let scenario = load_one(&run.source)?;
    let scenarios = std::slice::from_ref(&scenario);
    let reference = load_reference(&run.reference, scenario.base.world.ladder.len())?;
    let (spec, alignment_label) = run.spec(&reference, scenario.base.world.ladder.top())?;
    let dyad = pick_dyad(&scenario, run.dyad.as_deref())?;
    let plan = Plan::new(scenarios, &run.select, &[])?;
    let jobs = plan.jobs();
    let total: u64 = jobs.iter().map(|j| j.replications).sum();
    let clock = Clock::start();
    progress.start(total, "runs", 0);
    let dyads = vec![dyad; jobs.len()];
    // Only a stop can end the runs early (the comparison itself cannot fail).
    let results = run_and_compare(&jobs, &dyads, &spec, pool, stop, |n| progress.advance(n))
        .map_err(|_| JobError::Interrupted("compare interrupted; nothing was written".into()))?;
    progress.finish();
    let label = &scenario.base.tracked[dyad].label;
    let keyed: Vec<(CompareKey, JobComparison)> = plan
        .entries
        .iter()
        .zip(results)
        .map(|(e, c)| {
            let key = CompareKey {
                scenario: scenario.name.clone(),
                variant: e.variant.to_string(),
                dyad: label.clone(),
                reference: reference.name.clone(),
                alignment: alignment_label.clone(),
            };
            (key, c)
        })
        .collect();
    let target = run.out.clone().unwrap_or_else(|| {
        let name = format!("{}-{}", safe_name(&scenario.name), safe_name(&reference.name));
        Path::new("results/compare").join(what_if_name(&name, &run.select.sets))
    });
    let folder = match open_out(&target, false, &run.replace)? {
        Opened::Work(f) | Opened::Fresh(f) => f,
        Opened::Done(report) => return Ok(report),
    };
    let out = folder.dir().to_path_buf();
    let paths = write(&out, &keyed).with_context(|| format!("cannot write to {}", target.display()))?;
    let details = run.details(label, &alignment_label, &spec, None);
    Manifest::new(
        "compare",
        command_line(),
        plan.manifest_entries(),
        pool.threads(),
        clock.timing(),
        total,
        &paths,
        details,
    )
    .write(&out)?;
    let notes = folder.commit()?;
    Ok(Report { notes, ..report(&keyed, &target) })
}

/// Compares the stored paths of a finished batch.
fn compare_folder(run: &ComparisonRun) -> Result<Report, JobError> {
    let clock = Clock::start();
    let source = run.source.join("timeseries.csv");
    let Some(dyad) = run.dyad.as_deref() else { bail!("comparing a results folder needs --dyad a-b") };
    // Read under the folder's lock, so a run replacing it cannot mix two runs' rows.
    let (paths, ladder_len) = {
        let _locks = settle(&run.source, "detente compare (reading this folder)")?;
        let ladder_len = folder_ladder_len(&run.source).map_err(JobError::Invalid)?;
        (read_full_timeseries(&source, dyad, ladder_len).map_err(JobError::Invalid)?, ladder_len)
    };
    let reference = load_reference(&run.reference, ladder_len)?;
    let (spec, alignment_label) = run.spec(&reference, (ladder_len - 1) as u8)?;
    let mut keyed: Vec<(CompareKey, JobComparison)> = Vec::new();
    for p in &paths {
        let d = spec.distance(SimPath { start: p.start, stages: &p.stages });
        let new_job = keyed.last().is_none_or(|(k, _)| k.scenario != p.scenario || k.variant != p.variant);
        if new_job {
            let key = CompareKey {
                scenario: p.scenario.clone(),
                variant: p.variant.clone(),
                dyad: p.dyad.clone(),
                reference: reference.name.clone(),
                alignment: alignment_label.clone(),
            };
            keyed.push((key, JobComparison { runs: Vec::new(), stages: spec.stages.clone() }));
        }
        if let Some((_, job)) = keyed.last_mut() {
            job.runs.push((p.replicate, p.seed, d));
        }
    }
    let target =
        run.out.clone().unwrap_or_else(|| run.source.join(format!("compare-{}", safe_name(&reference.name))));
    let folder = match open_out(&target, false, &run.replace)? {
        Opened::Work(f) | Opened::Fresh(f) => f,
        Opened::Done(report) => return Ok(report),
    };
    let out = folder.dir().to_path_buf();
    let files = write(&out, &keyed).with_context(|| format!("cannot write to {}", target.display()))?;
    let details = run.details(dyad, &alignment_label, &spec, Some(&source));
    Manifest::new(
        "compare",
        command_line(),
        Vec::new(),
        0,
        clock.timing(),
        paths.len() as u64,
        &files,
        details,
    )
    .write(&out)?;
    let notes = folder.commit()?;
    Ok(Report { notes, ..report(&keyed, &target) })
}

/// The table of timing errors and where the files went.
fn report(keyed: &[(CompareKey, JobComparison)], out: &Path) -> Report {
    let mut text = table(keyed);
    let _ = writeln!(text, "results in {}", out.display());
    Report { text, ..Report::default() }
}

/// Per compared job, its timing errors by stage, as the command prints them.
fn table(jobs: &[(CompareKey, JobComparison)]) -> String {
    let mut out = String::new();
    for (key, job) in jobs {
        let s = job.summary();
        let _ = writeln!(
            out,
            "{} / {} / {} vs {} ({}), {} runs",
            key.scenario, key.variant, key.dyad, key.reference, key.alignment, s.runs
        );
        let _ = writeln!(
            out,
            "  stage  reference_y  error_y_p10  error_y_median  error_y_p90  share_faster  share_censored"
        );
        let y = |m: Option<f64>| m.map_or("-".to_string(), |m| format!("{:.1}", m / 12.0));
        let pct = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{:.0}%", x * 100.0));
        for st in &s.stages {
            let _ = writeln!(
                out,
                "  {:>5}  {:>11}  {:>11}  {:>14}  {:>11}  {:>12}  {:>14}",
                st.stage,
                y(st.reference_months),
                y(st.error_months[0]),
                y(st.error_months[1]),
                y(st.error_months[2]),
                pct(st.share_faster),
                pct(st.share_censored)
            );
        }
        let _ = writeln!(
            out,
            "  area between paths (stage-years) median {}, final stage matches in {} of runs, \
             identical path in {}, window {} months",
            s.area_stage_years[1].map_or("-".into(), |a| format!("{a:.1}")),
            pct(s.share_final_match),
            pct(s.share_identical),
            s.window_months
        );
    }
    out
}
