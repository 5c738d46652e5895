//! `manifest.json`: what produced an output folder.
//!
//! Tool version, command line, scenario files with their SHA-256, master
//! seed, replications, threads, start and end time. Timings and host facts
//! live here and only here, never in the CSV files, so the CSVs stay
//! byte-identical between machines and thread counts.

use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{AtomicFile, OutputError};

/// A scenario file that fed the batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioEntry {
    /// Path as given.
    pub path: String,
    /// `[scenario].name`.
    pub name: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Master seed used for it.
    pub seed: u64,
    /// Variants run.
    pub variants: Vec<String>,
    /// Replications per variant.
    pub replications: u64,
    /// What the scenario covers and assumes, for reports read away from the
    /// scenario file (absent in manifests of commands that do not write it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<ScenarioAbout>,
}

/// The facts a report states about a scenario: its calendar span, what each
/// variant assumes and the actors' display names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScenarioAbout {
    /// First simulated month, `YYYY-MM`.
    pub start: String,
    /// Last simulated month (the horizon), `YYYY-MM`.
    pub end: String,
    /// `[variants.<name>].description` per variant, in the order of `variants`.
    pub descriptions: Vec<String>,
    /// Actor id to display name (`us` → `United States`).
    pub actors: std::collections::BTreeMap<String, String>,
}

impl ScenarioAbout {
    /// The facts of `scenario` for the variants named, in that order.
    pub fn of<'a>(scenario: &crate::scenario::Scenario, variants: impl IntoIterator<Item = &'a str>) -> Self {
        let base = &scenario.base;
        let descriptions = variants
            .into_iter()
            .map(|name| {
                scenario
                    .variants
                    .iter()
                    .find(|v| v.name == name)
                    .map(|v| v.description.clone())
                    .unwrap_or_default()
            })
            .collect();
        ScenarioAbout {
            start: base.start.to_string(),
            end: base.month(base.horizon).to_string(),
            descriptions,
            actors: base.world.actors.iter().map(|a| (a.id.clone(), a.name.clone())).collect(),
        }
    }
}

/// When a command started and finished, and the wall time between.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Start time.
    pub started: SystemTime,
    /// End time.
    pub finished: SystemTime,
    /// Wall time in seconds (from a monotonic clock).
    pub elapsed_seconds: f64,
}

/// The manifest of an output folder; `D` is what the command records
/// besides (its options, where it stopped, what it found), a typed struct
/// per command so that what is written is also what is read back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest<D> {
    /// `detente`.
    pub tool: String,
    /// Crate version.
    pub version: String,
    /// Subcommand that wrote the folder.
    pub command: String,
    /// Full command line.
    pub command_line: Vec<String>,
    /// Scenario files.
    pub scenarios: Vec<ScenarioEntry>,
    /// Worker threads.
    pub threads: usize,
    /// Start time, UTC, RFC 3339.
    pub started_utc: String,
    /// End time, UTC, RFC 3339.
    pub finished_utc: String,
    /// Wall time in seconds.
    pub elapsed_seconds: f64,
    /// Runs completed.
    pub runs: u64,
    /// Runs per second of wall time.
    pub runs_per_second: f64,
    /// Output files written (names within the folder).
    pub files: Vec<String>,
    /// What the subcommand records besides.
    pub details: D,
}

impl<D: Serialize> Manifest<D> {
    /// The manifest of a `command` (typed as `command_line`) that ran `runs`
    /// simulations in `timing` and wrote `files`. The caller reads the clock
    /// and the command line; this module only formats what it is given.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        command: &str,
        command_line: Vec<String>,
        scenarios: Vec<ScenarioEntry>,
        threads: usize,
        timing: Timing,
        runs: u64,
        files: &[std::path::PathBuf],
        details: D,
    ) -> Manifest<D> {
        let elapsed_seconds = timing.elapsed_seconds;
        Manifest {
            tool: "detente".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command: command.into(),
            command_line,
            scenarios,
            threads,
            started_utc: rfc3339(timing.started),
            finished_utc: rfc3339(timing.finished),
            elapsed_seconds,
            runs,
            runs_per_second: runs as f64 / elapsed_seconds.max(1e-9),
            files: files
                .iter()
                .filter_map(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect(),
            details,
        }
    }

    /// Writes the manifest to `dir/manifest.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<(), OutputError> {
        let path = dir.join("manifest.json");
        let mut file = AtomicFile::create(&path)?;
        let text = serde_json::to_string_pretty(self).map_err(|e| OutputError::new(&path, e.into()))?;
        file.write_all(text.as_bytes()).map_err(|e| OutputError::new(&path, e))?;
        file.write_all(b"\n").map_err(|e| OutputError::new(&path, e))?;
        file.commit()
    }
}

/// Reads `dir/manifest.json` with the details a command wrote; details of
/// another shape are an error.
pub fn read_manifest<D: serde::de::DeserializeOwned>(dir: &Path) -> Result<Manifest<D>, OutputError> {
    super::read_json(&dir.join("manifest.json"))
}

/// SHA-256 of a file's bytes in lowercase hex, or empty if it cannot be read.
pub fn file_sha256(path: &Path) -> String {
    std::fs::read(path).map(|b| sha256_hex(&b)).unwrap_or_default()
}

/// SHA-256 of `bytes` in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|x| format!("{x:02x}")).collect()
}

/// `time` as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm), proleptic Gregorian.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_utc_times() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400 + 3661)), "2000-02-29T01:01:01Z");
    }
}
