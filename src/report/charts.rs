//! The charts: the probability of each stage by date with its interval
//! (variants overlaid), stage and trust fan charts per tracked dyad, the
//! distribution of time to a chosen stage per variant on one scale, and a
//! signed tornado chart of sensitivity.
//!
//! Each chart is one SVG document with one `<g class="panel">` per variant
//! (per stage in the probability chart, per outcome in the tornado), so a reader, or a test, can count the
//! series. Stage fans are drawn as step functions because stages are whole
//! rungs held for whole months; trust is drawn as lines.

use super::exemplars::{dyad_for, DyadChoice};
use super::svg::{steps, tick_step, Scale, Svg, PALETTE};
use super::table::{cell, num, Table};
use super::{rung_name, Folder, Options, Outcome, ReportError};
use crate::calendar::{Date, YearMonth};
use crate::reference::ReferencePath;
use crate::stats::proportion::wilson;

/// (scenario, variant) or (scenario, dyad).
type Key = (String, String);

/// One tornado bar: parameter, index, interval low and high, sign of the effect.
type Bar = (String, f64, Option<f64>, Option<f64>, Option<f64>);

/// One chart, ready to write or inline.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File name under `charts/`.
    pub file: String,
    /// Caption for the page.
    pub title: String,
    /// The SVG document.
    pub svg: String,
}

const PANEL_W: f64 = 430.0;
const PANEL_H: f64 = 190.0;
const LEFT: f64 = 44.0;
const TOP: f64 = 26.0;
const GAP_X: f64 = 30.0;
const GAP_Y: f64 = 44.0;

/// Every chart the folder supports; notes say which could not be drawn.
pub fn all(
    folder: &Folder,
    ladder_len: usize,
    runs: Option<&Table>,
    chosen: Option<&Vec<DyadChoice>>,
    references: &[ReferencePath],
    options: &Options,
    outcome: &mut Outcome,
) -> Result<Vec<Chart>, ReportError> {
    let mut charts = Vec::new();
    match folder.file("timeseries.csv") {
        Some(path) => {
            let ts = Table::load(&path, None)?;
            super::checks::check(&ts)?;
            if ts.col("stage_median").is_some() {
                let names = |scenario: &str, dyad: &str| {
                    let ids = chosen
                        .and_then(|c| c.iter().find(|d| d.scenario == scenario && d.dyad == dyad))
                        .map(|d| (d.actor_a.clone(), d.actor_b.clone()))
                        .or_else(|| dyad.split_once('-').map(|(a, b)| (a.to_string(), b.to_string())))
                        .unwrap_or_else(|| ("a".to_string(), "b".to_string()));
                    (folder.actor_name(scenario, &ids.0), folder.actor_name(scenario, &ids.1))
                };
                charts.extend(fans(&ts, references, ladder_len, options.dyad.as_deref(), &names)?);
            } else {
                outcome.notes.push(
                    "timeseries.csv is the full form (one row per run and month): fan charts need the \
                     quantile bands of `detente run ... --timeseries summary`"
                        .to_string(),
                );
            }
        }
        None => outcome.notes.push(
            "timeseries.csv is absent: rerun with `--timeseries summary` for the fan charts".to_string(),
        ),
    }
    if !references.is_empty() && charts.is_empty() {
        outcome.notes.push("--reference given but there is no fan chart to overlay it on".to_string());
    }
    if let (Some(runs), Some(chosen)) = (runs, chosen) {
        let reached = reach(runs, chosen, ladder_len, folder)?;
        let pooled = runs.col("point").is_some();
        // Cumulative probabilities need each run once: a sweep's pooled
        // points are different parameter sets, not one distribution.
        // The answer to "how likely, by when" leads the page.
        if !pooled {
            charts.splice(0..0, cumulative(&reached, chosen, folder, ladder_len));
        }
        charts.extend(time_to_stage(&reached, chosen, options.stage, ladder_len, pooled));
    }
    if let Some(path) = folder.file("sensitivity.csv") {
        let table = Table::load(&path, None)?;
        match tornado(&table) {
            Some(chart) => charts.push(chart),
            None => outcome.notes.push(
                "sensitivity.csv has no recognisable parameter and index columns: no tornado chart"
                    .to_string(),
            ),
        }
    }
    Ok(charts)
}

