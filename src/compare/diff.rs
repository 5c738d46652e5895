//! Two results folders side by side (`detente diff A B`).
//!
//! Each folder's `summary.csv` gives, per scenario, variant and tracked
//! dyad, the share of runs that reached each stage by each cut-off of its
//! `p_by` columns and by the horizon; its `runs.csv` gives every run's first
//! month at each stage. Rows of the two folders are paired (the same
//! scenario, variant and dyad; or the pairs asked for), and for each pair,
//! stage and cut-off both folders report, the difference B − A is measured
//! with its 95 % interval and a p-value:
//!
//! * shares: Newcombe's interval of the difference, Fisher's exact test
//!   (tables where neither folder, or every run of both, reached the stage
//!   are not tests: nothing could differ);
//! * median first reach (runs.csv; months on the calendar, so folders with
//!   different start months compare): the difference of the nearest-rank
//!   medians, its standard error from each median's distribution-free 95 %
//!   interval (half-width / 1.96), a z-test; only when at least
//!   [`MIN_REACHED`] runs of each folder reached the stage.
//!
//! A difference is *flagged* when its Holm-adjusted p-value over every test
//! of the comparison is below [`ALPHA`]: when two folders differ only by
//! Monte Carlo noise (the same scenario with another seed), the chance that
//! anything at all is flagged is at most 5 %, whatever the dependence
//! between the tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::calendar::{By, Date, YearMonth};
use crate::model::same_dyad;
use crate::stats::proportion::{fisher_exact, holm, median_interval, newcombe, two_sided};
use crate::stats::quantile::Z95;

/// Family-wise error rate of the flags.
pub const ALPHA: f64 = 0.05;

/// Runs that must reach a stage in each folder before its median is compared.
pub const MIN_REACHED: usize = 20;

/// Why two folders cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// A folder lacks a file the comparison needs, or a file is malformed.
    #[error("{}: {message}", path.display())]
    Folder {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The folders hold nothing that can be compared.
    #[error("{0}")]
    Mismatch(String),
}

fn folder_error(path: &Path, message: impl Into<String>) -> DiffError {
    DiffError::Folder { path: path.to_path_buf(), message: message.into() }
}

/// One scenario × variant × dyad of a folder.
#[derive(Debug, Clone)]
pub struct Row {
    /// Scenario name.
    pub scenario: String,
    /// Variant name.
    pub variant: String,
    /// Dyad label.
    pub dyad: String,
    /// Runs.
    pub runs: u64,
    /// Stage at the start.
    pub initial_stage: u8,
    /// Last month simulated (None: an older summary without `horizon_date`).
    pub horizon: Option<YearMonth>,
    /// Per stage (index = stage; 0 unused): share reached by the horizon.
    pub shares: Vec<Option<f64>>,
    /// Per cut-off of `summary.csv`: the shares by it, per stage.
    pub p_by: Vec<(By, Vec<Option<f64>>)>,
    /// Per stage: the calendar months (months since year 1) in which the
    /// runs that reached it first did, sorted.
    pub reach: Vec<Vec<i32>>,
}

/// A results folder as `diff` reads it.
#[derive(Debug, Clone)]
pub struct Folder {
    /// The folder.
    pub dir: PathBuf,
    /// Rungs of the ladder (stage columns + 1).
    pub rungs: usize,
    /// Rows in file order.
    pub rows: Vec<Row>,
    /// Whether `runs.csv` was there (median timing needs it).
    pub has_runs: bool,
}

fn month_ordinal(m: YearMonth) -> i32 {
    m.year() * 12 + m.month() as i32 - 1
}

fn ordinal_month(o: i32) -> Option<YearMonth> {
    YearMonth::new(o.div_euclid(12), o.rem_euclid(12) as u32 + 1)
}

fn open_csv(path: &Path) -> Result<csv::Reader<std::fs::File>, DiffError> {
    csv::Reader::from_path(path).map_err(|e| folder_error(path, format!("cannot read: {e}")))
}

