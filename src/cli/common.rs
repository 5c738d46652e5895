//! Pieces shared by subcommands: loading scenarios, finding files, progress bars.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::model::Field;
use crate::scenario::{self, Scenario, ScenarioError};

/// Loads every file; on problems prints them all (every file) and fails.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Scenario>> {
    let mut out = Vec::new();
    let mut failed = 0;
    for path in paths {
        match scenario::load(path) {
            Ok(s) => out.push(s),
            Err(ScenarioError::Invalid(diags)) => {
                eprintln!("{diags}");
                failed += diags.0.len();
            }
            Err(e) => {
                eprintln!("{e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        bail!("{failed} problem(s) in the scenario files; nothing was run");
    }
    Ok(out)
}

/// Every `*.toml` below `dir`, sorted.
pub fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).with_context(|| format!("{}: cannot list the folder", d.display()))?;
        for entry in entries {
            let path = entry.with_context(|| format!("{}: cannot list the folder", d.display()))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Parses `KEY=VALUE` overrides and resolves them against a scenario.
pub fn resolve_sets(scenario: &Scenario, sets: &[String]) -> Result<Vec<(String, Field, f64)>> {
    sets.iter()
        .map(|s| {
            let (key, value) = s.split_once('=').with_context(|| format!("--set {s}: expected KEY=VALUE"))?;
            let value: f64 =
                value.trim().parse().with_context(|| format!("--set {s}: {value:?} is not a number"))?;
            let field = Field::resolve(&scenario.base.world, key.trim())
                .map_err(|e| anyhow::anyhow!("--set {s}: {e} (in scenario {})", scenario.path.display()))?;
            field.check(value, &scenario.base.world.ladder).map_err(|e| anyhow::anyhow!("--set {s}: {e}"))?;
            Ok((key.trim().to_string(), field, value))
        })
        .collect()
}

/// A progress bar on stderr (hidden when stderr is not a terminal).
pub fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let template =
        format!("{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {what} ({{per_sec}}, ETA {{eta}})");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Raised by SIGINT or SIGTERM: long commands stop at their next safe point.
static STOP: AtomicBool = AtomicBool::new(false);

/// The stop flag, with the signal handler installed on first use.
pub fn stop_flag() -> &'static AtomicBool {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Without a handler the default action (exit) applies; nothing else is lost.
        let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst));
    });
    &STOP
}

/// A command stopped by SIGINT or SIGTERM; `main` turns it into exit code 130.
#[derive(Debug)]
pub struct Interrupted(pub String);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Interrupted {}

/// A slice `I/N` of a batch, a design or a calibration round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// Slice index, 0-based.
    pub index: u64,
    /// Number of slices.
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| format!("expected I/N such as 0/4, got {s:?}"))?;
        let parse =
            |x: &str| x.trim().parse::<u64>().map_err(|_| format!("expected I/N such as 0/4, got {s:?}"));
        let (index, count) = (parse(i)?, parse(n)?);
        if count == 0 || index >= count {
            return Err(format!("expected 0 <= I < N, got {s:?}"));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// This shard's part of `total` items (replicates, design points,
    /// proposals): a contiguous range, sizes differing by at most one.
    pub fn range(self, total: u64) -> (u64, u64) {
        let at = |i: u64| (total as u128 * i as u128 / self.count as u128) as u64;
        (at(self.index), at(self.index + 1))
    }
}

/// A SHA-256 fingerprint of what identifies a job (tool version, scenario
/// hashes, every option that changes the results), as lowercase hex.
pub fn fingerprint(value: &serde_json::Value) -> String {
    crate::output::manifest::sha256_hex(value.to_string().as_bytes())
}