/// A file-name-safe form of a label.
fn slug(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

/// The start month implied by a (month index, ISO date) pair.
fn start_of(month: &str, date: &str) -> Option<YearMonth> {
    let m: i32 = month.parse().ok()?;
    Some(Date::parse(date).ok()?.year_month().plus(-m))
}

/// Monthly quantiles of one variant of one dyad.
struct Series {
    variant: String,
    /// (month, p10, median, p90) for the stage.
    stage: Vec<(f64, f64, f64, f64)>,
    /// (month, p10, median, p90) for a's trust in b.
    trust_ab: Vec<(f64, f64, f64, f64)>,
    /// (month, median) for b's trust in a.
    trust_ba: Vec<(f64, f64)>,
}

/// Stage and trust fan charts, one pair per scenario and dyad.
fn fans(
    ts: &Table,
    refs: &[ReferencePath],
    ladder_len: usize,
    only: Option<&str>,
    names: &dyn Fn(&str, &str) -> (String, String),
) -> Result<Vec<Chart>, ReportError> {
    let c = |n: &str| ts.need(n);
    let (cs, cv, cd, cm, cdate) = (c("scenario")?, c("variant")?, c("dyad")?, c("month")?, c("date")?);
    let (s10, s50, s90) = (c("stage_p10")?, c("stage_median")?, c("stage_p90")?);
    let (t10, t50, t90, tba) =
        (c("trust_ab_p10")?, c("trust_ab_median")?, c("trust_ab_p90")?, c("trust_ba_median")?);
    // (scenario, dyad) → (start, series per variant), in first-seen order.
    let mut groups: Vec<(Key, Option<YearMonth>, Vec<Series>)> = Vec::new();
    for row in &ts.rows {
        let key = (cell(row, cs).to_string(), cell(row, cd).to_string());
        if only.is_some_and(|d| d != key.1) {
            continue;
        }
        let idx = match groups.iter().position(|(k, _, _)| *k == key) {
            Some(i) => i,
            None => {
                groups.push((key, None, Vec::new()));
                groups.len() - 1
            }
        };
        let (_, start, series) = &mut groups[idx];
        if start.is_none() {
            *start = start_of(cell(row, cm), cell(row, cdate));
        }
        let variant = cell(row, cv);
        if series.last().is_none_or(|s| s.variant != variant) {
            series.push(Series {
                variant: variant.to_string(),
                stage: Vec::new(),
                trust_ab: Vec::new(),
                trust_ba: Vec::new(),
            });
        }
        let s = series.last_mut().expect("pushed above");
        let Some(m) = num(row, cm) else { continue };
        if let (Some(a), Some(b), Some(d)) = (num(row, s10), num(row, s50), num(row, s90)) {
            s.stage.push((m, a, b, d));
        }
        if let (Some(a), Some(b), Some(d)) = (num(row, t10), num(row, t50), num(row, t90)) {
            s.trust_ab.push((m, a, b, d));
        }
        if let Some(b) = num(row, tba) {
            s.trust_ba.push((m, b));
        }
    }
    let mut out = Vec::new();
    for ((scenario, dyad), start, series) in &groups {
        let Some(start) = *start else { continue };
        let horizon = series.iter().flat_map(|s| s.stage.last()).map(|p| p.0).fold(0.0, f64::max);
        let top = (ladder_len.max(1) - 1) as f64;
        let (a, b) = names(scenario, dyad);
        out.push(Chart {
            file: format!("fan_stage_{}_{}.svg", slug(scenario), slug(dyad)),
            title: format!("{scenario}, {a} and {b}: stage over time, median and 10–90 % band per variant"),
            svg: fan_svg(
                &format!("{scenario} · {a} and {b} · stage (median, 10–90 % band)"),
                series,
                start,
                horizon,
                (0.0, top),
                FanKind::Stage { refs, ladder_len },
            ),
        });
        out.push(Chart {
            file: format!("fan_trust_{}_{}.svg", slug(scenario), slug(dyad)),
            title: format!(
                "{scenario}: trust of {a} in {b} (median and 10–90 % band) and of {b} in {a} (dashed median)"
            ),
            svg: fan_svg(
                &format!("{scenario} · trust between {a} and {b}"),
                series,
                start,
                horizon,
                (0.0, 1.0),
                FanKind::Trust { a: &a, b: &b },
            ),
        });
    }
    Ok(out)
}

/// What a fan chart shows.
enum FanKind<'a> {
    Stage { refs: &'a [ReferencePath], ladder_len: usize },
    Trust { a: &'a str, b: &'a str },
}

/// Months from the scenario start at which each reference row holds, with
/// the reference's first row mapped to month 0 (elapsed-time alignment).
fn reference_steps(reference: &ReferencePath, horizon: f64) -> Vec<(f64, f64)> {
    let origin = reference.origin();
    let f = origin.year_month();
    let o = origin.months_after(f);
    let mut pts = Vec::new();
    for (i, row) in reference.rows.iter().enumerate() {
        let t0 = row.date.months_after(f) - o;
        if t0 > horizon + 1.0 {
            break;
        }
        let t1 = reference
            .rows
            .get(i + 1)
            .map_or(horizon + 1.0, |next| next.date.months_after(f) - o)
            .min(horizon + 1.0);
        pts.push((t0, f64::from(row.stage)));
        pts.push((t1, f64::from(row.stage)));
    }
    pts
}

fn fan_svg(
    title: &str,
    series: &[Series],
    start: YearMonth,
    horizon: f64,
    y: (f64, f64),
    kind: FanKind<'_>,
) -> String {
    let cols = if series.len() > 1 { 2 } else { 1 };
    let rows = series.len().div_ceil(cols).max(1);
    let legend_h = 40.0;
    // Stage panels name their rungs on the y axis.
    let (left, gap_x) = match kind {
        FanKind::Stage { .. } => (LEFT + 120.0, GAP_X + 120.0),
        FanKind::Trust { .. } => (LEFT, GAP_X),
    };
    let width = left + cols as f64 * (PANEL_W + gap_x) + 10.0;
    let height = TOP + 20.0 + rows as f64 * (PANEL_H + GAP_Y) + legend_h;
    let mut svg = Svg::new(width.round(), height.round());
    svg.title(LEFT, 18.0, 14.0, title);
    let n_refs = match &kind {
        FanKind::Stage { refs, .. } => refs.len(),
        FanKind::Trust { .. } => 0,
    };
    for (i, s) in series.iter().enumerate() {
        let px = left + (i % cols) as f64 * (PANEL_W + gap_x);
        let py = TOP + 20.0 + (i / cols) as f64 * (PANEL_H + GAP_Y);
        let xs = Scale::new(0.0, horizon + 1.0, px, px + PANEL_W);
        let ys = Scale::new(y.0, y.1, py + PANEL_H, py);
        svg.raw(&format!("<g class=\"panel\" data-variant=\"{}\">\n", super::escape(&s.variant)));
        svg.rect(px, py, PANEL_W, PANEL_H, "#fafafa", "stroke=\"#999999\" stroke-width=\"0.5\"");
        svg.title(px, py - 6.0, 12.0, &s.variant);
        year_ticks(&mut svg, &xs, start, horizon, py + PANEL_H);
        // Horizontal grid and y labels.
        let ticks: Vec<f64> = match kind {
            FanKind::Stage { .. } => (0..=(y.1 as i32)).map(f64::from).collect(),
            FanKind::Trust { .. } => vec![0.0, 0.25, 0.5, 0.75, 1.0],
        };
        for t in ticks {
            let yy = ys.at(t);
            svg.line(px, yy, px + PANEL_W, yy, "#e0e0e0", "stroke-width=\"0.5\"");
            let label = match kind {
                FanKind::Trust { .. } => format!("{t:.2}"),
                FanKind::Stage { ladder_len, .. } => format!("{t} {}", rung_name(t as u8, ladder_len)),
            };
            svg.text(px - 4.0, yy + 3.5, 10.0, "end", &label);
        }
        let map = |pts: &[(f64, f64)]| -> Vec<(f64, f64)> {
            pts.iter().map(|(m, v)| (xs.at(*m), ys.at(*v))).collect()
        };
        match &kind {
            FanKind::Stage { refs, .. } => {
                let hi: Vec<(f64, f64)> = s.stage.iter().map(|p| (p.0, p.3)).collect();
                let lo: Vec<(f64, f64)> = s.stage.iter().map(|p| (p.0, p.1)).collect();
                let mid: Vec<(f64, f64)> = s.stage.iter().map(|p| (p.0, p.2)).collect();
                let mut band = map(&steps(&hi));
                band.extend(map(&steps(&lo)).into_iter().rev());
                svg.path(&band, "band", "fill=\"#0072b2\" fill-opacity=\"0.2\" stroke=\"none\"", true);
                svg.path(
                    &map(&steps(&mid)),
                    "median",
                    "fill=\"none\" stroke=\"#0072b2\" stroke-width=\"2\"",
                    false,
                );
                for (k, r) in refs.iter().enumerate() {
                    let color = PALETTE[(k + 1) % PALETTE.len()];
                    svg.path(
                        &map(&reference_steps(r, horizon)),
                        "reference",
                        &format!(
                            "fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\""
                        ),
                        false,
                    );
                }
            }
            FanKind::Trust { .. } => {
                let mut band: Vec<(f64, f64)> = s.trust_ab.iter().map(|p| (p.0, p.3)).collect();
                band.extend(s.trust_ab.iter().rev().map(|p| (p.0, p.1)));
                svg.path(&map(&band), "band", "fill=\"#009e73\" fill-opacity=\"0.2\" stroke=\"none\"", true);
                let mid: Vec<(f64, f64)> = s.trust_ab.iter().map(|p| (p.0, p.2)).collect();
                svg.path(&map(&mid), "median", "fill=\"none\" stroke=\"#009e73\" stroke-width=\"2\"", false);
                svg.path(
                    &map(&s.trust_ba),
                    "median-ba",
                    "fill=\"none\" stroke=\"#d55e00\" stroke-width=\"1.5\" stroke-dasharray=\"4,3\"",
                    false,
                );
            }
        }
        svg.raw("</g>\n");
    }
    let ly = height - legend_h + 8.0;
    let mut items: Vec<(String, &str, &str)> = Vec::new();
    let ref_colours: Vec<&str> = (0..n_refs).map(|k| PALETTE[(k + 1) % PALETTE.len()]).collect();
    match &kind {
        FanKind::Stage { refs, .. } => {
            items.push(("median stage".to_string(), PALETTE[0], "stroke-width=\"2\""));
            items.push((
                "10–90 % of runs".to_string(),
                PALETTE[0],
                "stroke-width=\"9\" stroke-opacity=\"0.2\"",
            ));
            for (r, colour) in refs.iter().zip(&ref_colours) {
                items.push((
                    format!(
                        "reference {}, its first row placed at the scenario start (elapsed time)",
                        r.name
                    ),
                    colour,
                    "stroke-width=\"1.5\" stroke-dasharray=\"5,3\"",
                ));
            }
        }
        FanKind::Trust { a, b } => {
            items.push((format!("trust of {a} in {b}, median"), "#009e73", "stroke-width=\"2\""));
            items.push((
                "10–90 % of runs".to_string(),
                "#009e73",
                "stroke-width=\"9\" stroke-opacity=\"0.2\"",
            ));
            items.push((
                format!("trust of {b} in {a}, median"),
                "#d55e00",
                "stroke-width=\"1.5\" stroke-dasharray=\"4,3\"",
            ));
        }
    }
    legend(&mut svg, LEFT, ly, width - LEFT - 10.0, &items);
    svg.finish()
}

/// First-reach months of every stage, per run, for one scenario and variant
/// of the followed dyad.
struct Reach {
    scenario: String,
    variant: String,
    /// `months[s][r]`: the first month run `r` was at stage `s` or higher.
    months: Vec<Vec<Option<f64>>>,
    /// Lowest initial stage of the runs.
    initial: u8,
}

/// What [`reach`] read: the runs, each scenario's start, and the horizon in
/// months (the manifest's, else the latest first-reach month seen).
struct Reached {
    rows: Vec<Reach>,
    starts: Vec<(String, YearMonth)>,
    horizon: f64,
}

impl Reached {
    fn start(&self, scenario: &str) -> Option<YearMonth> {
        self.starts.iter().find(|(s, _)| s == scenario).map(|(_, st)| *st)
    }
}

/// Reads `runs.csv` for the followed dyad of each scenario.
fn reach(
    runs: &Table,
    chosen: &[DyadChoice],
    ladder_len: usize,
    folder: &Folder,
) -> Result<Reached, ReportError> {
    let (cs, cv, cd) = (runs.need("scenario")?, runs.need("variant")?, runs.need("dyad")?);
    let ci = runs.col("initial_stage");
    let stage_cols: Vec<Option<usize>> =
        (0..ladder_len).map(|s| runs.col(&format!("stage_{s}_month"))).collect();
    // Any (month, date) pair gives each scenario's start.
    let c1 = (runs.col("stage_1_month"), runs.col("stage_1_date"));
    let mut out = Reached { rows: Vec::new(), starts: Vec::new(), horizon: 12.0 };
    for row in &runs.rows {
        let scenario = cell(row, cs);
        let Some(choice) = dyad_for(chosen, scenario) else { continue };
        if cell(row, cd) != choice.dyad {
            continue;
        }
        if let (Some(m), Some(d)) = c1 {
            if !out.starts.iter().any(|(s, _)| s == scenario) {
                if let Some(st) = start_of(cell(row, m), cell(row, d)) {
                    out.starts.push((scenario.to_string(), st));
                }
            }
        }
        let initial = ci.and_then(|c| num(row, c)).map_or(0, |v| v as u8);
        let variant = cell(row, cv);
        let idx = match out.rows.iter().position(|r| r.scenario == scenario && r.variant == variant) {
            Some(i) => i,
            None => {
                out.rows.push(Reach {
                    scenario: scenario.to_string(),
                    variant: variant.to_string(),
                    months: vec![Vec::new(); ladder_len],
                    initial,
                });
                out.rows.len() - 1
            }
        };
        let r = &mut out.rows[idx];
        r.initial = r.initial.min(initial);
        for (s, c) in stage_cols.iter().enumerate() {
            let v = match c {
                Some(c) => num(row, *c),
                // No column for the bottom rung: every run is at or above it.
                None => Some(0.0),
            };
            if let Some(v) = v {
                out.horizon = out.horizon.max(v);
            }
            r.months[s].push(v);
        }
    }
    let recorded = out.rows.iter().filter_map(|r| folder.horizon_months(&r.scenario)).max();
    if let Some(h) = recorded {
        out.horizon = f64::from(h);
    }
    Ok(out)
}

/// Colour and dash pattern of the `i`-th variant: the palette, then the
/// palette again dashed, so more variants than colours stay apart.
fn variant_style(i: usize) -> (&'static str, &'static str) {
    let dash = if (i / PALETTE.len()) % 2 == 1 { "stroke-dasharray=\"6,3\"" } else { "" };
    (PALETTE[i % PALETTE.len()], dash)
}

/// A row of colour keys (swatch and label) starting at (x, y), wrapping at
/// `width`; returns the height used.
fn legend(svg: &mut Svg, x: f64, y: f64, width: f64, items: &[(String, &str, &str)]) -> f64 {
    // `dash` is any extra stroke attributes (a dash pattern, a wide faint stroke for a band).
    let (mut cx, mut cy) = (x, y);
    for (label, colour, dash) in items {
        // About 6 px per character of 10 px sans-serif text.
        let w = 30.0 + 6.0 * label.chars().count() as f64;
        if cx + w > x + width && cx > x {
            cx = x;
            cy += 16.0;
        }
        let width = if dash.contains("stroke-width") { "" } else { "stroke-width=\"3\"" };
        svg.line(cx, cy - 3.5, cx + 20.0, cy - 3.5, colour, &format!("{width} {dash} class=\"key\""));
        svg.text(cx + 24.0, cy, 10.0, "start", label);
        cx += w + 8.0;
    }
    cy - y + 16.0
}

/// The smallest round share at or above `p`, for a probability axis that
/// lets a 2 % outcome fill its panel.
fn share_ceiling(p: f64) -> f64 {
    const STEPS: [f64; 13] = [0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0];
    STEPS.into_iter().find(|s| *s >= p - 1e-12).unwrap_or(1.0)
}

/// A share as a percentage with as many decimals as the axis needs.
fn percent(p: f64, top: f64) -> String {
    if top < 0.05 {
        format!("{:.1} %", 100.0 * p)
    } else {
        format!("{:.0} %", 100.0 * p)
    }
}

/// Year ticks on January of round years along a month axis.
fn year_ticks(svg: &mut Svg, xs: &Scale, start: YearMonth, horizon: f64, y: f64) {
    let years = (horizon + 1.0) / 12.0;
    let step = tick_step(years, 6).max(1.0) as i32;
    let first_year = start.year() + i32::from(start.month() != 1);
    let mut year = first_year.div_euclid(step) * step;
    if year < first_year {
        year += step;
    }
    while let Some(ym) = YearMonth::new(year, 1) {
        let m = f64::from(ym.months_since(start));
        if m > horizon + 1.0 {
            break;
        }
        let x = xs.at(m);
        svg.line(x, y, x, y + 4.0, "#666666", "");
        svg.text(x, y + 15.0, 10.0, "middle", &year.to_string());
        year += step;
    }
}

/// Share of runs at or above a stage by each month `0..=horizon`, with
/// `(k, lo, hi)` per month: runs reached and the 95 % Wilson interval.
fn cumulative_share(months: &[Option<f64>], horizon: usize) -> Vec<(u64, f64, f64)> {
    let mut counts = vec![0u64; horizon + 1];
    for m in months.iter().flatten() {
        if *m >= 0.0 {
            counts[(*m as usize).min(horizon)] += 1;
        }
    }
    let n = months.len() as u64;
    let mut k = 0;
    counts
        .iter()
        .map(|c| {
            k += c;
            let (lo, hi) = wilson(k, n);
            (k, lo, hi)
        })
        .collect()
}

/// Per scenario, P(stage ≥ s by date) for every stage above the start, one
/// panel per stage with the variants overlaid, each with its 95 % Wilson band.
fn cumulative(reached: &Reached, chosen: &[DyadChoice], folder: &Folder, ladder_len: usize) -> Vec<Chart> {
    let mut out = Vec::new();
    let mut scenarios: Vec<&str> = Vec::new();
    for r in &reached.rows {
        if !scenarios.contains(&r.scenario.as_str()) {
            scenarios.push(&r.scenario);
        }
    }
    for scenario in scenarios {
        let rows: Vec<&Reach> = reached.rows.iter().filter(|r| r.scenario == scenario).collect();
        let (Some(start), Some(choice)) = (reached.start(scenario), dyad_for(chosen, scenario)) else {
            continue;
        };
        let initial = rows.iter().map(|r| r.initial).min().unwrap_or(0);
        let stages: Vec<usize> = ((usize::from(initial) + 1)..ladder_len).collect();
        if stages.is_empty() {
            continue;
        }
        let horizon = folder.horizon_months(scenario).map_or(reached.horizon, f64::from);
        let h = horizon as usize;
        let (a, b) =
            (folder.actor_name(scenario, &choice.actor_a), folder.actor_name(scenario, &choice.actor_b));
        let cols = if stages.len() > 1 { 2 } else { 1 };
        let panel_w = 420.0;
        let panel_h = 170.0;
        let left = 60.0;
        // Room right of each panel for the shares at the horizon.
        let gap_x = 100.0;
        let gap_y = 56.0;
        let width = left + cols as f64 * (panel_w + gap_x);
        let items: Vec<(String, &str, &str)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let (c, d) = variant_style(i);
                (r.variant.clone(), c, d)
            })
            .collect();
        // Measure the legend on a scratch drawing to place the panels below it.
        let legend_h = legend(&mut Svg::new(0.0, 0.0), left, 0.0, width - left - 10.0, &items);
        // Legend rows start at y = 60; each panel's title sits 6 px above it.
        let top = 60.0 + legend_h + 24.0;
        let grid_rows = stages.len().div_ceil(cols);
        let height = top + grid_rows as f64 * (panel_h + gap_y) - 20.0;
        let mut svg = Svg::new(width.round(), height.round());
        svg.title(
            left,
            18.0,
            14.0,
            &format!("{scenario}: chance that {a} and {b} have reached each stage, by date"),
        );
        let n_runs: Vec<String> = rows.iter().map(|r| r.months[0].len().to_string()).collect();
        let n_text = if n_runs.iter().all(|n| *n == n_runs[0]) {
            format!("{} runs per variant", n_runs[0])
        } else {
            format!("{} runs per variant", n_runs.join("/"))
        };
        svg.text(
            left,
            36.0,
            10.0,
            "start",
            &format!(
                "Line: share of runs at that stage or higher by each month; band: 95 % interval (Wilson); {n_text}; \
                 horizon {}. Each panel's axis ends at its own round maximum.",
                start.plus(horizon as i32)
            ),
        );
        legend(&mut svg, left, 50.0 + 10.0, width - left - 10.0, &items);
        for (pi, &s) in stages.iter().enumerate() {
            let px = left + (pi % cols) as f64 * (panel_w + gap_x);
            let py = top + (pi / cols) as f64 * (panel_h + gap_y);
            let curves: Vec<Vec<(u64, f64, f64)>> =
                rows.iter().map(|r| cumulative_share(&r.months[s], h)).collect();
            let peak = curves.iter().flat_map(|c| c.last()).map(|p| p.2).fold(0.0, f64::max);
            let ymax = share_ceiling(peak);
            let xs = Scale::new(0.0, horizon + 1.0, px, px + panel_w);
            let ys = Scale::new(0.0, ymax, py + panel_h, py);
            svg.raw(&format!("<g class=\"panel\" data-stage=\"{s}\">\n"));
            svg.rect(px, py, panel_w, panel_h, "#fafafa", "stroke=\"#999999\" stroke-width=\"0.5\"");
            svg.title(
                px,
                py - 6.0,
                12.0,
                &format!("stage {s} ({}) or higher", rung_name(s as u8, ladder_len)),
            );
            year_ticks(&mut svg, &xs, start, horizon, py + panel_h);
            let step = tick_step(ymax, 5);
            let mut t = 0.0;
            while t <= ymax + 1e-9 {
                let yy = ys.at(t);
                svg.line(px, yy, px + panel_w, yy, "#e0e0e0", "stroke-width=\"0.5\"");
                svg.text(px - 4.0, yy + 3.5, 10.0, "end", &percent(t, ymax));
                t += step;
            }
            let cy = py + panel_h / 2.0;
            svg.raw(&format!(
                "<text x=\"{x:.1}\" y=\"{cy:.1}\" font-size=\"10\" text-anchor=\"middle\" \
                 transform=\"rotate(-90 {x:.1} {cy:.1})\">P(stage \u{2265} {s})</text>\n",
                x = px - 40.0
            ));
            for (i, curve) in curves.iter().enumerate() {
                let (colour, dash) = variant_style(i);
                let n = rows[i].months[s].len().max(1) as f64;
                let line: Vec<(f64, f64)> =
                    curve.iter().enumerate().map(|(m, p)| (m as f64, p.0 as f64 / n)).collect();
                let hi: Vec<(f64, f64)> = curve.iter().enumerate().map(|(m, p)| (m as f64, p.2)).collect();
                let lo: Vec<(f64, f64)> = curve.iter().enumerate().map(|(m, p)| (m as f64, p.1)).collect();
                let map = |pts: Vec<(f64, f64)>| -> Vec<(f64, f64)> {
                    pts.into_iter().map(|(m, v)| (xs.at(m), ys.at(v.min(ymax)))).collect()
                };
                let mut band = map(steps(&hi));
                band.extend(map(steps(&lo)).into_iter().rev());
                svg.path(
                    &band,
                    "band",
                    &format!("fill=\"{colour}\" fill-opacity=\"0.12\" stroke=\"none\""),
                    true,
                );
                svg.path(
                    &map(steps(&line)),
                    "share",
                    &format!(
                        "fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.8\" {dash} data-variant=\"{}\"",
                        super::escape(&rows[i].variant)
                    ),
                    false,
                );
            }
            // Each variant's share at the horizon, in its colour, at the end
            // of its line: a 2 % beside a 35 % stays readable. Labels are
            // pushed apart to keep 11 px between them.
            let mut ends: Vec<(f64, usize, f64)> = curves
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let n = rows[i].months[s].len().max(1) as f64;
                    c.last().map(|p| (ys.at((p.0 as f64 / n).min(ymax)), i, p.0 as f64 / n))
                })
                .collect();
            ends.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut last = f64::NEG_INFINITY;
            for (y, i, share) in ends {
                let y = y.max(last + 11.0);
                last = y;
                svg.raw(&format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"{}\" class=\"end\">{:.1} %</text>\n",
                    px + panel_w + 4.0,
                    y + 3.5,
                    variant_style(i).0,
                    100.0 * share
                ));
            }
            svg.raw("</g>\n");
        }
        out.push(Chart {
            file: format!("cumulative_{}_{}.svg", slug(scenario), slug(&choice.dyad)),
            title: format!(
                "{scenario}, {}: probability of being at each stage or higher by each date, per variant, with 95 % intervals",
                choice.dyad
            ),
            svg: svg.finish(),
        });
    }
    out
}