/// Reads `dir/summary.csv` and, when present, `dir/runs.csv`.
pub fn read_folder(dir: &Path) -> Result<Folder, DiffError> {
    if !dir.is_dir() {
        return Err(folder_error(dir, "not a folder"));
    }
    let path = dir.join("summary.csv");
    if !path.is_file() {
        return Err(folder_error(
            dir,
            "no summary.csv: diff compares folders written by `detente run` (or `detente merge` of its shards)",
        ));
    }
    let mut reader = open_csv(&path)?;
    let header: Vec<String> =
        reader.headers().map_err(|e| folder_error(&path, e.to_string()))?.iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &str| col(name).ok_or_else(|| folder_error(&path, format!("no column {name:?}")));
    let (cs, cv, cd, cr, ci) =
        (need("scenario")?, need("variant")?, need("dyad")?, need("runs")?, need("initial_stage")?);
    let ch = col("horizon_date");
    let mut share_cols: Vec<(usize, usize)> = Vec::new();
    let mut by_cols: BTreeMap<String, (By, Vec<(usize, usize)>)> = BTreeMap::new();
    for (i, h) in header.iter().enumerate() {
        let Some(rest) = h.strip_prefix("stage_") else { continue };
        let Some((s, tail)) = rest.split_once('_') else { continue };
        let Ok(s) = s.parse::<usize>() else { continue };
        if tail == "share" {
            share_cols.push((s, i));
        } else if let Some(label) = tail.strip_prefix("p_by_") {
            if label.ends_with("_low") || label.ends_with("_high") {
                continue;
            }
            if let Ok(by) = By::parse(label) {
                by_cols.entry(label.to_string()).or_insert_with(|| (by, Vec::new())).1.push((s, i));
            }
        }
    }
    let rungs = share_cols.iter().map(|(s, _)| s + 1).max().unwrap_or(1);
    let mut by_list: Vec<(By, Vec<(usize, usize)>)> = by_cols.into_values().collect();
    by_list.sort_by(|a, b| (a.0.last_month(), a.0.label()).cmp(&(b.0.last_month(), b.0.label())));
    let mut rows = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| folder_error(&path, e.to_string()))?;
        let field = |i: usize| record.get(i).unwrap_or("");
        let num = |i: usize| field(i).parse::<f64>().ok();
        let bad = |what: &str| folder_error(&path, format!("line {}: {what}", line + 2));
        let stages = |cols: &[(usize, usize)]| {
            let mut v = vec![None; rungs];
            for &(s, i) in cols {
                v[s] = num(i);
            }
            v
        };
        rows.push(Row {
            scenario: field(cs).to_string(),
            variant: field(cv).to_string(),
            dyad: field(cd).to_string(),
            runs: field(cr).parse().map_err(|_| bad("runs is not a whole number"))?,
            initial_stage: field(ci).parse().map_err(|_| bad("initial_stage is not a whole number"))?,
            horizon: ch.and_then(|c| Date::parse(field(c)).ok()).map(Date::year_month),
            shares: stages(&share_cols),
            p_by: by_list.iter().map(|(by, cols)| (by.clone(), stages(cols))).collect(),
            reach: vec![Vec::new(); rungs],
        });
    }
    let runs_path = dir.join("runs.csv");
    let has_runs = runs_path.is_file();
    if has_runs {
        read_reach(&runs_path, &mut rows, rungs)?;
    }
    Ok(Folder { dir: dir.to_path_buf(), rungs, rows, has_runs })
}

