//! `detente run FILE --variant V --replicate R`: one run replayed from its
//! seed gives exactly the rows that replicate has in the whole batch.

use crate::workdir::{data, Workdir};

/// The lines of `text` that belong to `scenario,variant,replicate` (the
/// first three columns of every per-run file).
fn rows_of(text: &str, key: &str) -> Vec<String> {
    text.lines().filter(|l| l.starts_with(key)).map(String::from).collect()
}

#[test]
fn a_replayed_run_has_the_rows_of_that_replicate_in_the_whole_batch() {
    let w = Workdir::new();
    w.copy(&data("tiny.toml"), "tiny.toml");
    w.run(&["run", "tiny.toml", "-n", "6", "--events", "--timeseries", "full", "--out", "all"]).ok();
    let out =
        w.run(&["run", "tiny.toml", "-n", "6", "--variant", "calm", "--replicate", "4", "--out", "one"]).ok();
    assert!(out.stdout.contains("1 runs"), "{out}");
    for file in ["runs.csv", "groups.csv", "events.csv", "decisions.csv", "timeseries.csv"] {
        let whole = rows_of(&w.read(&format!("all/{file}")), "tiny,calm,4,");
        let replay = w.read(&format!("one/{file}"));
        assert!(!whole.is_empty(), "{file}: replicate 4 has rows in the whole batch");
        assert_eq!(replay.lines().skip(1).map(String::from).collect::<Vec<_>>(), whole, "{file}");
        assert_eq!(
            replay.lines().next(),
            w.read(&format!("all/{file}")).lines().next(),
            "{file}: same columns"
        );
    }
    let manifest = w.read("one/manifest.json");
    assert!(manifest.contains("\"replicate\": 4"), "{manifest}");
}

#[test]
fn a_replicate_beyond_the_batch_is_refused() {
    let w = Workdir::new();
    w.copy(&data("tiny.toml"), "tiny.toml");
    let out = w.run(&["run", "tiny.toml", "--replicate", "3"]).code(2);
    assert!(out.stderr.contains("--replicate 3: the batch runs replicates 0 to 2"), "{out}");
    let out = w.run(&["run", "tiny.toml", "--replicate", "1", "--resume"]).code(2);
    assert!(out.stderr.contains("cannot be used with"), "{out}");
}