/// Distribution of first-reach years of `stage` per variant, one row each,
/// every row on the same scale (share of that variant's runs per year).
fn time_to_stage(
    reached: &Reached,
    chosen: &[DyadChoice],
    stage: u8,
    ladder_len: usize,
    pooled: bool,
) -> Vec<Chart> {
    let rows = &reached.rows;
    if rows.is_empty() || usize::from(stage) >= ladder_len {
        return Vec::new();
    }
    let horizon = reached.horizon;
    let years = ((horizon + 1.0) / 12.0).ceil().max(1.0);
    let single = rows.iter().all(|r| r.scenario == rows[0].scenario);
    let nbins = years as usize;
    // Share of each variant's runs first reaching the stage in each year.
    let shares: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            let values = &r.months[usize::from(stage)];
            let mut bins = vec![0usize; nbins];
            for m in values.iter().flatten() {
                bins[((m / 12.0).floor() as usize).min(nbins - 1)] += 1;
            }
            let n = values.len().max(1) as f64;
            bins.iter().map(|c| *c as f64 / n).collect()
        })
        .collect();
    let peak = shares.iter().flatten().copied().fold(0.0, f64::max);
    let ymax = share_ceiling(peak.max(1e-9));
    let row_h = 46.0;
    let width = 980.0;
    let plot_x0 = 230.0;
    let plot_x1 = width - 250.0;
    let height = 60.0 + rows.len() as f64 * row_h + 36.0;
    let mut svg = Svg::new(width, height.round());
    let name = rung_name(stage, ladder_len);
    svg.title(10.0, 18.0, 14.0, &format!("When stage {stage} ({name}) is first reached, per variant"));
    svg.text(
        10.0,
        33.0,
        10.0,
        "start",
        &format!(
            "Bars: share of the variant's runs first reaching it in each year after the start; one scale for every row, \
             a full row = {}",
            percent(ymax, ymax)
        ),
    );
    let xs = Scale::new(0.0, years, plot_x0, plot_x1);
    for (i, r) in rows.iter().enumerate() {
        let y0 = 44.0 + i as f64 * row_h;
        let values = &r.months[usize::from(stage)];
        let n = values.len();
        let reached_months: Vec<f64> = values.iter().flatten().copied().collect();
        svg.raw(&format!("<g class=\"panel\" data-variant=\"{}\">\n", super::escape(&r.variant)));
        let label = if single { r.variant.clone() } else { format!("{} / {}", r.scenario, r.variant) };
        svg.text(plot_x0 - 8.0, y0 + 22.0, 11.0, "end", &label);
        let inner = row_h - 8.0;
        svg.rect(plot_x0, y0, plot_x1 - plot_x0, inner, "#fafafa", "stroke=\"#cccccc\" stroke-width=\"0.5\"");
        svg.line(plot_x0 - 3.0, y0, plot_x0, y0, "#666666", "");
        svg.text(plot_x0 - 4.0, y0 + 8.0, 8.0, "end", &percent(ymax, ymax));
        for (b, share) in shares[i].iter().enumerate() {
            if *share <= 0.0 {
                continue;
            }
            let h = (inner - 2.0) * share / ymax;
            let x = xs.at(b as f64);
            let w = xs.at(b as f64 + 1.0) - x - 1.0;
            let count = (share * n as f64).round();
            svg.rect(x, y0 + inner - h, w, h, PALETTE[0], &format!("class=\"bar\" data-count=\"{count}\""));
        }
        let k = reached_months.len() as u64;
        let (lo, hi) = wilson(k, n as u64);
        let share = if n > 0 { k as f64 / n as f64 } else { 0.0 };
        let mut sorted = reached_months.clone();
        sorted.sort_by(f64::total_cmp);
        let median_text = if sorted.is_empty() {
            format!("0 of {n}: never reached")
        } else {
            let med = sorted[(sorted.len().div_ceil(2)).max(1) - 1];
            let x = xs.at(med / 12.0);
            svg.line(x, y0, x, y0 + inner, "#d55e00", "stroke-width=\"2\" class=\"median\"");
            let date = reached
                .start(&r.scenario)
                .map(|st| format!(" ({})", st.plus(med as i32)))
                .unwrap_or_default();
            format!("{k} of {n}; median {:.1} y{date}", med / 12.0)
        };
        svg.text(
            plot_x1 + 8.0,
            y0 + 14.0,
            10.0,
            "start",
            &format!("reached {:.1} % (95 %: {:.1}\u{2013}{:.1} %)", 100.0 * share, 100.0 * lo, 100.0 * hi),
        );
        svg.text(plot_x1 + 8.0, y0 + 28.0, 10.0, "start", &median_text);
        svg.raw("</g>\n");
    }
    let ay = 44.0 + rows.len() as f64 * row_h;
    let step = tick_step(years, 10).max(1.0);
    let mut t = 0.0;
    while t <= years + 1e-9 {
        let x = xs.at(t);
        svg.line(x, ay - 8.0, x, ay - 4.0, "#666666", "");
        svg.text(x, ay + 8.0, 10.0, "middle", &format!("{t}"));
        t += step;
    }
    let horizon_date = rows
        .first()
        .and_then(|r| reached.start(&r.scenario))
        .map(|st| format!(" (horizon {})", st.plus(horizon as i32)))
        .unwrap_or_default();
    svg.text(
        (plot_x0 + plot_x1) / 2.0,
        ay + 24.0,
        10.0,
        "middle",
        &format!("years after the scenario start{horizon_date}; orange: median among the runs that reach it"),
    );
    let chosen_dyads: Vec<&str> = chosen.iter().map(|c| c.dyad.as_str()).collect();
    let pooled = if pooled { " (runs of every design point pooled)" } else { "" };
    vec![Chart {
        file: format!("time_to_stage_{stage}.svg"),
        title: format!(
            "Time to stage {stage} ({name}) for {}, per variant, one scale for every row{pooled}; the right column gives the share that reach it by the horizon",
            chosen_dyads.join(", ")
        ),
        svg: svg.finish(),
    }]
}

