//! Results that cannot be lost, mixed or forged (issue 11): each defect of
//! the attack on the release binary, as a test of the fault it names.
//!
//! | defect | test |
//! |---|---|
//! | 1 path traversal through the scenario name | `a_scenario_name_cannot_steer_where_results_go` |
//! | 2 `--out` on a folder detente did not write | `a_folder_detente_did_not_write_is_never_written_into` |
//! | 3 two runs into one folder | `a_second_process_is_kept_out_of_a_folder_in_use` |
//! | 4 a full disk during the commit | `a_full_disk_at_any_fill_level_leaves_the_old_run_or_the_new_one`, `a_full_tmpfs_...` |
//! | 5 SIGKILL during the final renames | `a_kill_at_every_commit_step_leaves_one_whole_run_that_resume_finishes` |
//! | 6 a failed resume deletes files | `a_failed_resume_deletes_nothing` |
//! | 7 CSV formula injection | `hostile_names_are_text_to_a_csv_reader`, `hostile_names_are_text_to_libreoffice` |
//! | 8 stale files, what-if runs overwriting the plain run | `a_replaced_folder_keeps_nothing_of_the_earlier_run` |
//! | 9 checkpoints not checked | `an_edited_or_damaged_checkpoint_is_refused` |
//! | 10 merge trusts shard contents | `tampered_or_duplicated_shards_are_refused` |
//! | 11 terminal escapes printed raw | `control_characters_never_reach_the_terminal` |
//! | 12 overrides bypass the file's rules | `every_override_obeys_the_rules_of_the_file` |
//! | 13 report trusts what it reads | `report_refuses_impossible_values_and_leaves_nothing` |
//! | 14 reference with an open quote; stages beyond the ladder | `compare_refuses_an_open_quote_and_stages_beyond_the_ladder` |
//! | 15 no bound on threads | `counts_and_threads_have_bounds` |
//! | 16 no cap on input size | `oversized_and_endless_inputs_are_refused_quickly` |
//! | 17 overflow, 0-based shards, corrupt checkpoint, re-calibration | `counts_and_threads_have_bounds`, `an_edited_or_damaged_checkpoint_is_refused`, `a_calibrated_file_calibrates_again` |

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::workdir::{data, raiders_sweep, send_signal, staging, tiny, wait_for, Table, Workdir};

/// `s` as a TOML basic string, control characters escaped.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `tiny.toml` with another scenario name, written to `file`.
fn tiny_named(w: &Workdir, file: &str, name: &str) -> PathBuf {
    let text = std::fs::read_to_string(data("tiny.toml")).unwrap();
    w.write(file, &text.replace("name = \"tiny\"", &format!("name = {}", toml_str(name))))
}

/// Every file below `dir` with its bytes, by path relative to `dir`.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map(|e| e.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// The run's files of a results folder (without the manifest, whose timings differ).
fn results(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut s = snapshot(dir);
    s.remove("manifest.json");
    s
}

