//! What every command shares: the scenario files it names, the worker
//! threads, the stop flag and its signal handler, the progress bar, and
//! printing a job's report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::batch::Pool;
use crate::job::{Progress, Report};
use crate::output::folder::Replace;

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

/// The files named on a command line, each folder among them replaced by
/// every `*.toml` below it ([`scenario_files`]).
pub fn files_and_folders(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for f in paths {
        if f.is_dir() {
            out.extend(scenario_files(f)?);
        } else {
            out.push(f.clone());
        }
    }
    Ok(out)
}

/// The worker threads of a command, `threads` of them (0: every core), at
/// most [`MAX_THREADS`](crate::job::defaults::MAX_THREADS).
pub fn pool(threads: usize) -> Result<Pool> {
    let max = crate::job::defaults::MAX_THREADS;
    if threads > max {
        anyhow::bail!("--threads {threads}: at most {max} worker threads (0 uses every core)");
    }
    Ok(Pool::new(threads)?)
}

/// Switches on the hidden fault-injection hooks of `output::fault` from
/// `DETENTE_FAULT_KILL_AT` and `DETENTE_FAULT_DISK_BYTES`, for the fault
/// tests; deliberately absent from `--help`.
pub fn install_fault_hooks() {
    let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = number("DETENTE_FAULT_KILL_AT") {
        crate::output::fault::kill_at_step(n);
    }
    if let Some(n) = number("DETENTE_FAULT_DISK_BYTES") {
        crate::output::fault::disk_bytes(n);
    }
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

/// A testing hook, deliberately absent from `--help`: with
/// `DETENTE_STOP_AFTER=N` the stop flag is raised as soon as N units of work
/// (runs, or calibration candidates) have finished, exactly as a SIGINT
/// arriving then would, so tests can interrupt a command at a known point
/// instead of racing a signal against the clock.
const STOP_AFTER: &str = "DETENTE_STOP_AFTER";

/// A progress bar on stderr (hidden when stderr is not a terminal), which
/// also raises the stop flag after [`STOP_AFTER`] units.
pub struct Bar {
    state: Mutex<BarState>,
    stop_after: Option<u64>,
}

struct BarState {
    bar: ProgressBar,
    /// Units finished before this process started (a resumed job).
    resumed_at: u64,
    /// Units this process finished.
    done: u64,
}

impl Bar {
    /// A bar, shown once a job starts.
    pub fn new() -> Bar {
        let stop_after = std::env::var(STOP_AFTER).ok().and_then(|v| v.parse().ok());
        Bar { state: Mutex::new(BarState { bar: ProgressBar::hidden(), resumed_at: 0, done: 0 }), stop_after }
    }

    fn with(&self, f: impl FnOnce(&mut BarState)) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut state);
        if self.stop_after.is_some_and(|n| state.done >= n) {
            stop_flag().store(true, Ordering::SeqCst);
        }
    }
}

impl Progress for Bar {
    fn start(&self, total: u64, unit: &str, done: u64) {
        let bar = ProgressBar::new(total);
        let template = format!(
            "{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{rate}}, ETA {{eta}}) {{msg}}"
        );
        if let Ok(style) = ProgressStyle::with_template(&template) {
            let unit = unit.to_string();
            let rate = move |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&rate(state.per_sec(), &unit));
            };
            bar.set_style(style.progress_chars("=> ").with_key("rate", rate));
        }
        bar.set_position(done);
        self.with(|s| *s = BarState { bar, resumed_at: done, done: 0 });
    }

    fn advance(&self, n: u64) {
        self.with(|s| {
            s.bar.inc(n);
            s.done += n;
        });
    }

    fn set(&self, done: u64, message: &str) {
        self.with(|s| {
            s.bar.set_position(done);
            s.bar.set_message(message.to_string());
            s.done = done.saturating_sub(s.resumed_at);
        });
    }

    fn finish(&self) {
        self.with(|s| s.bar.finish_and_clear());
    }
}

/// A rate for the progress bar, rounded to what a reader needs:
/// "894 runs/s", "12 runs/s", "2.5 runs/s", "1 run every 40 s".
pub fn rate(per_sec: f64, unit: &str) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return format!("- {unit}/s");
    }
    if per_sec >= 10.0 {
        format!("{per_sec:.0} {unit}/s")
    } else if per_sec >= 1.0 {
        format!("{per_sec:.1} {unit}/s")
    } else {
        let one = unit.strip_suffix('s').unwrap_or(unit);
        format!("1 {one} every {:.0} s", 1.0 / per_sec)
    }
}

/// `text` with its control characters made visible, for the terminal: a
/// scenario file or a folder name cannot move the cursor, recolour or
/// clear the screen, or hide what comes before it (`output::cell`).
pub fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    crate::output::cell::escape_control(text)
}

/// `--replace` as the folder life cycle sees it.
pub fn replace(flag: bool) -> Replace {
    if flag {
        Replace::Yes
    } else {
        Replace::No
    }
}

/// `--replace` for a command that always replaces its own earlier results
/// (`hindcast`, `merge`, the default batch): without the flag, only a
/// folder that `command` wrote.
pub fn replace_own(flag: bool, command: &str) -> Replace {
    if flag {
        Replace::Yes
    } else {
        Replace::Own(command.into())
    }
}

/// Prints what a job reports and returns its exit code: 0, or 1 when a
/// calibration's budget ran out before its last round.
pub fn print(report: Report) -> Result<ExitCode> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(safe(&report.text).as_bytes())?;
    out.flush()?;
    for note in &report.notes {
        eprintln!("{}", safe(note));
    }
    Ok(if report.budget_exhausted { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

#[cfg(test)]
mod tests {
    use super::rate;

    #[test]
    fn rates_read_as_whole_numbers() {
        assert_eq!(rate(893.5884, "runs"), "894 runs/s");
        assert_eq!(rate(2.54, "runs"), "2.5 runs/s");
        assert_eq!(rate(0.025, "candidates"), "1 candidate every 40 s");
        assert_eq!(rate(0.0, "runs"), "- runs/s");
    }
}