/// Finds a column by any of several names, ignoring case.
fn find(table: &Table, names: &[&str]) -> Option<usize> {
    table.header.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
}

/// The columns of an index and its interval, by the naming rules a
/// sensitivity file may follow (`total`, `total_ci_low`, `st_low`, ...).
fn index_columns(table: &Table) -> Option<(usize, Option<usize>, Option<usize>, String)> {
    for base in ["total", "st", "sobol_total", "total_order", "mu_star", "first_order", "s1", "first"] {
        // The first index the file fills in: a Morris file has empty Sobol columns.
        let filled = |c: &usize| table.rows.iter().any(|r| num(r, *c).is_some());
        if let Some(c) = find(table, &[base]).filter(filled) {
            let lo = ["_ci_low", "_low", "_lo", "_lower", "_ci_lo"]
                .iter()
                .find_map(|s| find(table, &[&format!("{base}{s}")]));
            let hi = ["_ci_high", "_high", "_hi", "_upper", "_ci_hi"]
                .iter()
                .find_map(|s| find(table, &[&format!("{base}{s}")]));
            return Some((c, lo, hi, table.header[c].clone()));
        }
    }
    None
}

/// One panel of the tornado: an outcome, what it rests on, its bars.
struct TornadoPanel {
    outcome: String,
    /// "base rate 12.0 % (23 of 288 runs)" or "mean 2.93", when the file says.
    base: String,
    warnings: Vec<String>,
    bars: Vec<Bar>,
}