/// Panics unless nothing of an unfinished or half-committed write is left beside `out`.
#[track_caller]
fn assert_settled(out: &Path) {
    let parent = out.parent().unwrap();
    let name = out.file_name().unwrap().to_string_lossy();
    let left: Vec<String> =
        names(parent).into_iter().filter(|n| n.starts_with(&format!(".{name}."))).collect();
    assert!(left.is_empty(), "left beside {}: {left:?}", out.display());
    let partial: Vec<String> = snapshot(out).into_keys().filter(|k| k.contains(".partial")).collect();
    assert!(partial.is_empty(), "temporary files in {}: {partial:?}", out.display());
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// `base` followed by `extra`, as owned arguments.
fn with(base: &[&str], extra: &[&str]) -> Vec<String> {
    [base, extra].concat().iter().map(|a| a.to_string()).collect()
}

/// Changes the last byte `from` of `path` to `to`: an edit in place that
/// keeps the file's length.
fn edit_last(path: &Path, from: u8, to: u8) {
    let mut bytes = std::fs::read(path).unwrap();
    let k = bytes.iter().rposition(|&b| b == from).unwrap();
    bytes[k] = to;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_scenario_name_cannot_steer_where_results_go() {
    let w = tiny();
    w.write("victim/events.csv", "precious");
    w.write("victim/timeseries.csv", "precious");
    let abs = w.join("abs-victim");
    std::fs::create_dir(&abs).unwrap();
    std::fs::write(abs.join("events.csv"), "precious").unwrap();
    let (abs_name, abs_folder) = (abs.display().to_string(), crate_name(&abs));
    let cases = [
        ("../victim", "_victim"),
        (abs_name.as_str(), abs_folder.as_str()),
        ("..", "unnamed"),
        ("a/../../b", "a_.._.._b"),
        ("x\u{1b}[2Jy", "x_[2Jy"),
    ];
    for (k, (name, folder)) in cases.into_iter().enumerate() {
        let file = s(&tiny_named(&w, &format!("hostile{k}.toml"), name));
        w.run(&["run", &file, "-n", "2", "--events", "--timeseries", "full"]).ok();
        assert!(w.join("results").join(folder).join("runs.csv").is_file(), "{name:?}: {:?}", w.files());
        w.run(&raiders_sweep(&file, "2", "1", &[])).ok();
        assert!(w.join("results/sweep").join(folder).join("points.csv").is_file(), "{name:?}");
        w.run(&["compare", &file, "--reference", "reference.csv", "-n", "2"]).ok();
        assert!(w.join("results/compare").join(format!("{folder}-reference")).is_dir(), "{name:?}");
    }
    assert_eq!(w.read("victim/events.csv"), "precious");
    assert_eq!(w.read("victim/timeseries.csv"), "precious");
    assert_eq!(std::fs::read_to_string(abs.join("events.csv")).unwrap(), "precious");
    assert_eq!(names(&abs), ["events.csv"]);
}

/// The default folder name an absolute path becomes: separators replaced.
fn crate_name(abs: &Path) -> String {
    abs.display().to_string().replace('/', "_").trim_start_matches(['.', '-']).to_string()
}

#[test]
fn a_folder_detente_did_not_write_is_never_written_into() {
    let w = tiny();
    w.write("data/thesis.docx", "mine");
    w.write("data/notes/a.txt", "mine too");
    let before = snapshot(w.path());
    for out in ["data", ".", "data/notes/a.txt", "/"] {
        let o = w.run(&["run", "tiny.toml", "-n", "2", "--replace", "--out", out]).code(2);
        assert!(
            o.stderr.contains("cannot write results") || o.stderr.contains("not a detente results folder"),
            "{o}"
        );
        assert_eq!(snapshot(w.path()), before, "--out {out} changed files");
    }
    // A merge checks its output folder the same way.
    w.run(&["run", "tiny.toml", "-n", "4", "--shard", "0/1", "--out", "s0"]).ok();
    let before = snapshot(&w.join("data"));
    let o = w.run(&["merge", "s0", "--out", "data"]).code(2);
    assert!(o.stderr.contains("not a detente results folder") && o.stderr.contains("thesis.docx"), "{o}");
    assert_eq!(snapshot(&w.join("data")), before);
    assert_eq!(names(w.path()).iter().filter(|n| n.starts_with(".data")).count(), 0);
    // An empty folder is fine, and becomes detente's.
    std::fs::create_dir(w.join("empty")).unwrap();
    w.run(&["run", "tiny.toml", "-n", "2", "--out", "empty"]).ok();
    assert!(w.join("empty/manifest.json").is_file());
}

#[test]
fn a_second_process_is_kept_out_of_a_folder_in_use() {
    let w = tiny();
    let out = w.join("out");
    let long = ["run", "tiny.toml", "-n", "20000000", "-j", "1", "--checkpoint-seconds", "0", "--out", "out"];
    let mut first = w.spawn(&long);
    wait_for("the first run's checkpoint", || staging(&out).join("checkpoint.json").exists());
    for second in [
        vec!["run", "tiny.toml", "-n", "5", "--out", "out"],
        vec!["run", "tiny.toml", "-n", "5", "--replace", "--out", "out"],
        vec!["run", "tiny.toml", "-n", "20000000", "--resume", "--out", "out"],
    ] {
        let o = w.run(&second).code(2);
        assert!(o.stderr.contains("in use by another detente process"), "{o}");
        assert!(o.stderr.contains(&format!("pid {}", first.id())), "the message names the holder: {o}");
    }
    // Readers share a folder; a writer waits for them (this test reads
    // `done` as another process would).
    w.run(&["run", "tiny.toml", "-n", "3", "--timeseries", "full", "--out", "done"]).ok();
    let reading = detente::output::folder::settle(&w.join("done"), "a test reading the folder").unwrap();
    w.run(&["compare", "done", "--dyad", "north-south", "--reference", "reference.csv", "--out", "cmp"]).ok();
    let o = w.run(&["run", "tiny.toml", "-n", "3", "--replace", "--out", "done"]).code(2);
    assert!(o.stderr.contains("in use") && o.stderr.contains("reading it"), "{o}");
    drop(reading);
    w.run(&["run", "tiny.toml", "-n", "3", "--replace", "--out", "done"]).ok();
    send_signal(first.id(), "-INT");
    assert_eq!(first.wait().unwrap().code(), Some(130));
    // Free again: the lock went with its holder, and the interrupted run is intact.
    let o = w.run(&["run", "tiny.toml", "-n", "5", "--out", "out"]).code(2);
    assert!(o.stderr.contains("interrupted run") && o.stderr.contains("--resume"), "{o}");
    w.run(&["run", "tiny.toml", "-n", "5", "--replace", "--out", "out"]).ok();
    let t = Table::parse(&w.read("out/runs.csv"));
    assert_eq!(t.rows.len(), 10, "one run's rows, every one complete");
    assert_settled(&out);
}

/// A small file system: a tmpfs mounted on `dir` (needs root), unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, kib: u64) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs", &s(dir)])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|st| st.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The old run (seed 1) and the new one (seed 2, with every event and month).
fn old_args(out: &str) -> Vec<String> {
    ["run", "tiny.toml", "-n", "4", "--seed", "1", "--out", out].map(String::from).to_vec()
}
fn new_args(out: &str) -> Vec<String> {
    [
        "run",
        "tiny.toml",
        "-n",
        "300",
        "--seed",
        "2",
        "--events",
        "--timeseries",
        "full",
        "--replace",
        "--out",
        out,
    ]
    .map(String::from)
    .to_vec()
}

/// After a full disk: the folder holds the old run or the whole new one,
/// never a mix, and nothing else is left.
#[track_caller]
fn assert_old_or_new(
    out: &Path,
    code: Option<i32>,
    old: &BTreeMap<String, Vec<u8>>,
    new: &BTreeMap<String, Vec<u8>>,
) {
    let now = results(out);
    match code {
        Some(0) => assert!(now == *new, "a finished run is the whole new run"),
        Some(2) => assert!(now == *old, "a failed run leaves the old one as it was: {:?}", now.keys()),
        other => panic!("unexpected exit {other:?}"),
    }
    assert_settled(out);
}

#[test]
fn a_full_disk_at_any_fill_level_leaves_the_old_run_or_the_new_one() {
    let w = tiny();
    w.run(&new_args("reference")).ok();
    let new = results(&w.join("reference"));
    let total: usize = new.values().map(Vec::len).sum();
    w.run(&old_args("out")).ok();
    let old = results(&w.join("out"));
    // Simulated budgets from "fails on the first file" to "fits": every
    // file of the run, its checkpoints, its manifest and its commit fail in turn.
    let mut failed = 0;
    for k in 0..=24 {
        let budget = (total as u64 + 20_000) * k / 20;
        let o = w.run_env(&[("DETENTE_FAULT_DISK_BYTES", &budget.to_string())], &new_args("out"));
        if o.code == Some(2) {
            assert!(o.stderr.contains("No space left on device"), "{o}");
            failed += 1;
        }
        assert_old_or_new(&w.join("out"), o.code, &old, &new);
        if o.code == Some(0) {
            // Put the old run back for the next level.
            w.run(&[old_args("out"), vec!["--replace".into()]].concat()).ok();
        }
    }
    assert!(failed >= 10, "most levels must hit the full disk ({failed})");
}

#[test]
fn a_full_tmpfs_at_several_fill_levels_leaves_the_old_run_or_the_new_one() {
    let w = tiny();
    w.run(&new_args("reference")).ok();
    let new = results(&w.join("reference"));
    let (mut mounted, mut full) = (0, 0);
    for kib in [64, 128, 256, 512, 1024, 4096] {
        let disk = w.join(&format!("disk{kib}"));
        let Some(_fs) = Tmpfs::mount(&disk, kib) else {
            eprintln!(
                "note: cannot mount a tmpfs (needs root); the full disk is covered by the simulated \
                 budgets of a_full_disk_at_any_fill_level_leaves_the_old_run_or_the_new_one"
            );
            return;
        };
        mounted += 1;
        let out = disk.join("out");
        w.run(&old_args(&s(&out))).ok();
        let old = results(&out);
        let o = w.run(&new_args(&s(&out)));
        if o.code == Some(2) {
            assert!(o.stderr.contains("No space left on device"), "{o}");
            full += 1;
        }
        assert_old_or_new(&out, o.code, &old, &new);
        assert_eq!(names(&disk), ["out"], "{kib} KiB: nothing but the folder is left");
    }
    assert_eq!(mounted, 6);
    assert!((3..6).contains(&full), "the small disks fill up, the largest does not ({full} of 6 full)");
}

/// Runs `args` killed at commit step `k` until a run finishes unkilled;
/// after each kill the folder holds the old run, the new one, or a
/// recorded commit, and `finish` (a resume, or the command again) ends
/// with the new run and nothing left over.
fn kill_at_every_step(
    w: &Workdir,
    out: &str,
    setup: &dyn Fn(),
    args: &[String],
    finish: &[String],
    new: &BTreeMap<String, Vec<u8>>,
) -> u64 {
    let target = w.join(out);
    for k in 1..200u64 {
        setup();
        let old = results(&target);
        let o = w.run_env(&[("DETENTE_FAULT_KILL_AT", &k.to_string())], args);
        if o.code == Some(0) {
            assert!(results(&target) == *new);
            assert_settled(&target);
            return k;
        }
        assert_eq!(o.code, None, "killed at step {k}:\n{o}");
        let now = results(&target);
        let pending = target.with_file_name(format!(".{out}.commit")).exists();
        assert!(now == old || now == *new || (pending && !target.exists()), "step {k}: a mix of two runs");
        let o = w.run(finish);
        let finished_already = o.code == Some(2) && o.stderr.contains("has finished");
        assert!(o.code == Some(0) || finished_already, "step {k}: {o}");
        let got = results(&target);
        assert!(
            got == *new,
            "step {k}: the new run, whole; got {:?}, want {:?}\n{o}",
            got.iter().map(|(k, v)| (k, v.len())).collect::<Vec<_>>(),
            new.iter().map(|(k, v)| (k, v.len())).collect::<Vec<_>>()
        );
        assert_settled(&target);
    }
    panic!("the command never finished");
}

#[test]
fn a_kill_at_every_commit_step_leaves_one_whole_run_that_resume_finishes() {
    let w = tiny();
    let new_run = ["run", "tiny.toml", "-n", "30", "--seed", "2", "--events", "--timeseries", "full"];
    w.run(&[&new_run[..], &["--out", "reference"]].concat()).ok();
    let new = results(&w.join("reference"));
    let args = with(&new_run, &["--replace", "--out", "out"]);
    let resume = with(&new_run, &["--resume", "--out", "out"]);
    let setup = || {
        let _ = std::fs::remove_dir_all(w.join("out"));
        let _ = std::fs::remove_dir_all(staging(&w.join("out")));
        w.run(&old_args("out")).ok();
    };
    let steps = kill_at_every_step(&w, "out", &setup, &args, &resume, &new);
    assert!(steps >= 8, "the renames of five files and of the folder are all covered ({steps})");

    // A design, and a merge of shards (which starts again rather than resumes).
    let sweep = raiders_sweep("tiny.toml", "8", "2", &[]);
    w.run(&[&sweep[..], &["--out", "sweep-ref"]].concat()).ok();
    let new = results(&w.join("sweep-ref"));
    let args = with(&sweep, &["--replace", "--out", "sw"]);
    let resume = with(&sweep, &["--resume", "--out", "sw"]);
    let setup = || {
        let _ = std::fs::remove_dir_all(w.join("sw"));
        w.run(&[&sweep[..], &["--seed", "9", "--out", "sw"]].concat()).ok();
    };
    kill_at_every_step(&w, "sw", &setup, &args, &resume, &new);

    for i in 0..2 {
        w.run(&[&new_run[..], &["--shard", &format!("{i}/2"), "--out", &format!("s{i}")]].concat()).ok();
    }
    let merge: Vec<String> = ["merge", "s1", "s0", "--out", "merged"].map(String::from).to_vec();
    let new = results(&w.join("reference"));
    let setup = || {
        let _ = std::fs::remove_dir_all(w.join("merged"));
        let _ = std::fs::remove_dir_all(staging(&w.join("merged")));
        w.run(&old_args("merged")).ok();
    };
    let merge_replace: Vec<String> = [&merge[..], &["--replace".to_string()]].concat();
    kill_at_every_step(&w, "merged", &setup, &merge_replace, &merge_replace, &new);
}

#[test]
fn a_failed_resume_deletes_nothing() {
    let w = tiny();
    let batch = ["run", "tiny.toml", "-n", "3000", "--events", "--timeseries", "full", "-j", "1"];
    w.run_stopped_after(1500, &[&batch[..], &["--out", "part"]].concat()).code(130);
    let stage = staging(&w.join("part"));
    let pristine = snapshot(&stage);
    // A partial file cut short, then one missing: the resume fails and
    // every other file stays as it was.
    let groups = stage.join(".groups.csv.partial");
    let cut = pristine[".groups.csv.partial"][..100].to_vec();
    std::fs::write(&groups, &cut).unwrap();
    let before = snapshot(&stage);
    let o = w.run(&[&batch[..], &["--resume", "--out", "part"]].concat()).code(2);
    assert!(o.stderr.contains("groups.csv") && o.stderr.contains("nothing was changed"), "{o}");
    assert!(snapshot(&stage) == before, "a failed resume changes nothing");
    std::fs::remove_file(stage.join(".events.csv.partial")).unwrap();
    let before = snapshot(&stage);
    w.run(&[&batch[..], &["--resume", "--out", "part"]].concat()).code(2);
    assert!(snapshot(&stage) == before, "a failed resume deletes nothing");
    assert!(!w.join("part").exists());
}

/// A scenario whose every name is a spreadsheet formula.
fn hostile(w: &Workdir) -> PathBuf {
    let text = std::fs::read_to_string(data("tiny.toml")).unwrap();
    let text = text
        .replace("name = \"tiny\"", &format!("name = {}", toml_str("=HYPERLINK(\"http://evil\",\"x\")")))
        .replace("name = \"border incident\"", &format!("name = {}", toml_str("+cmd|' /C calc'!A0")));
    let extra = format!(
        "\n[[events]]\ndate = \"2000-03\"\nname = {}\nadd = {{ \"relations.north.south.trust\" = 0.01 }}\n\
         \n[[events]]\ndate = \"2000-04\"\nname = {}\nadd = {{ \"relations.north.south.trust\" = 0.01 }}\n\
         \n[[events]]\ndate = \"2000-05\"\nname = {}\nadd = {{ \"relations.north.south.trust\" = 0.01 }}\n\
         \n[[events]]\ndate = \"2000-06\"\nname = {}\nadd = {{ \"relations.north.south.trust\" = 0.01 }}\n\
         \n[[processes]]\nname = {}\nfrom = \"2000-01\"\nrate_per_year = 12\nadd = {{ \"relations.north.south.trust\" = 0.001 }}\n\
         \n[[elections]]\nname = {}\nactor = \"south\"\nfirst = \"2000-06\"\nevery_months = 6\n\
         influence = {{ doves = [0.4, 0.6], hawks = [0.4, 0.6] }}\n",
        toml_str("-2+3"),
        toml_str("@SUM(1,2)"),
        toml_str("\t=1+1"),
        toml_str("\r=1+1"),
        toml_str("=1+1 (process)"),
        toml_str("=1+1 (election)"),
    );
    // The variants come last in the file; new tables go before them.
    let at = text.find("[[variants]]").unwrap();
    w.write("hostile.toml", &format!("{}{extra}\n{}", &text[..at], &text[at..]))
}

/// Writes the hostile outputs: a batch with events and bands, and a
/// comparison with a reference file whose name is a formula.
fn hostile_outputs(w: &Workdir) -> Vec<PathBuf> {
    let file = hostile(w);
    w.run(&["validate", &s(&file)]).ok();
    w.run(&["run", &s(&file), "-n", "20", "--events", "--timeseries", "summary", "--out", "out"]).ok();
    w.copy(&data("tiny_reference.csv"), "=HYPERLINK(1).csv");
    w.run(&["compare", &s(&file), "--reference", "=HYPERLINK(1).csv", "-n", "4", "--out", "cmp"]).ok();
    let mut csvs: Vec<PathBuf> = ["out", "cmp"]
        .iter()
        .flat_map(|d| {
            names(&w.join(d)).into_iter().filter(|n| n.ends_with(".csv")).map(|n| w.join(d).join(n))
        })
        .collect();
    csvs.sort();
    csvs
}

#[test]
fn hostile_names_are_text_to_a_csv_reader() {
    let w = tiny();
    let csvs = hostile_outputs(&w);
    assert!(csvs.len() >= 6, "{csvs:?}");
    let mut seen = std::collections::BTreeSet::new();
    for path in &csvs {
        let t = Table::parse(&std::fs::read_to_string(path).unwrap());
        for row in &t.rows {
            for cell in row {
                let first = cell.chars().next();
                let formula = matches!(first, Some('=' | '+' | '@' | '\t' | '\r'))
                    || (first == Some('-') && cell.parse::<f64>().is_err());
                assert!(!formula, "{}: a cell a spreadsheet would evaluate: {cell:?}", path.display());
                if cell.starts_with('\'') {
                    seen.insert(cell.clone());
                }
            }
        }
    }
    for text in [
        "'=HYPERLINK(\"http://evil\",\"x\")",
        "'+cmd|' /C calc'!A0",
        "'-2+3",
        "'@SUM(1,2)",
        "'\t=1+1",
        "'\r=1+1",
        "'=1+1 (process)",
        "'=1+1 (election)",
        "'=HYPERLINK(1)",
    ] {
        assert!(seen.contains(text), "{text:?} is written neutralised; seen {seen:?}");
    }
}

/// LibreOffice in headless mode, if installed. Under CI (`.ci/run` sets
/// `DETENTE_REQUIRE_LIBREOFFICE=1` and installs it) its absence fails.
fn soffice() -> Option<PathBuf> {
    let found = ["soffice", "libreoffice"].iter().find_map(|name| {
        let ok = Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success());
        ok.then(|| PathBuf::from(name))
    });
    if found.is_none() {
        let required = std::env::var_os("DETENTE_REQUIRE_LIBREOFFICE").is_some_and(|v| v == "1");
        assert!(!required, "DETENTE_REQUIRE_LIBREOFFICE=1 but no soffice on the PATH");
        eprintln!(
            "not run: LibreOffice (soffice) is not installed; .ci/run installs it and requires this test"
        );
    }
    found
}

/// Converts `csvs` with LibreOffice's CSV import into flat ODF spreadsheets
/// in `dir`; returns each sheet's XML.
fn libreoffice_sheets(soffice: &Path, csvs: &[PathBuf], dir: &Path) -> Vec<(PathBuf, String)> {
    let profile = dir.join("profile");
    let out = Command::new(soffice)
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--headless", "--infilter=CSV:44,34,76,1", "--convert-to", "fods", "--outdir"])
        .arg(dir)
        .args(csvs)
        .output()
        .expect("run soffice");
    assert!(out.status.success(), "soffice failed: {}", String::from_utf8_lossy(&out.stderr));
    csvs.iter()
        .map(|c| {
            let fods = dir.join(c.file_stem().unwrap()).with_extension("fods");
            let xml = std::fs::read_to_string(&fods).unwrap_or_else(|e| panic!("{}: {e}", fods.display()));
            (c.clone(), xml)
        })
        .collect()
}

#[test]
fn hostile_names_are_text_to_libreoffice() {
    let Some(soffice) = soffice() else { return };
    let w = tiny();
    let csvs = hostile_outputs(&w);
    // The same cells unneutralised are formulas to LibreOffice: the test has teeth.
    let raw = w.write("raw/raw.csv", "a,b\n=1+1,x\n\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",y\n");
    let lo = w.join("lo");
    std::fs::create_dir(&lo).unwrap();
    let control = libreoffice_sheets(&soffice, &[raw], &lo);
    assert!(control[0].1.contains("table:formula="), "LibreOffice evaluates a raw formula cell");
    // Each output in its own folder, so files of one name do not collide.
    for (i, csv) in csvs.iter().enumerate() {
        let dir = lo.join(i.to_string());
        std::fs::create_dir(&dir).unwrap();
        for (path, xml) in libreoffice_sheets(&soffice, std::slice::from_ref(csv), &dir) {
            assert!(!xml.contains("table:formula="), "{}: LibreOffice reads a formula", path.display());
            if path.ends_with("out/events.csv") {
                assert!(xml.contains("&apos;=HYPERLINK("), "the scenario name is shown as text");
            }
        }
    }
}

#[test]
fn a_replaced_folder_keeps_nothing_of_the_earlier_run() {
    let w = tiny();
    w.run(&[
        "run",
        "tiny.toml",
        "-n",
        "3",
        "--timeseries",
        "summary",
        "--events",
        "--report",
        "--out",
        "out",
    ])
    .ok();
    for f in ["results.xlsx", "report.html", "charts", "exemplars.csv", "exemplars.md"] {
        assert!(w.join("out").join(f).exists(), "{f}");
    }
    let o = w.run(&["run", "tiny.toml", "-n", "3", "--replace", "--out", "out"]).ok();
    assert!(o.stderr.contains("replaced the earlier results") && o.stderr.contains("results.xlsx"), "{o}");
    assert_eq!(names(&w.join("out")), ["groups.csv", "manifest.json", "runs.csv", "summary.csv", "why.csv"]);
    // A shard's state does not outlive the shard.
    w.run(&["run", "tiny.toml", "-n", "4", "--shard", "0/2", "--out", "sh"]).ok();
    assert!(w.join("sh/shard-state.json").exists());
    w.run(&["run", "tiny.toml", "-n", "4", "--replace", "--out", "sh"]).ok();
    assert!(!w.join("sh/shard-state.json").exists());
    // A what-if run has a folder of its own.
    w.run(&["run", "tiny.toml", "-n", "3"]).ok();
    let plain = snapshot(&w.join("results/tiny"));
    w.run(&["run", "tiny.toml", "-n", "3", "--set", "actors.raiders.group.strength=0.2"]).ok();
    assert!(snapshot(&w.join("results/tiny")) == plain, "the plain run's folder is untouched");
    let whatif: Vec<String> =
        names(&w.join("results")).into_iter().filter(|n| n.starts_with("tiny-whatif-")).collect();
    assert_eq!(whatif.len(), 1, "{:?}", names(&w.join("results")));
    // Running the same again needs --replace; the default batch replaces its own.
    let o = w.run(&["run", "tiny.toml", "-n", "3"]).code(2);
    assert!(o.stderr.contains("--replace"), "{o}");
}

/// Rewrites the sealed JSON file `path` with `edit` applied to its
/// content's text, optionally resealing it (a forgery that recomputes the hash).
fn edit_sealed(path: &Path, edit: impl Fn(&mut serde_json::Value), reseal: bool) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut v["content"]);
    let content = serde_json::to_string(&v["content"]).unwrap();
    let sha = if reseal {
        use sha2::Digest;
        sha2::Sha256::digest(content.as_bytes()).iter().map(|x| format!("{x:02x}")).collect()
    } else {
        v["sha256"].as_str().unwrap().to_string()
    };
    std::fs::write(path, format!("{{\"sha256\": \"{sha}\", \"content\": {content}}}")).unwrap();
}

