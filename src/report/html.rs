//! `report.html`: one static page with the headline table, the charts, the
//! exemplar timelines and the facts of the run.
//!
//! The page is self-contained: styles are inline, charts are inline SVG
//! markup, there is no script and no link to anything outside the file, so
//! it opens the same offline, in a mail attachment or from an archive. All
//! text from the files is escaped.

use super::charts::Chart;
use super::exemplars::{self, ExemplarSet};
use super::table::{cell, num, Table};
use super::{escape, rung_name, summary_stage_top, Folder};
use crate::stats::proportion::share_cell;

/// What the page shows.
pub struct Inputs<'a> {
    /// The results folder.
    pub folder: &'a Folder,
    /// `summary.csv`, if present.
    pub summary: Option<&'a Table>,
    /// The charts, in order.
    pub charts: &'a [Chart],
    /// The exemplars, if `runs.csv` was there.
    pub exemplars: Option<&'a ExemplarSet>,
    /// Notes on what is missing.
    pub notes: &'a [String],
    /// The stage the exemplars follow.
    pub stage: u8,
    /// The page's title: the results folder's name.
    pub title: &'a str,
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}\
table{border-collapse:collapse;font-size:13px;margin:1em 0}\
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}\
th{background:#f0f0f0}td.t{text-align:left;white-space:nowrap}td.d{text-align:left}\
.note{color:#555;font-size:13px}ul.timeline{font-size:13px}\
.when{font-family:monospace;color:#555}figure{margin:1.5em 0}figcaption{font-size:13px;color:#444}\
svg{max-width:100%;height:auto}";

/// The whole page.
pub fn page(inputs: &Inputs<'_>) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!("<title>detente report: {}</title>\n", escape(inputs.title)));
    out.push_str(&format!("<style>{STYLE}</style>\n</head>\n<body>\n"));
    out.push_str(&format!("<h1>detente report: {}</h1>\n", escape(inputs.title)));
    out.push_str(
        "<p class=\"note\">Built by <code>detente report</code> from the CSV files in this folder. \
         Shares are of all runs; median dates are among the runs that reached the stage \
         (read them together). Columns are explained in <code>results.xlsx</code> (sheet \
         \u{201c}columns\u{201d}) and docs/OUTPUTS.md.</p>\n",
    );
    for note in inputs.notes {
        out.push_str(&format!("<p class=\"note\">Note: {}</p>\n", escape(note)));
    }
    out.push_str(&scenarios(inputs.folder));
    if let Some(summary) = inputs.summary {
        out.push_str("<h2>Headline</h2>\n");
        out.push_str(&headline(summary));
    }
    if !inputs.charts.is_empty() {
        out.push_str("<h2>Charts</h2>\n");
        for chart in inputs.charts {
            out.push_str(&format!(
                "<figure>\n{}<figcaption>{} (charts/{})</figcaption>\n</figure>\n",
                inline_svg(&chart.svg),
                escape(&chart.title),
                escape(&chart.file)
            ));
        }
    }
    if let Some(set) = inputs.exemplars {
        out.push_str("<h2>Exemplar paths: the why</h2>\n");
        out.push_str(&format!("<p>{}</p>\n", escape(&exemplars::intro(set))));
        for count in &set.counts {
            let share = if count.runs > 0 { 100.0 * count.reached as f64 / count.runs as f64 } else { 0.0 };
            out.push_str(&format!(
                "<h3>{} / {}</h3>\n<p class=\"note\">{} runs; {:.1} % reach stage {} by the horizon.</p>\n",
                escape(&count.scenario),
                escape(&count.variant),
                count.runs,
                share,
                inputs.stage
            ));
            for ex in
                set.exemplars.iter().filter(|e| e.scenario == count.scenario && e.variant == count.variant)
            {
                out.push_str(&exemplars::html(ex, set.stage, set.has_events));
            }
        }
    }
    out.push_str("<h2>How these results were made</h2>\n");
    out.push_str(&manifest(inputs.folder));
    out.push_str("</body>\n</html>\n");
    out
}

/// Drops the namespace attribute: inline SVG in HTML needs none, and the
/// page then holds no URL at all.
fn inline_svg(svg: &str) -> String {
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

/// Per scenario: the span simulated and what each variant assumes, from the
/// manifest; a note when the manifest predates these facts.
fn scenarios(folder: &Folder) -> String {
    let mut out = String::new();
    for entry in &folder.scenarios {
        let Some(about) = &entry.about else {
            out.push_str(&format!(
                "<p class=\"note\">{}: the manifest does not record the horizon or the variants' descriptions \
                 (written by an older detente); see {}.</p>\n",
                escape(&entry.name),
                escape(&entry.path)
            ));
            continue;
        };
        out.push_str(&format!(
            "<h2>Scenario {}</h2>\n<p>Simulated month by month from <b>{}</b> to the horizon <b>{}</b>; \
             {} runs per variant. \u{201c}By the horizon\u{201d} means by the end of {}.</p>\n",
            escape(&entry.name),
            escape(&about.start),
            escape(&about.end),
            entry.replications,
            escape(&about.end)
        ));
        out.push_str("<table>\n<tr><th>variant</th><th>what it assumes</th></tr>\n");
        for (v, d) in entry.variants.iter().zip(&about.descriptions) {
            out.push_str(&format!(
                "<tr><td class=\"t\">{}</td><td class=\"d\">{}</td></tr>\n",
                escape(v),
                escape(d.trim())
            ));
        }
        out.push_str("</table>\n");
    }
    out
}

/// Per scenario, variant and dyad: share reaching each stage and its median date.
fn headline(summary: &Table) -> String {
    let top = summary_stage_top(summary).unwrap_or(0);
    let ladder_len = usize::from(top) + 1;
    let ci = summary.col("initial_stage");
    // Stages above the lowest initial stage: lower ones are reached at the start by every run.
    let low = summary.rows.iter().filter_map(|r| ci.and_then(|c| num(r, c))).fold(f64::INFINITY, f64::min);
    let first = if low.is_finite() { (low as u8).saturating_add(1) } else { 1 };
    let mut out = String::from("<table>\n<tr><th>scenario</th><th>variant</th><th>dyad</th><th>runs</th>");
    for s in first..=top {
        out.push_str(&format!("<th>{s} {}</th>", escape(&rung_name(s, ladder_len))));
    }
    out.push_str("</tr>\n");
    for row in &summary.rows {
        let text = |name: &str| summary.col(name).map(|c| cell(row, c).to_string()).unwrap_or_default();
        out.push_str(&format!(
            "<tr><td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td><td>{}</td>",
            escape(&text("scenario")),
            escape(&text("variant")),
            escape(&text("dyad")),
            escape(&text("runs"))
        ));
        for s in first..=top {
            let share = summary.col(&format!("stage_{s}_share")).and_then(|c| num(row, c));
            let runs = summary.col("runs").and_then(|c| num(row, c));
            let date = text(&format!("stage_{s}_date_median"));
            let cell_text = match (share, runs) {
                (Some(p), Some(n)) => {
                    let date =
                        if date.is_empty() { "\u{2013}".to_string() } else { date.chars().take(7).collect() };
                    // The share as a count of runs with its 95 % interval: a
                    // handful of runs in thousands must not read as "never".
                    let n = n.max(0.0) as u64;
                    let k = (p * n as f64).round() as u64;
                    format!("{}<br>{}", escape(&share_cell(k, n)), escape(&date))
                }
                _ => String::new(),
            };
            out.push_str(&format!("<td>{cell_text}</td>"));
        }
        out.push_str("</tr>\n");
    }
    out.push_str(
        "</table>\n<p class=\"note\">Each cell: share of runs reaching the stage by the horizon with its \
                  95 % Wilson interval, and the median month of first reach among those runs.</p>\n",
    );
    out
}

/// The manifest's facts: version, command, scenarios with SHA-256, seed, replications.
fn manifest(folder: &Folder) -> String {
    let Some(m) = &folder.manifest else {
        return "<p class=\"note\">manifest.json is absent or unreadable: the tool version, seed and scenario \
                checksum are unknown.</p>\n"
            .to_string();
    };
    let s = |v: &serde_json::Value| match v {
        serde_json::Value::String(t) => t.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut out = String::from("<table>\n");
    let mut fact = |k: &str, v: String| {
        out.push_str(&format!("<tr><th>{}</th><td class=\"t\">{}</td></tr>\n", escape(k), escape(&v)));
    };
    fact("tool", format!("{} {}", s(&m["tool"]), s(&m["version"])));
    fact("command", s(&m["command"]));
    if let Some(line) = m["command_line"].as_array() {
        fact("command line", line.iter().map(&s).collect::<Vec<_>>().join(" "));
    }
    fact("runs", s(&m["runs"]));
    fact("started (UTC)", s(&m["started_utc"]));
    fact("elapsed seconds", s(&m["elapsed_seconds"]));
    fact("threads", s(&m["threads"]));
    out.push_str("</table>\n");
    if let Some(scenarios) = m["scenarios"].as_array() {
        out.push_str(
            "<table>\n<tr><th>scenario</th><th>file</th><th>SHA-256</th><th>seed</th><th>replications</th>\
             <th>variants</th></tr>\n",
        );
        for sc in scenarios {
            let variants = sc["variants"].as_array().map(|v| v.iter().map(&s).collect::<Vec<_>>().join(", "));
            out.push_str(&format!(
                "<tr><td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t\"><code>{}</code></td><td>{}</td>\
                 <td>{}</td><td class=\"t\">{}</td></tr>\n",
                escape(&s(&sc["name"])),
                escape(&s(&sc["path"])),
                escape(&s(&sc["sha256"])),
                escape(&s(&sc["seed"])),
                escape(&s(&sc["replications"])),
                escape(&variants.unwrap_or_default())
            ));
        }
        out.push_str("</table>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_svg_has_no_url() {
        let svg = super::super::svg::Svg::new(10.0, 10.0).finish();
        assert!(svg.contains("http"));
        assert!(!inline_svg(&svg).contains("http"));
    }
}