/// Horizontal bars of each parameter's index, largest first, one panel per
/// outcome, on an axis with ticks. When the file gives a direction
/// (`spearman`, else Morris `mu`), bars go right for parameters whose higher
/// values raise the outcome and left for those that lower it.
fn tornado(table: &Table) -> Option<Chart> {
    let cp = find(table, &["parameter", "param", "key", "name"])?;
    let co = find(table, &["outcome", "output"]);
    let (cval, clo, chi, label) = index_columns(table)?;
    let csign = find(table, &["spearman"]).or_else(|| find(table, &["mu"]));
    let (cmean, cpos, cruns, cwarn) = (
        find(table, &["outcome_mean"]),
        find(table, &["positive_runs"]),
        find(table, &["runs"]),
        find(table, &["warning"]),
    );
    let mut panels: Vec<TornadoPanel> = Vec::new();
    for row in &table.rows {
        let outcome = co.map(|c| cell(row, c).to_string()).unwrap_or_default();
        let idx = match panels.iter().position(|p| p.outcome == outcome) {
            Some(i) => i,
            None => {
                let runs = cruns.map(|c| cell(row, c)).unwrap_or_default();
                let base = match (cpos.and_then(|c| num(row, c)), cmean.and_then(|c| num(row, c))) {
                    (Some(k), Some(m)) => format!("base rate {:.1} % ({k} of {runs} runs)", 100.0 * m),
                    (None, Some(m)) => format!("mean {m:.3} over {runs} runs"),
                    _ => String::new(),
                };
                panels.push(TornadoPanel { outcome, base, warnings: Vec::new(), bars: Vec::new() });
                panels.len() - 1
            }
        };
        let panel = &mut panels[idx];
        if let Some(w) = cwarn.map(|c| cell(row, c)).filter(|w| !w.is_empty()) {
            let w = if w.starts_with("index above 1") {
                format!("{}: {w}", cell(row, cp))
            } else {
                w.to_string()
            };
            if !panel.warnings.contains(&w) {
                panel.warnings.push(w);
            }
        }
        let Some(v) = num(row, cval) else { continue };
        let sign = csign.and_then(|c| num(row, c)).map(f64::signum);
        panel.bars.push((
            cell(row, cp).to_string(),
            v,
            clo.and_then(|c| num(row, c)),
            chi.and_then(|c| num(row, c)),
            sign,
        ));
    }
    panels.retain(|p| !p.bars.is_empty());
    if panels.is_empty() {
        return None;
    }
    let signed = csign.is_some();
    const SHOWN: usize = 10;
    let bar_h = 16.0;
    let width = 980.0;
    let x0 = 330.0;
    let x1 = width - 70.0;
    let mut height = 58.0;
    for p in &panels {
        height +=
            44.0 + p.bars.len().min(SHOWN) as f64 * (bar_h + 4.0) + 30.0 + 13.0 * p.warnings.len() as f64;
    }
    let mut svg = Svg::new(width, height.round());
    svg.title(
        10.0,
        18.0,
        14.0,
        &format!("Sensitivity: {label} per parameter, largest first (top {SHOWN} per outcome)"),
    );
    let how = if signed {
        "Bar: the index (value at right); to the right (blue) when higher values of the parameter raise the \
         outcome, left (orange) when they lower it (rank correlation); whisker: 95 % interval"
    } else {
        "Bar length: the index; whisker: 95 % interval (the file gives no direction of effect)"
    };
    svg.text(10.0, 34.0, 10.0, "start", how);
    let mut y = 58.0;
    for p in &mut panels {
        p.bars.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        p.bars.truncate(SHOWN);
        let max =
            p.bars.iter().map(|e| e.1.abs().max(e.3.unwrap_or(0.0).abs())).fold(0.0f64, f64::max).max(1e-12);
        let step = tick_step(max, 4);
        let max = (max / step).ceil() * step;
        // Signed: zero in the middle, the index on both sides.
        let mid = if signed { (x0 + x1) / 2.0 } else { x0 };
        let half = Scale::new(0.0, max, mid, x1);
        let at = |v: f64, sign: f64| if sign < 0.0 { 2.0 * mid - half.at(v) } else { half.at(v) };
        svg.raw(&format!("<g class=\"panel\" data-outcome=\"{}\">\n", super::escape(&p.outcome)));
        let name = if p.outcome.is_empty() { "outcome" } else { p.outcome.as_str() };
        svg.title(10.0, y + 12.0, 12.0, name);
        if !p.base.is_empty() {
            svg.text(10.0, y + 26.0, 10.0, "start", &p.base);
        }
        if signed {
            svg.text(mid - 6.0, y + 26.0, 10.0, "end", "\u{2190} lowers it");
            svg.text(mid + 6.0, y + 26.0, 10.0, "start", "raises it \u{2192}");
        }
        y += 34.0;
        let top = y;
        for (param, v, lo, hi, sign) in p.bars.iter() {
            let sign = sign.unwrap_or(1.0);
            let colour = match (signed, sign < 0.0) {
                (true, true) => PALETTE[1],
                _ => PALETTE[0],
            };
            svg.text(x0 - 6.0, y + 12.0, 10.0, "end", param);
            let (a, b) = (at(0.0, sign), at(v.abs(), sign));
            svg.rect(a.min(b), y, (b - a).abs(), bar_h, colour, "class=\"bar\"");
            if let (Some(lo), Some(hi)) = (lo, hi) {
                let (wa, wb) = (at(lo.max(0.0), sign), at(hi.min(max), sign));
                svg.line(wa, y + bar_h / 2.0, wb, y + bar_h / 2.0, "#000000", "stroke-width=\"1\"");
            }
            // Values in their own column, clear of bars, whiskers and names.
            svg.text(x1 + 8.0, y + 12.0, 10.0, "start", &format!("{v:.3}"));
            y += bar_h + 4.0;
        }
        // The axis: zero line and ticks of the index on each side.
        svg.line(mid, top - 2.0, mid, y, "#333333", "stroke-width=\"1\"");
        svg.line(if signed { x0 } else { mid }, y, x1, y, "#666666", "stroke-width=\"0.5\"");
        let mut t = 0.0;
        while t <= max + 1e-9 {
            for sign in if signed { &[1.0, -1.0][..] } else { &[1.0][..] } {
                let x = at(t, *sign);
                svg.line(x, y, x, y + 4.0, "#666666", "");
                svg.text(x, y + 14.0, 9.0, "middle", &format!("{}", (t * 1e6).round() / 1e6));
            }
            t += step;
        }
        y += 30.0;
        for w in &p.warnings {
            svg.raw(&format!(
                "<text x=\"10.0\" y=\"{:.1}\" font-size=\"10\" fill=\"#b00000\">warning: {}</text>\n",
                y - 6.0,
                super::escape(w)
            ));
            y += 13.0;
        }
        svg.raw("</g>\n");
    }
    Some(Chart {
        file: "tornado.svg".to_string(),
        title: format!(
            "Sensitivity ({label}) per outcome: which assumptions move the result most, and which way"
        ),
        svg: svg.finish(),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn table(header: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            path: "t.csv".into(),
            name: "t".into(),
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect(),
            total_rows: rows.len() as u64,
        }
    }

    #[test]
    fn tornado_ranks_by_total_with_intervals() {
        let t = table(
            &["outcome", "parameter", "rank", "total", "total_ci_low", "total_ci_high"],
            &[
                &["y", "a", "2", "0.1", "0.05", "0.2"],
                &["y", "b", "1", "0.6", "0.5", "0.7"],
                &["y", "c", "", "", "", ""],
            ],
        );
        let chart = tornado(&t).unwrap();
        assert_eq!(chart.svg.matches("class=\"bar\"").count(), 2);
        assert!(chart.svg.find(">b<").unwrap() < chart.svg.find(">a<").unwrap());
    }

    #[test]
    fn tornado_falls_back_to_the_index_a_morris_file_fills() {
        let t = table(
            &["outcome", "parameter", "mu_star", "mu_star_ci_low", "mu_star_ci_high", "total"],
            &[&["y", "a", "3", "1", "5", ""], &["y", "b", "1", "0.5", "2", ""]],
        );
        let chart = tornado(&t).unwrap();
        assert!(chart.title.contains("mu_star"), "{}", chart.title);
        assert_eq!(chart.svg.matches("class=\"bar\"").count(), 2);
    }

    #[test]
    fn tornado_puts_lowering_parameters_left_and_says_what_to_distrust() {
        let t = table(
            &[
                "outcome",
                "parameter",
                "total",
                "spearman",
                "outcome_mean",
                "positive_runs",
                "runs",
                "warning",
            ],
            &[
                &["y", "up", "0.5", "0.8", "0.1", "10", "100", "only 10 of 100 runs"],
                &["y", "down", "1.2", "-0.7", "0.1", "10", "100", "index above 1: sampling error"],
            ],
        );
        let svg = tornado(&t).unwrap().svg;
        assert!(svg.contains("base rate 10.0 % (10 of 100 runs)"), "{svg}");
        assert!(svg.contains("lowers it") && svg.contains("raises it"));
        assert!(svg.contains("warning: only 10 of 100 runs"));
        assert!(svg.contains("warning: down: index above 1"));
        // The lowering bar ends at the zero line, the raising one starts there.
        let bar = |name: &str| -> f64 {
            let at = svg.find(&format!(">{name}<")).unwrap();
            let rect = &svg[at..][svg[at..].find("<rect x=\"").unwrap() + 9..];
            rect[..rect.find('"').unwrap()].parse().unwrap()
        };
        assert!(bar("down") < bar("up"));
    }

    #[test]
    fn cumulative_share_counts_runs_reached_by_each_month_with_wilson_bounds() {
        let months = [Some(0.0), Some(2.0), None, Some(2.0)];
        let c = cumulative_share(&months, 3);
        assert_eq!(c.iter().map(|p| p.0).collect::<Vec<_>>(), vec![1, 1, 3, 3]);
        let (lo, hi) = wilson(3, 4);
        assert_eq!((c[3].1, c[3].2), (lo, hi));
        // Nothing reached yet: the band still shows how much could hide in the runs.
        let never = cumulative_share(&[None; 100], 5);
        assert_eq!(never[5].0, 0);
        assert!(never[5].2 > 0.03 && never[5].2 < 0.04);
    }

    #[test]
    fn share_axis_ends_at_a_round_value_above_the_data() {
        assert_eq!(share_ceiling(0.004), 0.005);
        assert_eq!(share_ceiling(0.021), 0.03);
        assert_eq!(share_ceiling(0.6), 0.75);
        assert_eq!(share_ceiling(1.0), 1.0);
    }

    #[test]
    fn reference_starts_at_month_zero() {
        let r = ReferencePath::parse(
            "r",
            "date,stage\n1975-04-30,1\n1977-05-03,2\n".as_bytes(),
            Path::new("r.csv"),
            8,
        )
        .unwrap();
        let pts = reference_steps(&r, 120.0);
        assert_eq!(pts[0], (0.0, 1.0));
        assert!((pts[1].0 - 24.1).abs() < 0.2, "{pts:?}");
        assert_eq!(pts.last().unwrap(), &(121.0, 2.0));
    }
}
