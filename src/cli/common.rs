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
