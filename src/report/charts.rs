//! The charts: stage and trust fan charts per tracked dyad, the distribution
//! of time to a chosen stage per variant, and a tornado chart of sensitivity.
//!
//! Each chart is one SVG document with one `<g class="panel">` per variant
//! (or per outcome, for the tornado), so a reader, or a test, can count the
//! series. Stage fans are drawn as step functions because stages are whole
//! rungs held for whole months; trust is drawn as lines.

use super::exemplars::{dyad_for, DyadChoice};
use super::svg::{steps, tick_step, Scale, Svg, PALETTE};
use super::table::{cell, num, Table};
use super::{rung_name, Folder, Options, Outcome, ReportError};
use crate::calendar::{Date, YearMonth};
use crate::reference::ReferencePath;

/// (scenario, variant) or (scenario, dyad).
type Key = (String, String);

/// One tornado bar: parameter, index, interval low and high.
type Bar = (String, f64, Option<f64>, Option<f64>);

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
                charts.extend(fans(&ts, references, ladder_len, options.dyad.as_deref())?);
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
        charts.extend(time_to_stage(runs, chosen, options.stage, ladder_len)?);
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
        out.push(Chart {
            file: format!("fan_stage_{}_{}.svg", slug(scenario), slug(dyad)),
            title: format!("{scenario}, {dyad}: stage over time, median and 10–90 % band per variant"),
            svg: fan_svg(
                &format!("{scenario} · {dyad} · stage (median, 10–90 % band)"),
                series,
                start,
                horizon,
                (0.0, top),
                FanKind::Stage { refs, ladder_len },
            ),
        });
        out.push(Chart {
            file: format!("fan_trust_{}_{}.svg", slug(scenario), slug(dyad)),
            title: format!("{scenario}, {dyad}: trust over time (a in b: median and 10–90 % band; b in a: dashed median)"),
            svg: fan_svg(
                &format!("{scenario} · {dyad} · trust (a in b: median, 10–90 % band; b in a: dashed)"),
                series,
                start,
                horizon,
                (0.0, 1.0),
                FanKind::Trust,
            ),
        });
    }
    Ok(out)
}