/// Adds every run's first-reach months from `runs.csv` to its row.
fn read_reach(path: &Path, rows: &mut [Row], rungs: usize) -> Result<(), DiffError> {
    let mut reader = open_csv(path)?;
    let header: Vec<String> =
        reader.headers().map_err(|e| folder_error(path, e.to_string()))?.iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(cs), Some(cv), Some(cd)) = (col("scenario"), col("variant"), col("dyad")) else {
        return Err(folder_error(path, "no scenario, variant or dyad column"));
    };
    if col("point").is_some() {
        return Err(folder_error(
            path,
            "runs keyed by design point (a sweep): diff compares `detente run` folders",
        ));
    }
    let dates: Vec<(usize, usize)> =
        (1..rungs).filter_map(|s| col(&format!("stage_{s}_date")).map(|c| (s, c))).collect();
    let mut index: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        index.insert((r.scenario.clone(), r.variant.clone(), r.dyad.clone()), i);
    }
    let mut record = csv::StringRecord::new();
    let mut last: Option<((String, String, String), usize)> = None;
    while reader.read_record(&mut record).map_err(|e| folder_error(path, e.to_string()))? {
        let key = (
            record.get(cs).unwrap_or("").to_string(),
            record.get(cv).unwrap_or("").to_string(),
            record.get(cd).unwrap_or("").to_string(),
        );
        let row = match &last {
            Some((k, i)) if *k == key => *i,
            _ => {
                let Some(&i) = index.get(&key) else { continue };
                last = Some((key, i));
                i
            }
        };
        for &(s, c) in &dates {
            if let Ok(d) = Date::parse(record.get(c).unwrap_or("")) {
                rows[row].reach[s].push(month_ordinal(d.year_month()));
            }
        }
    }
    for r in rows {
        for v in &mut r.reach {
            v.sort_unstable();
        }
    }
    Ok(())
}

/// Which rows of A and B are compared: pairs of (index in A, index in B).
///
/// With `wanted` (variant of A, variant of B) pairs, those variants, dyad
/// by dyad; else every scenario, variant and dyad both folders hold; else,
/// when each folder holds one scenario, the same variant and dyad under
/// another scenario name; else, when each holds one variant, those two.
pub fn pair_rows(
    a: &Folder,
    b: &Folder,
    wanted: &[(String, String)],
) -> Result<Vec<(usize, usize)>, DiffError> {
    if a.rungs != b.rungs {
        return Err(DiffError::Mismatch(format!(
            "the folders' ladders differ ({} has stages 1 to {}, {} has 1 to {}): their stages are not the same",
            a.dir.display(),
            a.rungs - 1,
            b.dir.display(),
            b.rungs - 1
        )));
    }
    let single = |f: &Folder| f.rows.iter().all(|r| r.scenario == f.rows[0].scenario) && !f.rows.is_empty();
    let one_scenario = single(a) && single(b);
    let same_scenario = |x: &Row, y: &Row| x.scenario == y.scenario || one_scenario;
    let mut pairs = Vec::new();
    if !wanted.is_empty() {
        for (va, vb) in wanted {
            let found = |f: &Folder, v: &str| f.rows.iter().any(|r| r.variant == v);
            for (f, v) in [(a, va), (b, vb)] {
                if !found(f, v) {
                    return Err(DiffError::Mismatch(format!(
                        "--variant {va}:{vb}: {} has no variant `{v}` (it has {})",
                        f.dir.display(),
                        variants(f)
                    )));
                }
            }
            for (i, x) in a.rows.iter().enumerate().filter(|(_, r)| r.variant == *va) {
                for (j, y) in b.rows.iter().enumerate().filter(|(_, r)| r.variant == *vb) {
                    if same_scenario(x, y) && same_dyad(&y.dyad, &x.dyad) {
                        pairs.push((i, j));
                    }
                }
            }
        }
    } else {
        let matched = |rule: &dyn Fn(&Row, &Row) -> bool| -> Vec<(usize, usize)> {
            a.rows
                .iter()
                .enumerate()
                .filter_map(|(i, x)| b.rows.iter().position(|y| rule(x, y)).map(|j| (i, j)))
                .collect()
        };
        pairs = matched(&|x, y| {
            x.scenario == y.scenario && x.variant == y.variant && same_dyad(&y.dyad, &x.dyad)
        });
        if pairs.is_empty() && one_scenario {
            pairs = matched(&|x, y| x.variant == y.variant && same_dyad(&y.dyad, &x.dyad));
        }
        let one_variant = |f: &Folder| f.rows.iter().all(|r| r.variant == f.rows[0].variant);
        if pairs.is_empty() && one_scenario && one_variant(a) && one_variant(b) {
            pairs = matched(&|x, y| same_dyad(&y.dyad, &x.dyad));
        }
    }
    if pairs.is_empty() {
        return Err(DiffError::Mismatch(format!(
            "nothing to compare: {} holds {} and {} holds {}; name the variants to compare with \
             --variant A:B (A's variant, B's variant)",
            a.dir.display(),
            variants(a),
            b.dir.display(),
            variants(b)
        )));
    }
    Ok(pairs)
}