fn restore(dir: &Path, snap: &BTreeMap<String, Vec<u8>>) {
    let _ = std::fs::remove_dir_all(dir);
    for (rel, bytes) in snap {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

#[test]
fn an_edited_or_damaged_checkpoint_is_refused() {
    let w = tiny();
    let batch = ["run", "tiny.toml", "-n", "3000", "--events", "-j", "1"];
    let arg = |extra: &[&str], out: &str| with(&[&batch[..], extra].concat(), &["--out", out]);
    w.run(&arg(&[], "whole")).ok();
    w.run_stopped_after(1500, &arg(&[], "part")).code(130);
    let stage = staging(&w.join("part"));
    let pristine = snapshot(&stage);
    let cp = stage.join("checkpoint.json");
    type Edit = Box<dyn Fn(&Path)>;
    let tampers: Vec<(&str, Edit, &str)> = vec![
        ("next replicate", Box::new(|p| edit_sealed(p, |c| c["next"][1] = 2047.into(), false)), "SHA-256"),
        (
            "a file length",
            Box::new(|p| edit_sealed(p, |c| c["files"][0]["len"] = 100.into(), false)),
            "SHA-256",
        ),
        (
            "a summary count",
            Box::new(|p| edit_sealed(p, |c| c["current"][1]["dyads"][0]["runs"] = 7.into(), false)),
            "SHA-256",
        ),
        (
            "runs done, resealed",
            Box::new(|p| edit_sealed(p, |c| c["runs_done"] = 1000.into(), true)),
            "do not agree",
        ),
        (
            "next, resealed",
            Box::new(|p| edit_sealed(p, |c| c["next"][1] = 1024.into(), true)),
            "do not agree",
        ),
        (
            "a file length, resealed",
            Box::new(|p| edit_sealed(p, |c| c["files"][0]["len"] = 100.into(), true)),
            "differ",
        ),
        ("not JSON", Box::new(|p| std::fs::write(p, "{ damaged").unwrap()), "damaged"),
    ];
    for (what, tamper, message) in &tampers {
        restore(&stage, &pristine);
        tamper(&cp);
        let before = snapshot(&stage);
        let o = w.run(&arg(&["--resume"], "part")).code(2);
        assert!(o.stderr.contains(message) && !o.stderr.contains("no checkpoint"), "{what}: {o}");
        assert!(snapshot(&stage) == before, "{what}: a refused resume changes nothing");
    }
    // A byte of the rows edited in place (same length).
    restore(&stage, &pristine);
    edit_last(&stage.join(".runs.csv.partial"), b'0', b'1');
    let o = w.run(&arg(&["--resume"], "part")).code(2);
    assert!(o.stderr.contains("edited or damaged"), "{o}");
    // Untouched, it resumes to the bytes of the whole run.
    restore(&stage, &pristine);
    w.run(&arg(&["--resume"], "part")).ok();
    assert!(results(&w.join("whole")) == results(&w.join("part")));

    // A design's checkpoint: forged counts are caught too.
    let sweep = raiders_sweep("tiny.toml", "300", "1", &[]);
    let sarg = |extra: &[&str]| with(&[&sweep[..], extra].concat(), &["--design", "sobol", "--out", "sw"]);
    w.run_stopped_after(500, &sarg(&["-j", "1"])).code(130);
    let cp = staging(&w.join("sw")).join("checkpoint.json");
    edit_sealed(&cp, |c| c["next_point"] = 100.into(), true);
    let o = w.run(&sarg(&["--resume"])).code(2);
    assert!(o.stderr.contains("do not agree"), "{o}");
}

#[test]
fn tampered_or_duplicated_shards_are_refused() {
    let w = tiny();
    let batch = ["run", "tiny.toml", "-n", "20", "--events", "--timeseries", "full"];
    for i in 0..2 {
        w.run(&[&batch[..], &["--shard", &format!("{i}/2"), "--out", &format!("s{i}")]].concat()).ok();
    }
    w.run(&["merge", "s0", "s1", "--out", "good"]).ok();
    let pristine = snapshot(&w.join("s1"));
    type Edit = Box<dyn Fn(&Path)>;
    let run_count = |reseal| -> Edit {
        Box::new(move |d| {
            edit_sealed(
                &d.join("shard-state.json"),
                |c| c["summaries"][0]["dyads"][0]["runs"] = 11.into(),
                reseal,
            )
        })
    };
    let lines = |p: &Path| std::fs::read_to_string(p).unwrap().lines().map(String::from).collect::<Vec<_>>();
    let write_lines = |p: &Path, l: &[String]| std::fs::write(p, l.join("\n") + "\n").unwrap();
    let tampers: Vec<(&str, Edit)> = vec![
        (
            "a row deleted",
            Box::new(move |d| {
                let mut l = lines(&d.join("runs.csv"));
                l.remove(3);
                write_lines(&d.join("runs.csv"), &l);
            }),
        ),
        (
            "a row duplicated",
            Box::new(move |d| {
                let mut l = lines(&d.join("events.csv"));
                let row = l[2].clone();
                l.insert(2, row);
                write_lines(&d.join("events.csv"), &l);
            }),
        ),
        ("a cell edited", Box::new(|d| edit_last(&d.join("groups.csv"), b'0', b'1'))),
        ("the run count edited", run_count(false)),
        ("the run count forged", run_count(true)),
        (
            "the slice forged",
            Box::new(|d| edit_sealed(&d.join("shard-state.json"), |c| c["slice"][0] = 0.into(), true)),
        ),
    ];
    for (what, tamper) in &tampers {
        restore(&w.join("s1"), &pristine);
        tamper(&w.join("s1"));
        let o = w.run(&["merge", "s0", "s1", "--out", "bad"]).code(2);
        assert!(!w.join("bad").exists() && !staging(&w.join("bad")).exists(), "{what}: nothing is written");
        assert!(
            o.stderr.contains("nothing was merged") || o.stderr.contains("does not match"),
            "{what}: {o}"
        );
    }
    restore(&w.join("s1"), &pristine);
    let o = w.run(&["merge", "s0", "s0", "s1", "--out", "bad"]).code(2);
    assert!(o.stderr.contains("more than once"), "{o}");
    w.run(&["merge", "s1", "s0", "--out", "again"]).ok();
    assert!(results(&w.join("good")) == results(&w.join("again")));

    // A design's shard: an edited point is refused.
    let sweep = raiders_sweep("tiny.toml", "8", "2", &[]);
    for i in 0..2 {
        w.run(&[&sweep[..], &["--shard", &format!("{i}/2"), "--out", &format!("d{i}")]].concat()).ok();
    }
    edit_last(&w.join("d1/points.csv"), b'1', b'2');
    let o = w.run(&["merge", "d0", "d1", "--out", "dm"]).code(2);
    assert!(o.stderr.contains("does not match its shard's state"), "{o}");
    assert!(!w.join("dm").exists());
}

#[test]
fn control_characters_never_reach_the_terminal() {
    let w = tiny();
    let name = "evil\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m";
    let file = tiny_named(&w, "evil.toml", name);
    std::fs::create_dir(w.join("scn")).unwrap();
    std::fs::copy(&file, w.join("scn/evil.toml")).unwrap();
    let outputs = [
        w.run(&["validate", &s(&file)]).ok(),
        w.run(&["list", "scn"]).ok(),
        w.run(&["run", &s(&file), "-n", "2", "--out", "o"]).ok(),
        w.run(&["run", &s(&file), "-n", "2", "--variant", "nope", "--out", "o2"]).code(2),
    ];
    for o in &outputs {
        for text in [&o.stdout, &o.stderr] {
            assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "raw control characters: {o}");
        }
    }
    assert!(outputs[0].stdout.contains("evil\\u{1b}[2J"), "shown escaped: {}", outputs[0]);
}

#[test]
fn every_override_obeys_the_rules_of_the_file() {
    let w = tiny();
    for (set, message) in [
        ("actors.raiders.group.targets.raiders=1", "cannot target itself"),
        ("actors.raiders.group.attack_rate=51", "within [0, 50]"),
        ("actors.south.factions.doves.influence=0", ""),
    ] {
        let o = w.run(&["run", "tiny.toml", "-n", "2", "--set", set, "--out", "o"]);
        if message.is_empty() {
            o.ok();
            continue;
        }
        let o = o.code(2);
        assert!(o.stderr.contains(message), "{set}: {o}");
    }
    let o = w
        .run(&[
            "run",
            "tiny.toml",
            "-n",
            "2",
            "--set",
            "actors.south.factions.doves.influence=0",
            "--set",
            "actors.south.factions.hawks.influence=0",
            "--out",
            "o3",
        ])
        .code(2);
    assert!(o.stderr.contains("add up to 0"), "{o}");
    // The same through a variant and an event of the file.
    let text = std::fs::read_to_string(data("tiny.toml")).unwrap();
    for (table, message) in [
        (
            "[[variants]]\nname = \"selfish\"\nset = { \"actors.raiders.group.targets.raiders\" = 1.0 }\n",
            "cannot target itself",
        ),
        ("[[variants]]\nname = \"furious\"\nset = { \"actors.raiders.group.attack_rate\" = 80 }\n", "within [0, 50]"),
        (
            "[[variants]]\nname = \"nobody\"\nset = { \"actors.south.factions.doves.influence\" = 0, \
             \"actors.south.factions.hawks.influence\" = 0 }\n",
            "add up to 0",
        ),
        (
            "[[events]]\ndate = \"2000-06\"\nname = \"coup\"\nset = { \"actors.south.factions.doves.influence\" = 0, \
             \"actors.south.factions.hawks.influence\" = 0 }\n",
            "add up to 0",
        ),
        (
            "[[events]]\ndate = \"2000-06\"\nname = \"rage\"\nadd = { \"actors.raiders.group.targets.raiders\" = 1 }\n",
            "cannot target itself",
        ),
    ] {
        let file = w.write("bad.toml", &format!("{text}\n{table}"));
        let o = w.run(&["validate", &s(&file)]).code(2);
        assert!(o.stderr.contains(message), "{table}: {o}");
    }
}

#[test]
fn report_refuses_impossible_values_and_leaves_nothing() {
    let w = tiny();
    w.run(&["run", "tiny.toml", "-n", "3", "--events", "--timeseries", "summary", "--out", "out"]).ok();
    let runs = w.read("out/runs.csv");
    let t = Table::parse(&runs);
    let c = t.col("stage_1_month");
    let mut lines: Vec<String> = runs.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
    cells[c] = "99999999999".into();
    lines[1] = cells.join(",");
    w.write("out/runs.csv", &(lines.join("\n") + "\n"));
    let before = snapshot(w.path());
    let o = w.run(&["report", "out"]).code(2);
    assert!(o.stderr.contains("runs.csv:2") && o.stderr.contains("stage_1_month"), "{o}");
    assert!(snapshot(w.path()) == before, "a failed report leaves nothing");
    // A trust above 1 in the bands is impossible too.
    w.run(&["run", "tiny.toml", "-n", "3", "--timeseries", "summary", "--out", "out2"]).ok();
    let ts = w.read("out2/timeseries.csv");
    let tt = Table::parse(&ts);
    let c = tt.col("trust_ab_median");
    let mut lines: Vec<String> = ts.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
    cells[c] = "7".into();
    lines[1] = cells.join(",");
    w.write("out2/timeseries.csv", &(lines.join("\n") + "\n"));
    let o = w.run(&["report", "out2"]).code(2);
    assert!(o.stderr.contains("timeseries.csv:2") && o.stderr.contains("trust_ab_median"), "{o}");
    assert_eq!(
        names(&w.join("out2")),
        ["groups.csv", "manifest.json", "runs.csv", "summary.csv", "timeseries.csv", "why.csv"]
    );
}

#[test]
fn compare_refuses_an_open_quote_and_stages_beyond_the_ladder() {
    let w = tiny();
    w.write(
        "open.csv",
        "date,stage,event\n2000-01-01,2,\"talks\n2000-10-01,3,liaison\n2001-08-01,4,embassies\n",
    );
    let o = w.run(&["compare", "tiny.toml", "--reference", "open.csv", "-n", "2", "--out", "c1"]).code(2);
    assert!(o.stderr.contains("open.csv:2") && o.stderr.contains("never closed"), "{o}");
    assert!(!w.join("c1").exists());
    // tiny's ladder is the default one, rungs 0 to 7.
    w.run(&["run", "tiny.toml", "-n", "3", "--timeseries", "full", "--out", "full"]).ok();
    w.write("eleven.csv", "date,stage\n2000-01-01,2\n2001-01-01,11\n");
    let o = w.run(&["compare", "full", "--dyad", "north-south", "--reference", "eleven.csv"]).code(2);
    assert!(o.stderr.contains("eleven.csv:3") && o.stderr.contains("0 to 7"), "{o}");
    w.run(&["compare", "full", "--dyad", "north-south", "--reference", "reference.csv"]).ok();
}

#[test]
fn counts_and_threads_have_bounds() {
    let w = tiny();
    let started = Instant::now();
    let o = w.run(&["run", "tiny.toml", "-n", "2", "-j", "100000", "--out", "o"]).code(2);
    assert!(o.stderr.contains("at most 1024"), "{o}");
    assert!(started.elapsed() < Duration::from_secs(10));
    for n in ["18446744073709551615", "1000000001"] {
        let o = w.run(&["run", "tiny.toml", "-n", n, "--out", "o"]).code(2);
        assert!(o.stderr.contains("too large"), "{o}");
    }
    let o = w.run(&["run", "tiny.toml", "--replicate", "18446744073709551615", "--out", "o"]).code(2);
    assert!(o.stderr.contains("--replicate"), "{o}");
    let o = w
        .run(&[
            "sweep",
            "tiny.toml",
            "--param",
            "actors.raiders.group.strength=0.1:0.9",
            "--points",
            "18446744073709551615",
        ])
        .code(2);
    assert!(o.stderr.contains("too large"), "{o}");
    let o = w.run(&["run", "tiny.toml", "--shard", "4/4", "--out", "o"]).code(2);
    assert!(o.stderr.contains("count from 0") && o.stderr.contains("3/4"), "{o}");
    let text = std::fs::read_to_string(data("tiny.toml"))
        .unwrap()
        .replace("replications = 3", "replications = 99999999999");
    let file = w.write("huge.toml", &text);
    let o = w.run(&["validate", &s(&file)]).code(2);
    assert!(o.stderr.contains("at most 1000000000"), "{o}");
}

#[test]
fn oversized_and_endless_inputs_are_refused_quickly() {
    let w = tiny();
    let big = w.join("big.toml");
    let text = std::fs::read_to_string(data("tiny.toml")).unwrap();
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    use std::io::Write;
    f.write_all(text.as_bytes()).unwrap();
    let line = format!("# {}\n", "x".repeat(1000));
    for _ in 0..50_000 {
        f.write_all(line.as_bytes()).unwrap();
    }
    drop(f);
    let started = Instant::now();
    let o = w.run(&["validate", &s(&big)]).code(2);
    assert!(o.stderr.contains("limit of 4 MiB"), "{o}");
    let o2 = w.run(&["run", &s(&big), "-n", "2", "--out", "o"]).code(2);
    assert!(o2.stderr.contains("limit"), "{o2}");
    #[cfg(unix)]
    {
        let o = w.run(&["validate", "/dev/zero"]).code(2);
        assert!(o.stderr.contains("limit"), "{o}");
        let o = w.run(&["compare", "tiny.toml", "--reference", "/dev/zero", "-n", "2", "--out", "c"]).code(2);
        assert!(o.stderr.contains("limit"), "{o}");
    }
    assert!(started.elapsed() < Duration::from_secs(20), "refused in {:?}", started.elapsed());
}

#[test]
fn a_calibrated_file_calibrates_again() {
    let w = tiny();
    let calibrate = |file: &str, out: &str| {
        w.run(&[
            "calibrate",
            file,
            "--reference",
            "reference.csv",
            "--prior",
            "params.ladder.step_rate=0.04:0.16",
            "--particles",
            "8",
            "--proposals",
            "16",
            "--rounds",
            "1",
            "-n",
            "2",
            "--out",
            out,
        ])
        .ok()
    };
    calibrate("tiny.toml", "c1");
    w.copy(&w.join("c1/best_fit.toml"), "best1.toml");
    calibrate("best1.toml", "c2");
    let again = w.read("c2/best_fit.toml");
    assert_eq!(again.matches("name = \"calibrated\"").count(), 1, "{again}");
    w.write("best2.toml", &again);
    w.run(&["validate", "best2.toml"]).ok();
}
