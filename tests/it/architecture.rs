//! The architecture invariants of `ARCHITECTURE.md`, checked on the source.
//!
//! Each rule says which files may use a crate, a call or a module, and the
//! test reads every file under `src/` (without its `#[cfg(test)] mod tests`
//! block, where tests may use what they like) and names each use outside
//! the owners. When a rule has to change, change `ARCHITECTURE.md` with it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::workdir::repo_root;

/// Every `.rs` file below `src/`, as (path relative to `src/`, text without its tests).
fn sources() -> Vec<(String, String)> {
    let src = repo_root().join("src");
    let mut out = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("src/ is readable").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&src).expect("below src/").to_string_lossy().replace('\\', "/");
                out.push((rel, without_tests(&std::fs::read_to_string(&path).expect("readable"))));
            }
        }
    }
    out.sort();
    out
}

/// `text` up to its unit-test module (by convention the end of the file),
/// and without comment lines.
fn without_tests(text: &str) -> String {
    let end = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..end].lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Files that use any of `patterns` but do not start with one of `owners`.
fn uses_outside(patterns: &[&str], owners: &[&str]) -> Vec<String> {
    sources()
        .into_iter()
        .filter(|(path, text)| {
            !owners.iter().any(|o| path.starts_with(o)) && patterns.iter().any(|p| text.contains(p))
        })
        .map(|(path, _)| path)
        .collect()
}

#[track_caller]
fn only_in(what: &str, patterns: &[&str], owners: &[&str]) {
    let outside = uses_outside(patterns, owners);
    assert!(outside.is_empty(), "{what} is used outside {owners:?}: in {outside:?}");
}

#[test]
fn one_owner_per_format() {
    only_in("TOML", &["toml::", "toml_edit", "use toml"], &["scenario/"]);
    only_in("CSV", &["csv::"], &["output/", "reference.rs", "compare/", "report/"]);
    only_in("JSON", &["serde_json"], &["output/", "report/"]);
    only_in("clap", &["clap::"], &["cli/"]);
    only_in("rayon", &["rayon"], &["batch/mod.rs"]);
    only_in("XLSX", &["rust_xlsxwriter"], &["report/"]);
}

#[test]
fn only_the_job_layer_and_the_command_line_read_the_clock_and_the_process() {
    only_in("the clock", &["SystemTime::now", "Instant::now"], &["job/", "cli/"]);
    only_in("the environment", &["std::env::"], &["job/", "cli/"]);
    only_in(
        "the terminal",
        &["println!", "eprintln!", "print!(", "std::io::stdout", "std::io::stderr"],
        &["cli/"],
    );
    only_in("exit codes", &["ExitCode", "process::exit"], &["cli/", "main.rs"]);
    only_in("a global or unseeded generator", &["thread_rng", "rand::rng(", "from_entropy", "OsRng"], &[]);
}

#[test]
fn the_core_does_no_io() {
    let io = ["std::fs", "std::io", "File::", "std::net", "std::process"];
    let core = ["model/", "engine/", "batch/", "stats/", "explore/", "calibrate/"];
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(path, text)| {
            core.iter().any(|c| path.starts_with(c)) && io.iter().any(|p| text.contains(p))
        })
        .map(|(path, _)| path)
        .collect();
    assert!(offenders.is_empty(), "I/O in the core: {offenders:?}");
}

/// `crate::X` references of each top-level module.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in sources() {
        let top = path.split('/').next().unwrap_or_default().trim_end_matches(".rs").to_string();
        let deps = graph.entry(top.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String =
                text[i + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if name != top && !name.is_empty() {
                deps.insert(name);
            }
        }
    }
    graph
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = module_graph();
    // Depth-first search; `on_path` holds the modules of the current path.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        on_path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(k) = on_path.iter().position(|p| p == m) {
            panic!("module cycle: {}", [&on_path[k..], &[m.to_string()]].concat().join(" -> "));
        }
        if !done.insert(m.to_string()) {
            return;
        }
        on_path.push(m.to_string());
        for d in graph.get(m).into_iter().flatten() {
            visit(d, graph, on_path, done);
        }
        on_path.pop();
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
    // The layers ARCHITECTURE.md draws: nothing below `job` knows it or the command line.
    for (m, deps) in &graph {
        if m != "cli" && m != "main" {
            assert!(!deps.contains("cli"), "{m} uses cli");
        }
        if !["cli", "job", "main"].contains(&m.as_str()) {
            assert!(!deps.contains("job"), "{m} uses job");
        }
    }
    for core in ["model", "engine"] {
        let deps = &graph[core];
        let allowed: BTreeSet<String> = ["model", "calendar"].iter().map(|s| s.to_string()).collect();
        assert!(deps.is_subset(&allowed), "{core} uses {deps:?}");
    }
}

#[test]
fn no_command_imports_another() {
    let cli = repo_root().join("src/cli");
    let commands: Vec<String> = std::fs::read_dir(&cli)
        .expect("src/cli is readable")
        .map(|e| e.expect("readable").path())
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|s| !["mod", "common", "args"].contains(&s.as_str()))
        .collect();
    for (path, text) in sources().into_iter().filter(|(p, _)| p.starts_with("cli/")) {
        let name = Path::new(&path).file_stem().unwrap_or_default().to_string_lossy().into_owned();
        if name == "mod" {
            continue;
        }
        for other in &commands {
            let imports =
                [format!("super::{other}::"), format!("super::{other};"), format!("crate::cli::{other}")];
            assert!(!imports.iter().any(|i| text.contains(i)), "cli/{name}.rs imports the command {other}");
        }
    }
}
