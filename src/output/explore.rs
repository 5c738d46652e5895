//! The CSV files of scenario exploration: `points.csv` and the point-keyed
//! `runs.csv` of `detente sweep`, `sensitivity.csv` and `discovery.csv`.
//!
//! Column sets are documented in `docs/EXPLORE.md`; this file and that one
//! change together. Rows arrive in design-point order and, within a point,
//! replicate order, so the bytes do not depend on the thread count.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::batch::{dyad_outcome_columns, write_dyad_outcome};
use super::{CsvFile, FileMark, Opening, OutputError};
use crate::batch::RunResult;
use crate::calendar::By;
use crate::explore::analysis::{direction, Discovery, SensitivityRow};
use crate::explore::outcome::{scalar_names, PointAcc};
use crate::model::Setup;

/// The cut-offs that fall within the setup's months, in the given order,
/// with the last month index each counts.
fn years_within(setup: &Setup, report_years: &[By]) -> Vec<(String, u32)> {
    report_years
        .iter()
        .filter_map(|y| Some((y.label().to_string(), y.month_index(setup.start, setup.horizon)?)))
        .collect()
}

/// `runs.csv` of a sweep: one row per run and tracked dyad, keyed by design point.
pub struct SweepRunsWriter {
    file: CsvFile,
    rungs: usize,
    dates: Vec<String>,
}

impl SweepRunsWriter {
    /// Opens `dir/runs.csv` for runs of `setup` (any point: the ladder,
    /// clock and tracked dyads are the same at every point) with one column
    /// per swept key path.
    pub fn open(
        dir: &Path,
        setup: &Setup,
        param_keys: &[String],
        how: Opening<'_>,
    ) -> Result<Self, OutputError> {
        let rungs = setup.world.ladder.len();
        let mut h: Vec<String> =
            ["scenario", "variant", "point", "replicate", "run_seed"].map(String::from).to_vec();
        h.extend(dyad_outcome_columns(rungs));
        h.extend(param_keys.iter().cloned());
        let dates = (0..=setup.horizon).map(|t| setup.month(t).first_day().to_string()).collect();
        Ok(SweepRunsWriter { file: CsvFile::open(&dir.join("runs.csv"), &h, how)?, rungs, dates })
    }

    /// Writes the rows of `runs` at design point `point` with parameter values `values`.
    pub fn write(
        &mut self,
        names: (&str, &str),
        point: usize,
        setup: &Setup,
        values: &[f64],
        runs: &[RunResult],
    ) -> Result<(), OutputError> {
        for run in runs {
            let attacks: u32 = run.outcome.groups.iter().map(|g| g.attacks).sum();
            let peak: f64 = run.outcome.groups.iter().map(|g| g.peak_strength).sum();
            let last: f64 = run.outcome.groups.iter().map(|g| g.final_strength).sum();
            for (d, tr) in run.outcome.dyads.iter().zip(&setup.tracked) {
                let f = &mut self.file;
                f.text(names.0).text(names.1).int(point).int(run.replicate).int(run.seed);
                write_dyad_outcome(f, setup, tr, d, (attacks, peak, last), self.rungs, &self.dates);
                for &v in values {
                    f.num(v);
                }
                f.end_row()?;
            }
        }
        Ok(())
    }
}

/// `points.csv`: one row per design point.
pub struct PointsWriter {
    file: CsvFile,
    scalars: usize,
    dyads: usize,
    rungs: usize,
    years: Vec<(String, u32)>,
}

impl PointsWriter {
    /// Opens `dir/points.csv` for a sweep of `setup` over `param_keys`.
    pub fn open(
        dir: &Path,
        setup: &Setup,
        report_years: &[By],
        param_keys: &[String],
        how: Opening<'_>,
    ) -> Result<Self, OutputError> {
        let years = years_within(setup, report_years);
        let rungs = setup.world.ladder.len();
        let mut h = vec!["point".to_string()];
        h.extend(param_keys.iter().cloned());
        h.push("n".into());
        let scalars = scalar_names(setup);
        for s in &scalars {
            for suffix in ["mean", "sd", "ci95_low", "ci95_high"] {
                h.push(format!("{s}_{suffix}"));
            }
        }
        for t in &setup.tracked {
            for s in 1..rungs {
                for (y, _) in &years {
                    h.push(format!("{}_stage_{s}_p_by_{y}", t.label));
                }
                h.push(format!("{}_stage_{s}_months_median", t.label));
            }
        }
        Ok(PointsWriter {
            file: CsvFile::open(&dir.join("points.csv"), &h, how)?,
            scalars: scalars.len(),
            dyads: setup.tracked.len(),
            rungs,
            years,
        })
    }

