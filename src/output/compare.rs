//! `compare_runs.csv` and `compare_summary.csv`.

use std::path::{Path, PathBuf};

use super::{CsvFile, OutputError};
use crate::compare::{ComparisonSummary, JobComparison, QUANTILES};

/// Identifies one compared job in the output rows.
#[derive(Debug, Clone)]
pub struct CompareKey {
    /// Scenario name.
    pub scenario: String,
    /// Variant name.
    pub variant: String,
    /// Dyad label.
    pub dyad: String,
    /// Reference name (file stem).
    pub reference: String,
    /// `calendar` or `origin:<date>`.
    pub alignment: String,
}

const QNAMES: [&str; 3] = ["p10", "median", "p90"];

/// Writes both files into `dir`; returns their paths.
pub fn write(dir: &Path, jobs: &[(CompareKey, JobComparison)]) -> Result<Vec<PathBuf>, OutputError> {
    let stages = jobs.first().map(|(_, c)| c.stages.clone()).unwrap_or_default();
    let key_cols = ["scenario", "variant", "dyad", "reference", "alignment"];
    let mut h: Vec<String> = key_cols.map(String::from).to_vec();
    h.extend(["replicate", "run_seed"].map(String::from));
    for s in &stages {
        for c in ["reference_months", "simulated_months", "error_months", "censored", "pace_ratio"] {
            h.push(format!("stage_{s}_{c}"));
        }
    }
    h.extend(
        ["area_stage_years", "max_abs_stage_gap", "final_stage_match", "window_months"].map(String::from),
    );
    let mut runs = CsvFile::create(&dir.join("compare_runs.csv"), &h)?;

    let mut h: Vec<String> = key_cols.map(String::from).to_vec();
    h.push("runs".into());
    for s in &stages {
        h.push(format!("stage_{s}_reference_months"));
        for q in QNAMES {
            h.push(format!("stage_{s}_error_months_{q}"));
        }
        for q in QNAMES {
            h.push(format!("stage_{s}_pace_ratio_{q}"));
        }
        h.push(format!("stage_{s}_share_faster"));
        h.push(format!("stage_{s}_share_censored"));
    }
    for q in QNAMES {
        h.push(format!("area_stage_years_{q}"));
    }
    h.extend(["share_final_stage_match", "share_identical_path", "window_months"].map(String::from));
    let mut summary = CsvFile::create(&dir.join("compare_summary.csv"), &h)?;

    let keys = |f: &mut CsvFile, k: &CompareKey| {
        f.text(&k.scenario).text(&k.variant).text(&k.dyad).text(&k.reference).text(&k.alignment);
    };
    for (key, job) in jobs {
        for (replicate, seed, d) in &job.runs {
            keys(&mut runs, key);
            runs.int(*replicate).int(*seed);
            for t in &d.stages {
                runs.opt_num(t.reference_months).opt_num(t.simulated_months).opt_num(t.error_months);
                if t.error_months.is_some() {
                    runs.int(u8::from(t.censored));
                } else {
                    runs.empty();
                }
                runs.opt_num(t.pace_ratio);
            }
            runs.num(d.area_stage_years).int(d.max_abs_stage_gap);
            match d.final_stage_match {
                Some(m) => runs.int(u8::from(m)),
                None => runs.empty(),
            };
            runs.int(d.window_months);
            runs.end_row()?;
        }
        let s: ComparisonSummary = job.summary();
        keys(&mut summary, key);
        summary.int(s.runs);
        for st in &s.stages {
            summary.opt_num(st.reference_months);
            for x in st.error_months.iter().chain(&st.pace_ratio) {
                summary.opt_num(*x);
            }
            summary.opt_num(st.share_faster).opt_num(st.share_censored);
        }
        for x in s.area_stage_years {
            summary.opt_num(x);
        }
        summary.opt_num(s.share_final_match).opt_num(s.share_identical).int(s.window_months);
        summary.end_row()?;
    }
    debug_assert_eq!(QUANTILES.len(), QNAMES.len());
    let paths = vec![runs.path().to_path_buf(), summary.path().to_path_buf()];
    runs.commit()?;
    summary.commit()?;
    Ok(paths)
}