/// "scenario/variant (dyad), ..." of a folder, for messages.
fn variants(f: &Folder) -> String {
    let mut seen: Vec<String> = Vec::new();
    for r in &f.rows {
        let s = format!("{}/{} ({})", r.scenario, r.variant, r.dyad);
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    if seen.is_empty() {
        "no rows".to_string()
    } else {
        seen.join(", ")
    }
}

/// What a line of the comparison measures.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// The share of runs that reached the stage by a cut-off (its label).
    PBy(String),
    /// The median month of first reach among the runs that reached it.
    Median,
}

/// One difference between the folders.
#[derive(Debug, Clone)]
pub struct Line {
    /// Index of the pair in the pair list.
    pub pair: usize,
    /// Stage.
    pub stage: u8,
    /// What is compared.
    pub measure: Measure,
    /// Runs of A and B.
    pub runs: (u64, u64),
    /// Runs of A and B that reached the stage (by the cut-off; by the horizon for the median).
    pub reached: (u64, u64),
    /// Shares of A and B (share lines).
    pub share: Option<(f64, f64)>,
    /// Median months of A and B (median lines, when both are defined).
    pub median: (Option<YearMonth>, Option<YearMonth>),
    /// B − A: a share, or months.
    pub difference: Option<f64>,
    /// Its 95 % interval.
    pub interval: Option<(f64, f64)>,
    /// Two-sided p-value (None: not a test).
    pub p: Option<f64>,
    /// Holm-adjusted over every test of the comparison.
    pub p_holm: Option<f64>,
    /// Beyond Monte Carlo noise.
    pub flagged: bool,
}

/// The nearest-rank median of sorted values (the ⌈n/2⌉-th).
fn median(v: &[i32]) -> Option<i32> {
    (!v.is_empty()).then(|| v[v.len().div_ceil(2) - 1])
}

/// The standard error of a median from its distribution-free interval.
fn median_se(v: &[i32]) -> Option<f64> {
    let (lo, hi) = median_interval(v.len())?;
    Some(f64::from(v[hi - 1] - v[lo - 1]) / (2.0 * Z95))
}

/// A cut-off both rows report: its label and each row's shares by stage.
type Cut<'a> = (String, &'a [Option<f64>], &'a [Option<f64>]);