/// What a fan chart shows.
enum FanKind<'a> {
    Stage { refs: &'a [ReferencePath], ladder_len: usize },
    Trust,
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
    let legend_h = 54.0;
    let width = LEFT + cols as f64 * (PANEL_W + GAP_X) + 10.0;
    let height = TOP + 20.0 + rows as f64 * (PANEL_H + GAP_Y) + legend_h;
    let mut svg = Svg::new(width.round(), height.round());
    svg.title(LEFT, 18.0, 14.0, title);
    let n_refs = match &kind {
        FanKind::Stage { refs, .. } => refs.len(),
        FanKind::Trust => 0,
    };
    for (i, s) in series.iter().enumerate() {
        let px = LEFT + (i % cols) as f64 * (PANEL_W + GAP_X);
        let py = TOP + 20.0 + (i / cols) as f64 * (PANEL_H + GAP_Y);
        let xs = Scale::new(0.0, horizon + 1.0, px, px + PANEL_W);
        let ys = Scale::new(y.0, y.1, py + PANEL_H, py);
        svg.raw(&format!("<g class=\"panel\" data-variant=\"{}\">\n", super::escape(&s.variant)));
        svg.rect(px, py, PANEL_W, PANEL_H, "#fafafa", "stroke=\"#999999\" stroke-width=\"0.5\"");
        svg.title(px, py - 6.0, 12.0, &s.variant);
        // Year ticks on January of round years.
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
            svg.line(x, py + PANEL_H, x, py + PANEL_H + 4.0, "#666666", "");
            svg.text(x, py + PANEL_H + 15.0, 10.0, "middle", &year.to_string());
            year += step;
        }
        // Horizontal grid and y labels.
        let ticks: Vec<f64> = match kind {
            FanKind::Stage { .. } => (0..=(y.1 as i32)).map(f64::from).collect(),
            FanKind::Trust => vec![0.0, 0.25, 0.5, 0.75, 1.0],
        };
        for t in ticks {
            let yy = ys.at(t);
            svg.line(px, yy, px + PANEL_W, yy, "#e0e0e0", "stroke-width=\"0.5\"");
            let label = if matches!(kind, FanKind::Trust) { format!("{t:.2}") } else { format!("{t}") };
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
            FanKind::Trust => {
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
    match &kind {
        FanKind::Stage { refs, ladder_len } => {
            let names: Vec<String> =
                (0..*ladder_len).map(|s| format!("{s} {}", rung_name(s as u8, *ladder_len))).collect();
            // Two lines: eight rung names do not fit on one.
            let half = names.len().div_ceil(2);
            svg.text(LEFT, ly, 10.0, "start", &format!("Stages: {}", names[..half].join(" · ")));
            svg.text(LEFT + 40.0, ly + 13.0, 10.0, "start", &names[half..].join(" · "));
            let mut legend = "Solid line: median stage; shaded: 10–90 % of runs".to_string();
            if n_refs > 0 {
                let names: Vec<&str> = refs.iter().map(|r| r.name.as_str()).collect();
                legend.push_str(&format!(
                    "; dashed: reference {} with its first row placed at the scenario start (elapsed time)",
                    names.join(", ")
                ));
            }
            svg.text(LEFT, ly + 28.0, 10.0, "start", &legend);
        }
        FanKind::Trust => {
            svg.text(
                LEFT,
                ly,
                10.0,
                "start",
                "Green: a's trust in b, median and 10–90 % band; orange dashed: b's trust in a, median",
            );
        }
    }
    svg.finish()
}

/// Distribution of first-reach years of `stage` per variant, one panel each.
fn time_to_stage(
    runs: &Table,
    chosen: &[DyadChoice],
    stage: u8,
    ladder_len: usize,
) -> Result<Vec<Chart>, ReportError> {
    let (cs, cv, cd) = (runs.need("scenario")?, runs.need("variant")?, runs.need("dyad")?);
    let cm = runs.col(&format!("stage_{stage}_month"));
    // Any (month, date) pair gives each scenario's start.
    let c1 = (runs.col("stage_1_month"), runs.col("stage_1_date"));
    let mut rows: Vec<(Key, Vec<Option<f64>>)> = Vec::new();
    let mut starts: Vec<(String, YearMonth)> = Vec::new();
    let mut horizon = 12.0f64;
    for row in &runs.rows {
        let scenario = cell(row, cs);
        let Some(choice) = dyad_for(chosen, scenario) else { continue };
        if cell(row, cd) != choice.dyad {
            continue;
        }
        if let (Some(m), Some(d)) = c1 {
            if !starts.iter().any(|(s, _)| s == scenario) {
                if let Some(st) = start_of(cell(row, m), cell(row, d)) {
                    starts.push((scenario.to_string(), st));
                }
            }
        }
        // The latest first-reach month of any stage bounds the horizon from below.
        for (i, h) in runs.header.iter().enumerate() {
            if h.starts_with("stage_") && h.ends_with("_month") {
                if let Some(v) = num(row, i) {
                    horizon = horizon.max(v);
                }
            }
        }
        let value = cm.and_then(|c| num(row, c));
        let key = (scenario.to_string(), cell(row, cv).to_string());
        match rows.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(value),
            None => rows.push((key, vec![value])),
        }
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let years = (horizon / 12.0).ceil().max(1.0);
    let single = rows.iter().all(|((s, _), _)| *s == rows[0].0 .0);
    let row_h = 46.0;
    let width = 900.0;
    let plot_x0 = 270.0;
    let plot_x1 = width - 170.0;
    let height = 60.0 + rows.len() as f64 * row_h + 40.0;
    let mut svg = Svg::new(width, height.round());
    let name = rung_name(stage, ladder_len);
    svg.title(
        10.0,
        18.0,
        14.0,
        &format!("Years from the start to first reach stage {stage} ({name}), per variant"),
    );
    let xs = Scale::new(0.0, years, plot_x0, plot_x1);
    for (i, ((scenario, variant), values)) in rows.iter().enumerate() {
        let y0 = 40.0 + i as f64 * row_h;
        let n = values.len();
        let reached: Vec<f64> = values.iter().flatten().copied().collect();
        let never = n - reached.len();
        svg.raw(&format!("<g class=\"panel\" data-variant=\"{}\">\n", super::escape(variant)));
        let label = if single { variant.clone() } else { format!("{scenario} / {variant}") };
        svg.text(plot_x0 - 8.0, y0 + 22.0, 11.0, "end", &label);
        svg.rect(
            plot_x0,
            y0,
            plot_x1 - plot_x0,
            row_h - 8.0,
            "#fafafa",
            "stroke=\"#cccccc\" stroke-width=\"0.5\"",
        );
        let nbins = years as usize;
        let mut bins = vec![0usize; nbins.max(1)];
        for m in &reached {
            let b = ((m / 12.0).floor() as usize).min(bins.len() - 1);
            bins[b] += 1;
        }
        let max = bins.iter().copied().max().unwrap_or(0).max(1) as f64;
        for (b, count) in bins.iter().enumerate() {
            if *count == 0 {
                continue;
            }
            let h = (row_h - 10.0) * *count as f64 / max;
            let x = xs.at(b as f64);
            let w = xs.at(b as f64 + 1.0) - x - 1.0;
            svg.rect(
                x,
                y0 + row_h - 8.0 - h,
                w,
                h,
                PALETTE[0],
                &format!("class=\"bar\" data-count=\"{count}\""),
            );
        }
        let share_never = if n > 0 { 100.0 * never as f64 / n as f64 } else { 0.0 };
        let mut sorted = reached.clone();
        sorted.sort_by(f64::total_cmp);
        let median_text = if sorted.is_empty() {
            String::new()
        } else {
            let med = sorted[(sorted.len().div_ceil(2)).max(1) - 1];
            let x = xs.at(med / 12.0);
            svg.line(x, y0, x, y0 + row_h - 8.0, "#d55e00", "stroke-width=\"2\" class=\"median\"");
            let date = starts
                .iter()
                .find(|(s, _)| s == scenario)
                .map(|(_, st)| format!(" ({})", st.plus(med as i32)))
                .unwrap_or_default();
            format!("median {:.1} y{date}", med / 12.0)
        };
        svg.text(plot_x1 + 8.0, y0 + 14.0, 10.0, "start", &format!("never: {share_never:.1} % of {n}"));
        svg.text(plot_x1 + 8.0, y0 + 28.0, 10.0, "start", &median_text);
        svg.raw("</g>\n");
    }
    let ay = 40.0 + rows.len() as f64 * row_h;
    let step = tick_step(years, 10).max(1.0);
    let mut t = 0.0;
    while t <= years + 1e-9 {
        let x = xs.at(t);
        svg.line(x, ay - 8.0, x, ay - 4.0, "#666666", "");
        svg.text(x, ay + 8.0, 10.0, "middle", &format!("{t}"));
        t += step;
    }
    svg.text(
        (plot_x0 + plot_x1) / 2.0,
        ay + 24.0,
        10.0,
        "middle",
        "years after the scenario start; bars: runs first reaching the stage in that year (scaled per row); orange: median among runs that reach it",
    );
    let chosen_dyads: Vec<&str> = chosen.iter().map(|c| c.dyad.as_str()).collect();
    let pooled = if runs.col("point").is_some() { " (runs of every design point pooled)" } else { "" };
    Ok(vec![Chart {
        file: format!("time_to_stage_{stage}.svg"),
        title: format!(
            "Time to stage {stage} ({name}) for {}, per variant{pooled}; runs that never reach it are counted at the right",
            chosen_dyads.join(", ")
        ),
        svg: svg.finish(),
    }])
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

/// Horizontal bars of each parameter's index, largest first, one panel per outcome.
fn tornado(table: &Table) -> Option<Chart> {
    let cp = find(table, &["parameter", "param", "key", "name"])?;
    let co = find(table, &["outcome", "output"]);
    let (cval, clo, chi, label) = index_columns(table)?;
    let mut outcomes: Vec<(String, Vec<Bar>)> = Vec::new();
    for row in &table.rows {
        let Some(v) = num(row, cval) else { continue };
        let outcome = co.map(|c| cell(row, c).to_string()).unwrap_or_default();
        let entry =
            (cell(row, cp).to_string(), v, clo.and_then(|c| num(row, c)), chi.and_then(|c| num(row, c)));
        match outcomes.iter_mut().find(|(o, _)| *o == outcome) {
            Some((_, list)) => list.push(entry),
            None => outcomes.push((outcome, vec![entry])),
        }
    }
    if outcomes.is_empty() {
        return None;
    }
    const SHOWN: usize = 10;
    let bar_h = 16.0;
    let width = 900.0;
    let x0 = 330.0;
    let x1 = width - 70.0;
    let mut height = 40.0;
    for (_, list) in &outcomes {
        height += 30.0 + list.len().min(SHOWN) as f64 * (bar_h + 4.0) + 20.0;
    }
    let mut svg = Svg::new(width, height.round());
    svg.title(
        10.0,
        18.0,
        14.0,
        &format!("Sensitivity: {label} per parameter, largest first (top {SHOWN} per outcome)"),
    );
    let mut y = 40.0;
    for (outcome, list) in &mut outcomes {
        list.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        list.truncate(SHOWN);
        let max =
            list.iter().map(|e| e.1.abs().max(e.3.unwrap_or(0.0).abs())).fold(0.0f64, f64::max).max(1e-12);
        let xs = Scale::new(0.0, max, x0, x1);
        svg.raw(&format!("<g class=\"panel\" data-outcome=\"{}\">\n", super::escape(outcome)));
        svg.title(10.0, y + 12.0, 12.0, if outcome.is_empty() { "outcome" } else { outcome });
        y += 22.0;
        for (param, v, lo, hi) in list.iter() {
            svg.text(x0 - 6.0, y + 12.0, 10.0, "end", param);
            svg.rect(x0, y, xs.at(v.abs()) - x0, bar_h, PALETTE[0], "class=\"bar\"");
            if let (Some(lo), Some(hi)) = (lo, hi) {
                let (a, b) = (xs.at(lo.max(0.0)), xs.at(*hi));
                svg.line(a, y + bar_h / 2.0, b, y + bar_h / 2.0, "#000000", "stroke-width=\"1\"");
            }
            // The label goes past the whisker so the two never overlap.
            let end = v.abs().max(hi.unwrap_or(0.0));
            svg.text(xs.at(end) + 4.0, y + 12.0, 10.0, "start", &format!("{v:.3}"));
            y += bar_h + 4.0;
        }
        svg.raw("</g>\n");
        y += 20.0;
    }
    Some(Chart {
        file: "tornado.svg".to_string(),
        title: format!("Sensitivity ({label}) per outcome: which assumptions move the result most"),
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
