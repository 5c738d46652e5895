//! `detente diff A B`: two results folders side by side. Reads both
//! folders ([`crate::compare::diff`]), pairs their rows, measures every
//! difference with its interval and flags those beyond Monte Carlo noise,
//! writes `diff.csv` and a `manifest.json`, and returns the terminal table.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::headline::layout;
use super::{command_line, Clock, Context, JobError, Report};
use crate::compare::diff::{self, DiffError, Folder, Line, Measure, ALPHA, MIN_REACHED};
use crate::output::diff::write_diff;
use crate::output::manifest::{read_manifest, Manifest, ScenarioEntry};
use crate::stats::proportion::{count, percent};

/// What `detente diff` asks for.
#[derive(Debug, Clone)]
pub struct DiffRun {
    /// Folder A (the reference of the differences B − A).
    pub a: PathBuf,
    /// Folder B.
    pub b: PathBuf,
    /// Pairs (variant of A, variant of B) to compare; empty: the variants both hold.
    pub variants: Vec<(String, String)>,
    /// Output folder (None: `results/diff/<A>-vs-<B>`).
    pub out: Option<PathBuf>,
}

/// What the manifest of a diff records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiffDetails {
    /// Folder A.
    pub a: String,
    /// Folder B.
    pub b: String,
    /// The pairs asked for (A's variant, B's variant).
    pub variants: Vec<(String, String)>,
    /// Tests made.
    pub tests: usize,
    /// Differences flagged.
    pub flagged: usize,
}

impl From<DiffError> for JobError {
    fn from(e: DiffError) -> JobError {
        JobError::Invalid(e.to_string())
    }
}

/// Parses `A:B` (or `V`, the same name in both) pairs of `--variant`.
pub fn parse_pairs(texts: &[String]) -> Result<Vec<(String, String)>, JobError> {
    texts
        .iter()
        .map(|t| {
            let (a, b) = t.split_once(':').unwrap_or((t, t));
            if a.trim().is_empty() || b.trim().is_empty() {
                bail!("--variant {t}: expected A:B (A's variant, then B's) or one name for both");
            }
            Ok((a.trim().to_string(), b.trim().to_string()))
        })
        .collect()
}

fn folder_name(p: &Path) -> String {
    p.file_name().map_or_else(|| "results".to_string(), |n| n.to_string_lossy().into_owned())
}

/// Reads the manifest's scenario entries and command, if the manifest is there.
fn manifest_of(dir: &Path) -> Option<Manifest<serde::de::IgnoredAny>> {
    read_manifest::<serde::de::IgnoredAny>(dir).ok()
}

/// Runs `detente diff`.
pub fn run(spec: &DiffRun) -> Result<Report, JobError> {
    let clock = Clock::start();
    let mut notes = Vec::new();
    let manifests = [manifest_of(&spec.a), manifest_of(&spec.b)];
    for (dir, m) in [&spec.a, &spec.b].iter().zip(&manifests) {
        match m {
            Some(m) if !["run", "merge"].contains(&m.command.as_str()) => bail!(
                "{}: written by `detente {}`; diff compares folders written by `detente run` (or `merge` of its shards)",
                dir.display(),
                m.command
            ),
            None if dir.is_dir() => {
                notes.push(format!("note: {}: no readable manifest.json; comparing its CSV files as they are", dir.display()))
            }
            _ => {}
        }
    }
    if let [Some(ma), Some(mb)] = &manifests {
        if ma.version != mb.version {
            notes.push(format!(
                "note: the folders were written by detente {} and {}: a difference may come from the model's version",
                ma.version, mb.version
            ));
        }
    }
    let a = diff::read_folder(&spec.a)?;
    let b = diff::read_folder(&spec.b)?;
    let same_folder = spec.a.canonicalize().ok().zip(spec.b.canonicalize().ok()).is_some_and(|(x, y)| x == y);
    if same_folder && spec.variants.is_empty() {
        bail!(
            "{} is compared with itself; give two folders, or two of its variants with --variant A:B",
            spec.a.display()
        );
    }
    let pairs = diff::pair_rows(&a, &b, &spec.variants)?;
    if !(a.has_runs && b.has_runs) {
        notes.push("note: runs.csv is missing from a folder: median timings are not compared".to_string());
    }
    let lines = diff::compare(&a, &b, &pairs);
    let out = spec.out.clone().unwrap_or_else(|| {
        Path::new("results/diff").join(format!("{}-vs-{}", folder_name(&spec.a), folder_name(&spec.b)))
    });
    let path = out.join("diff.csv");
    write_diff(&path, &a, &b, &pairs, &lines)
        .with_context(|| format!("cannot write to {}", out.display()))?;
    let tests = lines.iter().filter(|l| l.p.is_some()).count();
    let flagged = lines.iter().filter(|l| l.flagged).count();
    let scenarios: Vec<ScenarioEntry> =
        manifests.iter().flatten().flat_map(|m| m.scenarios.clone()).collect();
    let details = DiffDetails {
        a: spec.a.display().to_string(),
        b: spec.b.display().to_string(),
        variants: spec.variants.clone(),
        tests,
        flagged,
    };
    Manifest::new("diff", command_line(), scenarios, 0, clock.timing(), 0, &[path], details).write(&out)?;
    let mut text = table(&a, &b, &pairs, &lines);
    text.push_str(&format!(
        "\n* beyond Monte Carlo noise: Holm-adjusted p < {ALPHA} over the {tests} tests of this comparison \
         (Fisher's exact test on shares, a z-test on medians of at least {MIN_REACHED} runs); two folders that differ \
         only in their seed show a flag in at most 5 % of comparisons.\n{flagged} of {tests} differences flagged; \
         diff.csv in {}\n",
        out.display()
    ));
    Ok(Report { text, notes, ..Report::default() })
}

