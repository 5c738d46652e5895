//! Runs the built `detente` binary in a throwaway folder and compares text.
//!
//! [`Workdir`] owns a temporary directory that is the working directory of
//! every command it runs, so relative output paths (`results/...`) land in
//! it and vanish with it. [`Output`] holds what a run printed and its exit
//! code; every run is checked for a panic message, because the binary must
//! never panic on any input. [`assert_text_eq`] prints a line diff on
//! mismatch, and [`check_golden`] compares against a committed file or,
//! with `UPDATE_EXPECT=1`, rewrites it (rust-analyzer's convention).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The crate root (where `Cargo.toml`, `scenarios/` and `tests/data/` live).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/data/`.
pub fn data(rel: &str) -> PathBuf {
    repo_root().join("tests/data").join(rel)
}

/// The shipped Vietnam scenario.
pub fn vietnam() -> PathBuf {
    repo_root().join("scenarios/reference-class/us_vietnam_1975.toml")
}

/// Whether the slow tests run: the full matrix of signals (SIGINT, SIGTERM,
/// SIGKILL) sent to every long command while it runs, which races a real
/// signal against a real process. `DETENTE_SLOW_TESTS=1 cargo test` runs
/// them; the default suite interrupts every command deterministically
/// instead (`tests/it/interrupt.rs`).
pub fn slow_tests() -> bool {
    let on = slow_tests_enabled();
    if !on {
        eprintln!("not run: a signal test; DETENTE_SLOW_TESTS=1 runs it");
    }
    on
}

/// Whether `DETENTE_SLOW_TESTS=1` is set, without a note.
pub fn slow_tests_enabled() -> bool {
    std::env::var_os("DETENTE_SLOW_TESTS").is_some_and(|v| v == "1")
}

/// The shipped Afghanistan scenario, if it exists (it is being written).
pub fn afghanistan() -> Option<PathBuf> {
    Some(repo_root().join("scenarios/afghanistan/baseline.toml")).filter(|p| p.is_file())
}

/// A workdir holding `tiny.toml` and its invented reference history (as `reference.csv`).
pub fn tiny() -> Workdir {
    let w = Workdir::new();
    w.copy(&data("tiny.toml"), "tiny.toml");
    w.copy(&data("tiny_reference.csv"), "reference.csv");
    w
}

/// The arguments of a sweep of `file` over the raiders' strength alone:
/// `points` points of `runs` replications each, then `extra`.
pub fn raiders_sweep<'a>(file: &'a str, points: &'a str, runs: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "sweep",
        file,
        "--param",
        "actors.raiders.group.strength=0.1:0.9",
        "--points",
        points,
        "-n",
        runs,
    ];
    args.extend_from_slice(extra);
    args
}