    /// Writes the row of design point `point`.
    pub fn write(&mut self, point: usize, values: &[f64], acc: &PointAcc) -> Result<(), OutputError> {
        let f = &mut self.file;
        f.int(point);
        for &v in values {
            f.num(v);
        }
        f.int(acc.runs());
        for k in 0..self.scalars {
            match acc.scalar(k) {
                Some(s) => {
                    f.num(s.mean);
                    match s.spread {
                        Some(sp) => f.num(sp.sd).num(sp.ci_lo).num(sp.ci_hi),
                        None => f.empty().empty().empty(),
                    };
                }
                None => {
                    f.empty().empty().empty().empty();
                }
            }
        }
        for d in 0..self.dyads {
            for s in 1..self.rungs {
                for &(_, m) in &self.years {
                    f.opt_num(acc.share_by(d, s, m));
                }
                f.opt_num(acc.months_median(d, s).map(f64::from));
            }
        }
        f.end_row()
    }
}

/// The row files of a design run: `points.csv` and, unless the command
/// keeps only the points, `runs.csv`.
pub struct DesignFiles {
    /// One row per design point.
    pub points: PointsWriter,
    /// One row per run and tracked dyad.
    pub runs: Option<SweepRunsWriter>,
}

impl DesignFiles {
    /// Opens the files in `dir` afresh or where a checkpoint left them.
    pub fn open(
        dir: &Path,
        setup: &Setup,
        report_years: &[By],
        param_keys: &[String],
        with_runs: bool,
        how: Opening<'_>,
    ) -> Result<Self, OutputError> {
        let points = PointsWriter::open(dir, setup, report_years, param_keys, how)?;
        let runs = if with_runs { Some(SweepRunsWriter::open(dir, setup, param_keys, how)?) } else { None };
        Ok(DesignFiles { points, runs })
    }

    fn each(&mut self) -> impl Iterator<Item = &mut CsvFile> {
        std::iter::once(&mut self.points.file).chain(self.runs.as_mut().map(|r| &mut r.file))
    }

    /// Hands every row so far to the system; returns each file's mark
    /// (name, length, SHA-256).
    pub fn sync(&mut self) -> Result<Vec<FileMark>, OutputError> {
        self.each().map(|f| f.mark()).collect()
    }

    /// Appends a row of another `points.csv` (a shard's) as it is.
    pub fn copy_point(&mut self, record: &csv::ByteRecord) -> Result<(), OutputError> {
        self.points.file.copy_row(record)
    }

    /// Appends a row of another `runs.csv` (a shard's) as it is.
    pub fn copy_run(&mut self, record: &csv::ByteRecord) -> Result<(), OutputError> {
        match self.runs.as_mut() {
            Some(r) => r.file.copy_row(record),
            None => Ok(()),
        }
    }

    /// Stops without committing: the temporary files stay for `--resume`.
    pub fn suspend(self) {
        self.points.file.keep();
        if let Some(r) = self.runs {
            r.file.keep();
        }
    }

    /// Commits the files and returns their paths.
    pub fn commit(self) -> Result<Vec<std::path::PathBuf>, OutputError> {
        let mut paths = Vec::new();
        for f in std::iter::once(self.points.file).chain(self.runs.map(|r| r.file)) {
            paths.push(f.path().to_path_buf());
            f.commit()?;
        }
        Ok(paths)
    }
}

/// What a design run folds besides its rows, stored exactly (means as f64
/// bit patterns: a decimal round trip could change the last bit, and with it
/// the sensitivity indices of a resumed or merged run).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DesignState {
    /// `means[m][k]`: measure `m` at the `k`-th point run, as `f64::to_bits`.
    pub means: Vec<Vec<u64>>,
    /// Per run, in run order: its design point and whether the condition held.
    pub cases: Vec<(u32, bool)>,
}

impl DesignState {
    /// The state of the folded `means` and `cases`.
    pub fn of(means: &[Vec<f64>], cases: &[(u32, bool)]) -> DesignState {
        DesignState {
            means: means.iter().map(|m| m.iter().map(|x| x.to_bits()).collect()).collect(),
            cases: cases.to_vec(),
        }
    }