/// What `--resume` says when `out` holds nothing to resume: whether the run
/// there already finished, or never checkpointed.
pub fn nothing_to_resume(out: &Path) -> String {
    let manifest: Option<serde_json::Value> = crate::output::read_json(&out.join("manifest.json")).ok();
    let finished = manifest.is_some_and(|m| m["details"]["interrupted"].as_bool() != Some(true));
    if finished {
        format!(
            "nothing to resume in {}: the run there has finished (its manifest records no interruption)",
            out.display()
        )
    } else {
        format!("nothing to resume in {}: no checkpoint there; run without --resume to start", out.display())
    }
}

/// A shard folder's manifest, checked to be finished and to record its slice.
pub struct ShardManifest {
    /// The whole `manifest.json`.
    pub manifest: serde_json::Value,
    /// The slice it holds.
    pub shard: Shard,
}

impl ShardManifest {
    /// Reads `path/manifest.json`; an interrupted shard, or a folder not
    /// written with `--shard`, is an error naming the folder.
    pub fn read(path: &Path) -> Result<ShardManifest> {
        let manifest: serde_json::Value = crate::output::read_json(&path.join("manifest.json"))
            .with_context(|| format!("{}: not a shard folder", path.display()))?;
        let details = &manifest["details"];
        if details["interrupted"].as_bool() == Some(true) {
            bail!(
                "{}: this shard was interrupted; run it again (with --resume for a batch or design) before merging",
                path.display()
            );
        }
        let shard: Shard = serde_json::from_value(details["shard"].clone()).ok().with_context(|| {
            format!("{}: the manifest records no shard (was it run with --shard I/N?)", path.display())
        })?;
        Ok(ShardManifest { manifest, shard })
    }

    /// The `details` object of the manifest.
    pub fn details(&self) -> &serde_json::Value {
        &self.manifest["details"]
    }
}

/// One shard folder as `detente merge` sees it.
pub struct ShardMark<'a> {
    /// The folder.
    pub path: &'a Path,
    /// Its slice.
    pub shard: Shard,
    /// What it is a slice of; every shard of one job carries the same.
    pub fingerprint: &'a str,
}

/// Every shard 0..N-1 of one job, each once; otherwise names what is missing,
/// duplicated or foreign, and nothing is merged.
pub fn check_complete(shards: &[ShardMark<'_>]) -> Result<()> {
    let Some(first) = shards.first() else { bail!("no shard folders given") };
    for s in shards {
        if s.fingerprint != first.fingerprint || s.shard.count != first.shard.count {
            bail!(
                "{} and {} belong to different jobs (files, options or shard count differ)",
                first.path.display(),
                s.path.display()
            );
        }
    }
    let n = first.shard.count;
    let mut problems = Vec::new();
    for i in 0..n {
        let holders: Vec<String> =
            shards.iter().filter(|s| s.shard.index == i).map(|s| s.path.display().to_string()).collect();
        match holders.len() {
            0 => problems.push(format!("shard {i}/{n} is missing")),
            1 => {}
            _ => problems.push(format!("shard {i}/{n} is given more than once: {}", holders.join(", "))),
        }
    }
    if !problems.is_empty() {
        bail!("{}; nothing was merged", problems.join("; "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shards_parse_as_i_of_n() {
        assert_eq!("2/5".parse::<Shard>(), Ok(Shard { index: 2, count: 5 }));
        for bad in ["5/5", "1/0", "a/2", "3", "-1/4"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    proptest! {
        /// The N slices of any total are contiguous, cover it exactly once,
        /// and differ in size by at most one: balanced work for every shard.
        #[test]
        fn slices_are_contiguous_balanced_and_cover_everything(total in 0u64..100_000, count in 1u64..300) {
            let mut next = 0;
            let (mut smallest, mut largest) = (u64::MAX, 0);
            for index in 0..count {
                let (lo, hi) = Shard { index, count }.range(total);
                prop_assert_eq!(lo, next);
                prop_assert!(hi >= lo);
                smallest = smallest.min(hi - lo);
                largest = largest.max(hi - lo);
                next = hi;
            }
            prop_assert_eq!(next, total);
            prop_assert!(largest - smallest <= 1);
        }
    }
}