/// Waits (at most two minutes) until `ready()` says a process got far
/// enough; panics naming `what` otherwise.
pub fn wait_for(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready() {
        assert!(Instant::now() < deadline, "never got to: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `signal` (`-INT`, `-TERM`, `-KILL`) to the process `pid`.
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill").args([signal, &pid.to_string()]).status().expect("kill");
    assert!(status.success(), "kill {signal} {pid}");
}

/// A temporary working directory for one test.
pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    /// A fresh, empty directory.
    pub fn new() -> Workdir {
        let dir = tempfile::Builder::new().prefix("detente-it-").tempdir().expect("cannot create a temp dir");
        Workdir { dir }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `rel` inside the directory.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `contents` to `rel` (creating folders) and returns its path.
    pub fn write(&self, rel: &str, contents: &str) -> PathBuf {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("cannot create folder");
        }
        std::fs::write(&path, contents).expect("cannot write file");
        path
    }

    /// Copies `src` to `rel` and returns the new path.
    pub fn copy(&self, src: &Path, rel: &str) -> PathBuf {
        let text = std::fs::read_to_string(src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        self.write(rel, &text)
    }

    /// Reads `rel` as text; panics with the folder listing if it is missing.
    pub fn read(&self, rel: &str) -> String {
        let path = self.join(rel);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; folder holds {:?}", path.display(), self.files()))
    }

    /// Every file below the directory, relative, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![self.path().to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).expect("cannot list folder") {
                let path = entry.expect("cannot list folder").path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(self.path()).expect("below the workdir");
                    out.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        out.sort();
        out
    }

    /// Runs `detente ARGS...` here and returns what it printed.
    pub fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Output {
        self.run_env(&[], args)
    }

    /// Runs `detente ARGS...` here with the environment variables `env` set.
    pub fn run_env<S: AsRef<std::ffi::OsStr>>(&self, env: &[(&str, &str)], args: &[S]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_detente"));
        cmd.args(args).current_dir(self.path()).envs(env.iter().copied());
        let shown = format!(
            "detente {}",
            args.iter().map(|a| a.as_ref().to_string_lossy()).collect::<Vec<_>>().join(" ")
        );
        let out = cmd.output().unwrap_or_else(|e| panic!("cannot start `{shown}`: {e}"));
        let output = Output {
            command: shown,
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(!output.stderr.contains("panicked"), "the binary panicked:\n{output}");
        output
    }

    /// Runs `detente ARGS...` here, stopped as a SIGINT would stop it once
    /// `units` runs (or calibration candidates) have finished: the hidden
    /// `DETENTE_STOP_AFTER` hook, which makes an interruption land at the
    /// same point on every machine.
    pub fn run_stopped_after<S: AsRef<std::ffi::OsStr>>(&self, units: u64, args: &[S]) -> Output {
        self.run_env(&[("DETENTE_STOP_AFTER", &units.to_string())], args)
    }

    /// Starts `detente ARGS...` here without waiting, its output discarded.
    pub fn spawn<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_detente"))
            .args(args)
            .current_dir(self.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start detente")
    }

    /// Starts `detente ARGS...` here, waits (at most two minutes) until
    /// `ready()` says it has got far enough, sends it `signal` (`-INT`,
    /// `-TERM`, `-KILL`) and returns its exit code (None: killed by the signal).
    pub fn interrupt_when(&self, args: &[String], signal: &str, ready: impl Fn() -> bool) -> Option<i32> {
        let mut child = self.spawn(args);
        wait_for(&format!("the point to interrupt `detente {}`", args.join(" ")), ready);
        send_signal(child.id(), signal);
        child.wait().expect("wait").code()
    }
}

impl Default for Workdir {
    fn default() -> Self {
        Workdir::new()
    }
}

/// What a command printed and how it ended.
#[derive(Debug)]
pub struct Output {
    /// The command, for messages.
    pub command: String,
    /// Exit code (None: killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "$ {}\nexit code: {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

impl Output {
    /// Panics unless the command exited with 0.
    pub fn ok(self) -> Output {
        assert_eq!(self.code, Some(0), "expected success:\n{self}");
        self
    }

    /// Panics unless the command exited with `code`.
    pub fn code(self, code: i32) -> Output {
        assert_eq!(self.code, Some(code), "expected exit code {code}:\n{self}");
        self
    }

    /// Lines of stderr that look like diagnostics of `file` (`file:line:col: ...`).
    pub fn diagnostics(&self, file: &str) -> Vec<String> {
        self.stderr.lines().filter(|l| l.starts_with(&format!("{file}:"))).map(String::from).collect()
    }
}

/// Asserts two texts are equal, printing a line diff if not.
#[track_caller]
pub fn assert_text_eq(expected: &str, actual: &str, what: &str) {
    if expected != actual {
        panic!("{what} differs (- expected, + actual):\n{}", diff(expected, actual));
    }
}

/// Compares `actual` with the committed file `path`. With `UPDATE_EXPECT=1`
/// in the environment, writes `actual` to `path` instead and passes.
#[track_caller]
pub fn check_golden(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1") {
        std::fs::write(path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("updated {}", path.display());
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `UPDATE_EXPECT=1 cargo test` to create it", path.display()));
    if expected != actual {
        panic!(
            "{} differs from the output (- expected, + actual):\n{}\n\
             If the change is intended, run `UPDATE_EXPECT=1 cargo test` and review the diff.",
            path.display(),
            diff(&expected, actual)
        );
    }
}

/// A line diff of two texts: `-` lines only in `a`, `+` lines only in `b`,
/// two lines of context around each change. Longest common subsequence on
/// lines, which is fine for the small files tests compare; big inputs fall
/// back to showing the first differing line.
pub fn diff(a: &str, b: &str) -> String {
    let (x, y): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    if x.len() * y.len() > 4_000_000 {
        let k = x.iter().zip(&y).position(|(p, q)| p != q).unwrap_or(x.len().min(y.len()));
        return format!(
            "first difference at line {}:\n- {}\n+ {}\n({} vs {} lines)",
            k + 1,
            x.get(k).unwrap_or(&"<end>"),
            y.get(k).unwrap_or(&"<end>"),
            x.len(),
            y.len()
        );
    }
    // lcs[i][j]: length of the LCS of x[i..] and y[j..].
    let mut lcs = vec![vec![0u32; y.len() + 1]; x.len() + 1];
    for i in (0..x.len()).rev() {
        for j in (0..y.len()).rev() {
            lcs[i][j] = if x[i] == y[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < x.len() || j < y.len() {
        if i < x.len() && j < y.len() && x[i] == y[j] {
            ops.push((' ', x[i]));
            i += 1;
            j += 1;
        } else if i < x.len() && (j == y.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', x[i]));
            i += 1;
        } else {
            ops.push(('+', y[j]));
            j += 1;
        }
    }
    let near_change =
        |k: usize| ops[k.saturating_sub(2)..(k + 3).min(ops.len())].iter().any(|(c, _)| *c != ' ');
    let mut out = String::new();
    let mut skipped = false;
    for (k, (c, line)) in ops.iter().enumerate() {
        if near_change(k) {
            if skipped {
                out.push_str("  ...\n");
                skipped = false;
            }
            let _ = writeln!(out, "{c} {line}");
        } else {
            skipped = true;
        }
    }
    if skipped {
        out.push_str("  ...\n");
    }
    if a.ends_with('\n') != b.ends_with('\n') {
        out.push_str("(the texts differ in their final newline)\n");
    }
    out
}

#[test]
fn diff_shows_changed_lines_with_context() {
    let d = diff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nX\ne\nf\ng\n");
    assert_eq!(d, "  ...\n  b\n  c\n- d\n+ X\n  e\n  f\n  ...\n");
}

/// A parsed CSV file: header and rows of text cells.
#[derive(Debug, Clone)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Parses CSV text; panics if a row's length differs from the header's.
    pub fn parse(text: &str) -> Table {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().expect("a CSV header").iter().map(String::from).collect();
        let rows = reader
            .records()
            .map(|r| r.expect("a well-formed CSV row").iter().map(String::from).collect())
            .collect();
        Table { header, rows }
    }

    /// Index of column `name`; panics with the header if it is missing.
    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column `{name}` in {:?}", self.header))
    }

    /// The cells of column `name`.
    pub fn column(&self, name: &str) -> Vec<&str> {
        let k = self.col(name);
        self.rows.iter().map(|r| r[k].as_str()).collect()
    }
}

/// Whether `s` is an ISO date `YYYY-MM-DD`.
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u32>().unwrap_or(0))
}

/// The ISO date of the first day of month index `m` after the start month `start` (`YYYY-MM`).
pub fn month_date(start: &str, m: u32) -> String {
    let (y, mo) = start.split_once('-').expect("YYYY-MM");
    let ordinal = y.parse::<u32>().expect("year") * 12 + mo.parse::<u32>().expect("month") - 1 + m;
    format!("{:04}-{:02}-01", ordinal / 12, ordinal % 12 + 1)
}

/// Panics if any `.NAME.partial` temporary file is left below `dir`.
#[track_caller]
pub fn assert_no_partials(w: &Workdir) {
    let left: Vec<String> = w.files().into_iter().filter(|f| f.ends_with(".partial")).collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
}

/// The staging folder of the results folder `out`: where an unfinished run
/// of it lives until it is committed (`.NAME.staging` beside it).
pub fn staging(out: &Path) -> PathBuf {
    let name = out.file_name().expect("a folder name").to_string_lossy();
    out.with_file_name(format!(".{name}.staging"))
}