    /// The means as numbers.
    pub fn means(&self) -> Vec<Vec<f64>> {
        self.means.iter().map(|m| m.iter().map(|&b| f64::from_bits(b)).collect()).collect()
    }
}

/// How far a design run got: enough to resume it byte for byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignCheckpoint {
    /// Identifies the run (command, scenario, options, shard); a resume must match it.
    pub fingerprint: String,
    /// First design point not yet written.
    pub next_point: usize,
    /// Runs folded into the written points.
    pub runs_done: u64,
    /// Length and SHA-256 of each temporary file, by file name.
    pub files: Vec<FileMark>,
    /// Means and cases of the written points.
    pub state: DesignState,
}

/// What a shard of a design hands to `detente merge` besides its rows,
/// sealed ([`super::seal`]): which slice of which job it is, each row file
/// as written, and the folded outcomes of its points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignShardState {
    /// The job's fingerprint.
    pub fingerprint: String,
    /// The slice: index and count.
    pub slice: [u64; 2],
    /// Each row file as written.
    pub files: Vec<FileMark>,
    /// Means and cases of the shard's points.
    pub state: DesignState,
}

/// Writes `dir/sensitivity.csv` and returns its path.
pub fn write_sensitivity(dir: &Path, rows: &[SensitivityRow]) -> Result<std::path::PathBuf, OutputError> {
    let h = [
        "outcome",
        "parameter",
        "rank",
        "method",
        "mu_star",
        "mu_star_ci_low",
        "mu_star_ci_high",
        "sigma",
        "first_order",
        "first_order_ci_low",
        "first_order_ci_high",
        "total",
        "total_ci_low",
        "total_ci_high",
        "mu",
        "spearman",
        "direction",
        "outcome_mean",
        "positive_runs",
        "runs",
        "warning",
    ];
    let mut f = CsvFile::create(&dir.join("sensitivity.csv"), &h)?;
    let triple = |f: &mut CsvFile, t: Option<(f64, f64, f64)>| match t {
        Some((a, b, c)) => {
            f.num(a).num(b).num(c);
        }
        None => {
            f.empty().empty().empty();
        }
    };
    for r in rows {
        f.text(&r.outcome).text(&r.parameter);
        match r.rank {
            Some(k) => f.int(k),
            None => f.empty(),
        };
        f.text(r.method);
        triple(&mut f, r.mu_star);
        f.opt_num(r.sigma);
        triple(&mut f, r.first_order);
        triple(&mut f, r.total);
        f.opt_num(r.mu).opt_num(r.spearman).text(direction(r.spearman)).num(r.base.mean);
        match r.base.positive_runs {
            Some(k) => f.int(k),
            None => f.empty(),
        };
        f.int(r.base.runs).text(&r.warning);
        f.end_row()?;
    }
    let path = f.path().to_path_buf();
    f.commit()?;
    Ok(path)
}

/// Writes `dir/discovery.csv` (one row per box of the trajectory) and returns its path.
pub fn write_discovery(
    dir: &Path,
    d: &Discovery,
    names: &[String],
) -> Result<std::path::PathBuf, OutputError> {
    let mut h: Vec<String> = ["step", "chosen", "coverage", "density", "mass", "n_inside", "restricted"]
        .map(String::from)
        .to_vec();
    for n in names {
        h.push(format!("{n}_low"));
        h.push(format!("{n}_high"));
    }
    h.extend(["base_rate", "positive_runs", "warning"].map(String::from));
    let mut f = CsvFile::create(&dir.join("discovery.csv"), &h)?;
    for (step, b) in d.trajectory.iter().enumerate() {
        f.int(step)
            .int(u8::from(step == d.chosen))
            .num(b.coverage)
            .num(b.density)
            .num(b.mass)
            .int(b.n_inside);
        let restricted: Vec<&str> = b.restricted.iter().map(|&k| names[k].as_str()).collect();
        f.text(&restricted.join(" "));
        for &(lo, hi) in &b.limits {
            f.num(lo).num(hi);
        }
        f.num(d.base_rate).int(d.positive_runs).text(&d.warning);
        f.end_row()?;
    }
    let path = f.path().to_path_buf();
    f.commit()?;
    Ok(path)
}
