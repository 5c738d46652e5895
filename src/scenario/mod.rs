//! Scenario files: reading, validating, and compiling them into setups.
//!
//! `scenario` is the only module that knows TOML. [`load`] reads a file,
//! reports every problem as `file:line:col: key: message` (unknown keys,
//! wrong types, out-of-range values, unknown ids, dates outside the horizon)
//! and returns an immutable [`Scenario`]: the baseline [`Setup`] and one per
//! named variant. The format is documented in `docs/SCENARIOS.md`.

mod build;
pub mod diagnostic;
pub mod edit;
pub mod schema;
pub mod source;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use build::SWEEP_DESIGNS;
pub use diagnostic::{Diagnostic, Diagnostics, KeyPath};
use source::Source;

use crate::model::{Field, Prior, Setup};

/// A validated scenario file.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// `[scenario].name`.
    pub name: String,
    /// `[scenario].description`.
    pub description: String,
    /// `[run] replications` as written; `job::defaults` fills it in for
    /// every command that runs the file.
    pub replications: Option<u64>,
    /// Default master seed.
    pub seed: u64,
    /// Cut-offs at which stage probabilities are reported (`report_years`).
    pub report_years: Vec<crate::calendar::By>,
    /// The baseline setup.
    pub base: Setup,
    /// The baseline (first, named `baseline`) and every named variant.
    pub variants: Vec<Variant>,
    /// `[calibration]` settings, if the file has them.
    pub calibration: Option<CalibrationConfig>,
    /// `[sweep]` settings, if the file has them.
    pub sweep: Option<SweepConfig>,
    /// File it was read from.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

/// A named variant: the baseline with overrides and extra events.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Name, unique in its file.
    pub name: String,
    /// What it assumes.
    pub description: String,
    /// Key paths set, with their values, in key order.
    pub overrides: Vec<(String, f64)>,
    /// The compiled setup.
    pub setup: Setup,
}

/// `[calibration]` as validated; every setting optional so the command line can fill in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CalibrationConfig {
    /// Reference CSV, relative to the scenario file.
    pub reference: Option<String>,
    /// Dyad label.
    pub dyad: Option<String>,
    /// Further (dyad label, reference CSV) histories, each a case of its own.
    pub histories: Vec<(String, String)>,
    /// Last month the histories cover, if before the scenario's end.
    pub until: Option<crate::calendar::YearMonth>,
    /// `calendar` or `origin`.
    pub align: Option<String>,
    /// Origin date text.
    pub origin: Option<String>,
    /// `rejection` or `smc`.
    pub method: Option<String>,
    /// Replications per candidate.
    pub replications: Option<u64>,
    /// Population size.
    pub particles: Option<u64>,
    /// SMC rounds after the first.
    pub rounds: Option<u64>,
    /// Proposals per SMC round after the first.
    pub proposals: Option<u64>,
    /// Evaluation budget.
    pub max_evaluations: Option<u64>,
    /// Censoring penalty in months.
    pub censor_penalty_months: Option<f64>,
    /// Priors in key order.
    pub priors: Vec<Prior>,
}

/// `[sweep]` as validated; every setting optional so the command line can fill in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SweepConfig {
    /// Design name (`factorial`, `zip`, `lhs`, `sobol`, `morris`).
    pub design: Option<String>,
    /// Base sample size.
    pub points: Option<u64>,
    /// Levels per range (factorial) or grid levels (Morris).
    pub levels: Option<u64>,
    /// Replications per design point.
    pub replications: Option<u64>,
    /// Common random numbers across points.
    pub crn: Option<bool>,
    /// Ranges in key order (a [`Prior`] is a key path with bounds).
    pub ranges: Vec<Prior>,
    /// Value lists in key order: key path, resolved field, values.
    pub values: Vec<(String, Field, Vec<f64>)>,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file has problems; every one is listed.
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let bytes = crate::input::read(path, crate::input::SCENARIO_CAP)
        .map_err(|source| ScenarioError::Io { path: path.to_path_buf(), source })?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let source = Source::new(String::from_utf8_lossy(e.as_bytes()).into_owned());
            let (line, col) = source.line_col(offset);
            return Err(ScenarioError::Invalid(Diagnostics(vec![Diagnostic::new(
                path,
                line,
                col,
                "(file)",
                "expected UTF-8 text",
            )])));
        }
    };
    let mut scenario = parse(path, text)?;
    scenario.sha256 = sha256;
    Ok(scenario)
}

/// Validates scenario text; `path` is used in messages only.
pub fn parse(path: &Path, text: String) -> Result<Scenario, ScenarioError> {
    let source = Source::new(text);
    let (raw, syntax) = source::parse_all::<schema::RawScenario>(&source);
    let mut diags: Vec<Diagnostic> = syntax
        .into_iter()
        .map(|l| {
            let (line, col) = source.line_col(l.span.start);
            let key = if l.key.is_empty() { "(file)".to_string() } else { l.key };
            Diagnostic::new(path, line, col, &key, &l.message)
        })
        .collect();
    let mut problems = build::Problems::default();
    let scenario = raw.and_then(|raw| build::build(raw, &mut problems));
    for (at, message) in problems.0 {
        let (line, col) = source.line_col(source.locate(&at).start);
        diags.push(Diagnostic::new(path, line, col, &at.to_string(), &message));
    }
    diags.sort_by_key(|d| (d.line, d.col));
    diags.dedup();
    match scenario {
        Some(mut s) if diags.is_empty() => {
            s.path = path.to_path_buf();
            Ok(s)
        }
        _ if diags.is_empty() => unreachable!("a scenario that failed to build has a diagnostic"),
        _ => Err(ScenarioError::Invalid(Diagnostics(diags))),
    }
}

impl Scenario {
    /// The variant named `name`.
    pub fn variant(&self, name: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.name == name)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
