//! `posterior.csv`, `calibration_summary.csv`, the best-fit scenario file,
//! and the state files of unfinished and sharded calibrations.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{decimal_string, AtomicFile, CsvFile, OutputError};
use crate::calibrate::{exact, Particle, State};
use crate::model::Prior;
use crate::stats::quantile::nearest_rank_weighted;

/// Name of the state file of an unfinished calibration (or a merged round).
pub const STATE_FILE: &str = "calibration-state.json";
/// Name of the file a shard of a round writes its distances to.
pub const SHARD_FILE: &str = "calibration-shard.json";

/// `calibration-state.json`: the state after the last complete round, and
/// the calibration it belongs to (see `job::calibration`); a resume, a
/// `--population` and a merge must match it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateFile {
    /// Identifies the calibration: version, files and options.
    pub fingerprint: String,
    /// Population and diagnostics so far.
    pub state: State,
}

/// `calibration-shard.json`: the distances of one slice of a round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    /// Identifies the calibration, as in [`StateFile`].
    pub fingerprint: String,
    /// Round the proposals belong to.
    pub round: usize,
    /// Index of the slice's first proposal.
    pub first: u64,
    /// The state the round starts from, so a merge needs no other folder.
    pub base: State,
    /// Distance of each proposal of the slice, in order.
    #[serde(with = "exact::vec")]
    pub distances: Vec<f64>,
}

/// Per-parameter posterior statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSummary {
    /// Key path.
    pub key: String,
    /// Weighted mean.
    pub mean: f64,
    /// Weighted 5 %, 50 %, 95 % quantiles.
    pub quantiles: [f64; 3],
    /// Value in the particle closest to the reference.
    pub best: f64,
}

/// Summarises the posterior per parameter.
pub fn summarise(priors: &[Prior], particles: &[Particle]) -> Vec<ParamSummary> {
    let weights: Vec<f64> = particles.iter().map(|p| p.weight).collect();
    let best = particles.iter().min_by(|a, b| a.distance.total_cmp(&b.distance));
    priors
        .iter()
        .enumerate()
        .map(|(k, prior)| {
            let values: Vec<f64> = particles.iter().map(|p| p.values[k]).collect();
            let mean =
                values.iter().zip(&weights).map(|(v, w)| v * w).sum::<f64>() / weights.iter().sum::<f64>();
            let q = |x| nearest_rank_weighted(&values, &weights, x).unwrap_or(f64::NAN);
            ParamSummary {
                key: prior.key.clone(),
                mean,
                quantiles: [q(0.05), q(0.5), q(0.95)],
                best: best.map_or(f64::NAN, |b| b.values[k]),
            }
        })
        .collect()
}

/// Writes posterior.csv and calibration_summary.csv into `dir`.
pub fn write_tables(
    dir: &Path,
    priors: &[Prior],
    particles: &[Particle],
    summary: &[ParamSummary],
) -> Result<Vec<PathBuf>, OutputError> {
    let mut h: Vec<String> = vec!["particle".into()];
    h.extend(priors.iter().map(|p| p.key.clone()));
    h.extend(["distance_years", "weight"].map(String::from));
    let mut post = CsvFile::create(&dir.join("posterior.csv"), &h)?;
    for (i, p) in particles.iter().enumerate() {
        post.int(i);
        for v in &p.values {
            post.num(*v);
        }
        post.num(p.distance).num(p.weight);
        post.end_row()?;
    }
    let h = [
        "parameter",
        "prior_low",
        "prior_high",
        "posterior_mean",
        "posterior_p05",
        "posterior_median",
        "posterior_p95",
        "best_particle",
    ];
    let mut sum = CsvFile::create(&dir.join("calibration_summary.csv"), &h)?;
    for (prior, s) in priors.iter().zip(summary) {
        sum.text(&prior.key).num(prior.low).num(prior.high).num(s.mean);
        for q in s.quantiles {
            sum.num(q);
        }
        sum.num(s.best);
        sum.end_row()?;
    }
    let paths = vec![post.path().to_path_buf(), sum.path().to_path_buf()];
    post.commit()?;
    sum.commit()?;
    Ok(paths)
}

/// Writes the scenario text with a `calibrated` variant that sets every
/// calibrated key path to its posterior median, ready for
/// `detente run FILE --variant calibrated`.
pub fn write_best_fit(
    dest: &Path,
    scenario_text: &str,
    summary: &[ParamSummary],
    note: &str,
) -> Result<(), OutputError> {
    let mut text = scenario_text.trim_end().to_string();
    text.push_str("\n\n# ---------------------------------------------------------------- calibration\n");
    for line in note.lines() {
        text.push_str(&format!("# {line}\n"));
    }
    text.push_str("[[variants]]\nname = \"calibrated\"\n");
    text.push_str("description = \"Posterior medians of the calibrated parameters (detente calibrate).\"\n");
    text.push_str("[variants.set]\n");
    for s in summary {
        text.push_str(&format!("\"{}\" = {}\n", s.key, toml_float(s.quantiles[1])));
    }
    let mut file = AtomicFile::create(dest)?;
    file.write_all(text.as_bytes()).map_err(|e| OutputError::new(dest, e))?;
    file.commit()
}

/// Writes the fitted values of a joint calibration (key paths `params.*`) as
/// `[params.<section>]` tables, with `note` as a comment: ready to paste into
/// a scenario, and the numbers the shipped defaults are set from.
pub fn write_params_table(
    dest: &Path,
    keys: &[String],
    values: &[f64],
    note: &str,
) -> Result<(), OutputError> {
    let mut text = String::new();
    for line in note.lines() {
        text.push_str(&format!("# {line}\n"));
    }
    let mut section = "";
    for (full, value) in keys.iter().zip(values) {
        let key = full.strip_prefix("params.").unwrap_or(full);
        let (sec, name) = key.split_once('.').unwrap_or(("", key));
        if sec != section {
            text.push_str(&format!("\n[params.{sec}]\n"));
            section = sec;
        }
        text.push_str(&format!("{name} = {}\n", toml_float(*value)));
    }
    let mut file = AtomicFile::create(dest)?;
    file.write_all(text.as_bytes()).map_err(|e| OutputError::new(dest, e))?;
    file.commit()
}

/// A decimal TOML reads as a float (it needs a point).
fn toml_float(x: f64) -> String {
    let s = decimal_string(x);
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}