/// Every difference of the pairs, in pair, stage, cut-off order (the
/// median last), with Holm's adjustment over all the tests.
pub fn compare(a: &Folder, b: &Folder, pairs: &[(usize, usize)]) -> Vec<Line> {
    let mut lines = Vec::new();
    for (k, &(i, j)) in pairs.iter().enumerate() {
        let (x, y) = (&a.rows[i], &b.rows[j]);
        let low = x.initial_stage.max(y.initial_stage) as usize;
        // Cut-offs both report; the horizon too when both end in the same month.
        let mut cuts: Vec<Cut<'_>> = Vec::new();
        for (by, xs) in &x.p_by {
            if let Some((_, ys)) = y.p_by.iter().find(|(b2, _)| b2.label() == by.label()) {
                cuts.push((by.label().to_string(), xs, ys));
            }
        }
        if let (Some(h), Some(h2)) = (x.horizon, y.horizon) {
            let covered = x.p_by.iter().any(|(by, _)| by.last_month() == h);
            if h == h2 && !covered {
                cuts.push((h.to_string(), &x.shares, &y.shares));
            }
        }
        for s in low + 1..a.rungs {
            for (label, xs, ys) in &cuts {
                let (Some(pa), Some(pb)) = (xs[s], ys[s]) else { continue };
                let (ka, kb) = ((pa * x.runs as f64).round() as u64, (pb * y.runs as f64).round() as u64);
                let degenerate = ka + kb == 0 || ka + kb == x.runs + y.runs;
                lines.push(Line {
                    pair: k,
                    stage: s as u8,
                    measure: Measure::PBy(label.clone()),
                    runs: (x.runs, y.runs),
                    reached: (ka, kb),
                    share: Some((pa, pb)),
                    median: (None, None),
                    difference: Some(pb - pa),
                    interval: Some(newcombe(ka, x.runs, kb, y.runs)),
                    p: (!degenerate).then(|| fisher_exact(ka, x.runs, kb, y.runs)),
                    p_holm: None,
                    flagged: false,
                });
            }
            if !(a.has_runs && b.has_runs) {
                continue;
            }
            let (ra, rb) = (&x.reach[s], &y.reach[s]);
            let (ma, mb) = (median(ra), median(rb));
            let mut line = Line {
                pair: k,
                stage: s as u8,
                measure: Measure::Median,
                runs: (x.runs, y.runs),
                reached: (ra.len() as u64, rb.len() as u64),
                share: None,
                median: (ma.and_then(ordinal_month), mb.and_then(ordinal_month)),
                difference: None,
                interval: None,
                p: None,
                p_holm: None,
                flagged: false,
            };
            if let (Some(ma), Some(mb)) = (ma, mb) {
                let d = f64::from(mb - ma);
                line.difference = Some(d);
                if ra.len() >= MIN_REACHED && rb.len() >= MIN_REACHED {
                    let se = median_se(ra).unwrap_or(0.0).hypot(median_se(rb).unwrap_or(0.0));
                    line.interval = Some((d - Z95 * se, d + Z95 * se));
                    line.p = Some(if se > 0.0 {
                        two_sided(d / se)
                    } else if d == 0.0 {
                        1.0
                    } else {
                        0.0
                    });
                }
            }
            lines.push(line);
        }
    }
    let p: Vec<f64> = lines.iter().map(|l| l.p.unwrap_or(f64::NAN)).collect();
    for (line, adjusted) in lines.iter_mut().zip(holm(&p)) {
        if !adjusted.is_nan() {
            line.p_holm = Some(adjusted);
            line.flagged = adjusted < ALPHA;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(variant: &str, runs: u64, share: f64, reach: Vec<i32>) -> Row {
        Row {
            scenario: "s".into(),
            variant: variant.into(),
            dyad: "a-b".into(),
            runs,
            initial_stage: 1,
            horizon: YearMonth::new(2050, 12),
            shares: vec![None, None, Some(share)],
            p_by: vec![(By::year(2030).unwrap(), vec![None, None, Some(share / 2.0)])],
            reach: vec![Vec::new(), Vec::new(), reach],
        }
    }

    fn folder(dir: &str, rows: Vec<Row>) -> Folder {
        Folder { dir: dir.into(), rungs: 3, rows, has_runs: true }
    }

    #[test]
    fn the_same_rows_pair_and_a_clear_difference_is_flagged() {
        let months = |n: usize, from: i32| (0..n as i32).map(|i| from + i % 24).collect::<Vec<_>>();
        let a = folder("a", vec![row("baseline", 1000, 0.2, months(400, 24_300))]);
        let b = folder("b", vec![row("baseline", 1000, 0.4, months(400, 24_360))]);
        let pairs = pair_rows(&a, &b, &[]).unwrap();
        assert_eq!(pairs, [(0, 0)]);
        let lines = compare(&a, &b, &pairs);
        // By 2030, by the horizon, and the median.
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.flagged), "{lines:?}");
        assert_eq!(lines[2].difference, Some(60.0));
        let same = compare(&a, &a, &pair_rows(&a, &a, &[]).unwrap());
        assert!(same.iter().all(|l| !l.flagged));
    }

    /// A folder of `n` runs of one model: stage 2 first reached after a
    /// geometric wait, stage 3 after another, stage 4 rarely; cut-offs at
    /// the ends of 2004 and 2009, horizon 2029-12, start 2000-01.
    fn simulated(rng: &mut impl rand::Rng, n: u64, rates: [f64; 3]) -> Folder {
        let horizon = 359;
        let mut reach: Vec<Vec<i32>> = vec![Vec::new(); 5];
        for _ in 0..n {
            let mut month = 0i32;
            for (s, rate) in (2..5).zip(rates) {
                // Geometric wait in months at `rate` per month.
                let u: f64 = rng.random();
                month += (u.ln() / (1.0 - rate).ln()).floor() as i32;
                if month > horizon {
                    break;
                }
                reach[s].push(24_000 + month);
            }
        }
        for v in &mut reach {
            v.sort_unstable();
        }
        let share_by =
            |s: usize, m: i32| reach[s].iter().filter(|&&x| x <= 24_000 + m).count() as f64 / n as f64;
        let cut = |m: i32| (0..5).map(|s| (s >= 2).then(|| share_by(s, m))).collect::<Vec<_>>();
        let row = Row {
            scenario: "s".into(),
            variant: "v".into(),
            dyad: "a-b".into(),
            runs: n,
            initial_stage: 1,
            horizon: YearMonth::new(2029, 12),
            shares: cut(horizon),
            p_by: vec![(By::year(2004).unwrap(), cut(59)), (By::year(2009).unwrap(), cut(119))],
            reach: reach.clone(),
        };
        Folder { dir: "x".into(), rungs: 5, rows: vec![row], has_runs: true }
    }

    #[test]
    fn the_same_model_run_twice_flags_anything_in_at_most_five_percent_of_comparisons() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let trials = 400;
        let mut any = 0;
        let mut tests = 0;
        for _ in 0..trials {
            let rates = [0.02, 0.01, 0.002];
            let (a, b) = (simulated(&mut rng, 400, rates), simulated(&mut rng, 400, rates));
            let lines = compare(&a, &b, &[(0, 0)]);
            tests = lines.iter().filter(|l| l.p.is_some()).count();
            any += usize::from(lines.iter().any(|l| l.flagged));
        }
        assert!(tests >= 10, "{tests} tests per comparison");
        // Holm keeps the family-wise rate at or below 5 %: 20 of 400 expected at most;
        // 32 is that rate's binomial 99.9 % bound.
        assert!(any <= 32, "{any} of {trials} comparisons flagged something");
        // And a real difference (stage 2 twice as fast) is found.
        let a = simulated(&mut rng, 400, [0.02, 0.01, 0.002]);
        let b = simulated(&mut rng, 400, [0.04, 0.01, 0.002]);
        assert!(compare(&a, &b, &[(0, 0)]).iter().any(|l| l.flagged && l.stage == 2));
    }

    #[test]
    fn folders_that_share_nothing_are_refused_with_what_each_holds() {
        let a = folder(
            "a",
            vec![row("x", 10, 0.1, vec![]), Row { scenario: "t".into(), ..row("x", 10, 0.1, vec![]) }],
        );
        let b = folder("b", vec![row("y", 10, 0.1, vec![])]);
        let e = pair_rows(&a, &b, &[]).unwrap_err().to_string();
        assert!(e.contains("s/x (a-b)") && e.contains("s/y (a-b)") && e.contains("--variant A:B"), "{e}");
        assert_eq!(pair_rows(&a, &b, &[("x".into(), "y".into())]).unwrap(), [(0, 0)]);
        let mut c = b.clone();
        c.rungs = 8;
        assert!(pair_rows(&a, &c, &[]).unwrap_err().to_string().contains("ladders differ"));
    }
}