/// A signed share difference in percentage points.
fn points(d: f64) -> String {
    let p = percent(d.abs());
    if d > 0.0 {
        format!("+{p}")
    } else if d < 0.0 {
        format!("\u{2212}{p}")
    } else {
        p
    }
}

fn signed_months(d: f64) -> String {
    if d > 0.0 {
        format!("+{d:.0}")
    } else if d < 0.0 {
        format!("\u{2212}{:.0}", -d)
    } else {
        "0".to_string()
    }
}

/// The terminal table: per pair, one line per stage and measure.
fn table(a: &Folder, b: &Folder, pairs: &[(usize, usize)], lines: &[Line]) -> String {
    let mut text = String::new();
    for (k, &(i, j)) in pairs.iter().enumerate() {
        let (x, y) = (&a.rows[i], &b.rows[j]);
        let name = |r: &diff::Row| format!("{}/{}", r.scenario, r.variant);
        text.push_str(&format!(
            "\n{}: B {} ({} runs, {}) against A {} ({} runs, {})\n",
            x.dyad,
            name(y),
            count(y.runs),
            b.dir.display(),
            name(x),
            count(x.runs),
            a.dir.display()
        ));
        let mut rows: Vec<Vec<String>> =
            vec![["stage", "by", "A", "B", "B \u{2212} A (95 % interval)", ""].map(String::from).to_vec()];
        let mut last_stage = None;
        for l in lines.iter().filter(|l| l.pair == k) {
            let stage = if last_stage == Some(l.stage) {
                String::new()
            } else {
                crate::report::rung_name(l.stage, a.rungs).to_string()
            };
            last_stage = Some(l.stage);
            let stage = if stage.is_empty() { stage } else { format!("{} {stage}", l.stage) };
            let flag = if l.flagged { "*" } else { "" }.to_string();
            let row = match &l.measure {
                Measure::PBy(label) => {
                    let (pa, pb) = l.share.unwrap_or((0.0, 0.0));
                    let diff = match (l.difference, l.interval, l.p) {
                        (Some(d), Some((lo, hi)), Some(_)) => {
                            format!("{} pp ({} to {})", points(d), points(lo), points(hi))
                        }
                        _ => "= (none or all in both)".to_string(),
                    };
                    vec![
                        stage,
                        label.clone(),
                        format!("{} %", percent(pa)),
                        format!("{} %", percent(pb)),
                        diff,
                        flag,
                    ]
                }
                Measure::Median => {
                    let show = |m: Option<crate::calendar::YearMonth>| {
                        m.map_or("\u{2013}".to_string(), |m| m.to_string())
                    };
                    let diff = match (l.difference, l.interval) {
                        (Some(d), Some((lo, hi))) => {
                            format!(
                                "{} months ({} to {})",
                                signed_months(d),
                                signed_months(lo),
                                signed_months(hi)
                            )
                        }
                        (Some(d), None) => format!("{} months (too few runs to test)", signed_months(d)),
                        _ => "\u{2013}".to_string(),
                    };
                    vec![stage, "median".to_string(), show(l.median.0), show(l.median.1), diff, flag]
                }
            };
            rows.push(row);
        }
        text.push_str(&layout(&rows));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_pairs_parse() {
        let pairs = parse_pairs(&["baseline:ct".into(), "x".into()]).unwrap();
        assert_eq!(pairs, [("baseline".into(), "ct".into()), ("x".into(), "x".into())]);
        assert!(parse_pairs(&[":b".into()]).is_err());
        assert_eq!(points(0.123), "+12.3");
        assert_eq!(points(-0.004), "\u{2212}0.40");
    }
}
