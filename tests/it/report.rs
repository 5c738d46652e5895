//! End-to-end: `detente report` on a small Vietnam run: the workbook reads
//! back equal to the CSVs, the charts are SVG with one panel per variant,
//! the page is self-contained, and exemplars come three to a variant.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use calamine::{open_workbook, Data, Reader, Xlsx};

use crate::workdir::{repo_root, vietnam, Workdir};

/// Runs Vietnam with 30 replications, summary timeseries and events, into `dir`.
fn small_run(wd: &Workdir, dir: &str, events: bool) {
    let mut args = vec!["run".to_string(), vietnam().display().to_string(), "-n".into(), "30".into()];
    args.extend(["--timeseries", "summary", "--out", dir].map(String::from));
    if events {
        args.push("--events".into());
    }
    wd.run(&args).ok();
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_path(path).unwrap();
    reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect()
}

/// Spreadsheet serial day of an ISO date (days since 1899-12-30).
fn serial(text: &str) -> Option<f64> {
    let mut parts = text.split('-').map(|p| p.parse::<i64>());
    let (Some(Ok(y)), Some(Ok(m)), Some(Ok(d))) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    // Days from 0000-03-01 (Hinnant's days_from_civil), then from 1899-12-30.
    let days = |y: i64, m: i64, d: i64| {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy
    };
    Some((days(y, m, d) - days(1899, 12, 30)) as f64)
}

/// A workbook cell equals a CSV cell: same text, the same number, or the same date.
fn same(cell: &Data, text: &str) -> bool {
    match cell {
        Data::Empty => text.is_empty(),
        Data::String(s) => s == text,
        Data::Float(f) => text.parse::<f64>().is_ok_and(|x| x == *f),
        Data::Int(i) => text.parse::<i64>().is_ok_and(|x| x == *i),
        Data::DateTime(d) => serial(text) == Some(d.as_f64()),
        _ => false,
    }
}

fn sheet(book: &mut Xlsx<std::io::BufReader<std::fs::File>>, name: &str) -> Vec<Vec<Data>> {
    let range = book.worksheet_range(name).unwrap_or_else(|e| panic!("sheet {name}: {e}"));
    range.rows().map(|r| r.to_vec()).collect()
}

#[test]
fn report_builds_every_deliverable_from_a_small_run() {
    let wd = Workdir::new();
    small_run(&wd, "out", true);
    let out = wd.join("out");
    // An exploration file handled generically: a sheet and a tornado chart.
    wd.write(
        "out/sensitivity.csv",
        "outcome,parameter,rank,method,total,total_ci_low,total_ci_high\n\
         months_to_5,params.trust.learn_up,1,sobol,0.6,0.5,0.7\n\
         months_to_5,params.ladder.step_rate,2,sobol,0.2,0.1,0.3\n",
    );
    let reference = repo_root().join("scenarios/reference/us_vietnam.csv");
    let o = wd.run(&["report", "out", "--reference", reference.to_str().unwrap()]).ok();
    for f in ["results.xlsx", "report.html", "exemplars.csv", "exemplars.md"] {
        assert!(out.join(f).is_file(), "{f} missing:\n{o}");
    }

    let summary = read_csv(&out.join("summary.csv"));
    let variants: BTreeSet<String> = summary[1..].iter().map(|r| r[1].clone()).collect();

    // Workbook: the summary sheet equals summary.csv cell for cell.
    let mut book: Xlsx<_> = open_workbook(out.join("results.xlsx")).unwrap();
    let names = book.sheet_names();
    for s in ["summary", "timeseries", "runs", "events", "sensitivity", "exemplars", "columns"] {
        assert!(names.iter().any(|n| n == s), "no sheet {s} in {names:?}");
    }
    let cells = sheet(&mut book, "summary");
    assert_eq!(cells.len(), summary.len());
    for (r, (got, want)) in cells.iter().zip(&summary).enumerate() {
        assert_eq!(got.len(), want.len(), "row {r}");
        for (c, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(same(g, w), "summary row {r} column {}: workbook {g:?}, CSV {w:?}", summary[0][c]);
        }
    }
    // Runs: seeds survive as text, all 30 × variants rows fit under the sample bound.
    let runs = read_csv(&out.join("runs.csv"));
    let run_cells = sheet(&mut book, "runs");
    assert_eq!(run_cells.len(), runs.len());
    assert!(same(&run_cells[1][3], &runs[1][3]), "run_seed {:?} vs {}", run_cells[1][3], runs[1][3]);
    // The columns sheet explains every summary column.
    let columns = sheet(&mut book, "columns");
    let explained: BTreeSet<String> =
        columns.iter().filter(|r| r[0] == Data::String("summary".into())).map(|r| r[1].to_string()).collect();
    for h in &summary[0] {
        assert!(explained.contains(h), "column {h} not explained");
    }

    // Charts: SVG documents with one panel per variant, the reference on each stage panel.
    let charts = out.join("charts");
    let stage = std::fs::read_to_string(charts.join("fan_stage_us_vietnam_1975_us-vietnam.svg")).unwrap();
    assert!(stage.starts_with("<svg") && stage.trim_end().ends_with("</svg>"));
    assert_eq!(stage.matches("<g class=\"panel\"").count(), variants.len());
    assert_eq!(stage.matches("class=\"median\"").count(), variants.len());
    assert_eq!(stage.matches("class=\"reference\"").count(), variants.len());
    let trust = std::fs::read_to_string(charts.join("fan_trust_us_vietnam_1975_us-vietnam.svg")).unwrap();
    assert_eq!(trust.matches("class=\"band\"").count(), variants.len());
    let time = std::fs::read_to_string(charts.join("time_to_stage_5.svg")).unwrap();
    assert_eq!(time.matches("<g class=\"panel\"").count(), variants.len());
    let tornado = std::fs::read_to_string(charts.join("tornado.svg")).unwrap();
    assert_eq!(tornado.matches("class=\"bar\"").count(), 2);
    // Cumulative probabilities: a panel per stage above the start, every
    // variant in each with its interval band, a colour key per variant;
    // actors by name.
    let cumulative =
        std::fs::read_to_string(charts.join("cumulative_us_vietnam_1975_us-vietnam.svg")).unwrap();
    let panels = cumulative.matches("<g class=\"panel\"").count();
    assert!(panels >= 3, "{panels} stage panels");
    assert_eq!(cumulative.matches("class=\"band\"").count(), panels * variants.len());
    assert_eq!(cumulative.matches("class=\"key\"").count(), variants.len());
    assert!(!trust.contains("a's trust") && trust.contains("trust of United States in"), "actor names");
    for svg in [&stage, &trust, &time, &tornado, &cumulative] {
        assert_eq!(svg.matches("<svg").count(), 1);
        assert_eq!(svg.matches('<').count(), svg.matches('>').count(), "unbalanced markup");
    }

    // The page: self-contained and complete.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.to_lowercase().contains("<script"));
    assert!(!html.contains("http"), "the page holds a URL");
    assert!(html.contains("<h1>detente report: out</h1>"), "titled with the folder, not its working copy");
    assert_eq!(html.matches("<svg").count(), 5);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert!(html.contains(manifest["scenarios"][0]["sha256"].as_str().unwrap()));
    // The page says what each variant assumes and where the horizon is.
    assert!(html.contains("to the horizon <b>"), "no horizon on the page");
    let about = &manifest["scenarios"][0]["about"];
    let description = about["descriptions"][0].as_str().unwrap().trim();
    assert!(html.contains(&detente::report::escape(description)), "no variant description on the page");

    // Exemplars: three percentiles per variant.
    let ex = read_csv(&out.join("exemplars.csv"));
    assert_eq!(ex[0].join(","), detente::report::exemplars::CSV_HEADER.join(","));
    let mut per_variant: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in &ex[1..] {
        per_variant.entry(row[1].clone()).or_default().insert(row[2].clone());
    }
    assert_eq!(per_variant.keys().cloned().collect::<BTreeSet<_>>(), variants);
    for (v, ps) in &per_variant {
        assert_eq!(ps.iter().map(String::as_str).collect::<Vec<_>>(), vec!["10", "50", "90"], "variant {v}");
    }
}

#[test]
fn report_without_events_explains_how_to_get_them() {
    let wd = Workdir::new();
    small_run(&wd, "out", false);
    let o = wd.run(&["report", "out", "--html"]).ok();
    assert!(o.stderr.contains("--events"), "{o}");
    let html = wd.read("out/report.html");
    assert!(html.contains("--events"));
    assert!(!wd.join("out/results.xlsx").exists(), "--html alone wrote a workbook");
}

#[test]
fn report_rejects_bad_input_with_exit_2() {
    let wd = Workdir::new();
    let o = wd.run(&["report", "no_such_folder"]).code(2);
    assert!(o.stderr.contains("no_such_folder"), "{o}");
    wd.write("empty/readme.txt", "nothing here");
    let o = wd.run(&["report", "empty"]).code(2);
    assert!(o.stderr.contains("not a detente results folder") && o.stderr.contains("readme.txt"), "{o}");
    small_run(&wd, "out", false);
    wd.run(&["report", "out", "--dyad", "x-y"]).code(2);
    // The tracked dyad in the other order is the same dyad.
    wd.run(&["report", "out", "--dyad", "vietnam-us", "--charts"]).ok();
    wd.write("bad.csv", "date,stage\n1975-04-30,99\n");
    let o = wd.run(&["report", "out", "--reference", "bad.csv"]).code(2);
    assert!(o.stderr.contains("bad.csv:2"), "{o}");
}

#[test]
fn run_writes_the_workbook_and_the_report_when_asked() {
    let wd = Workdir::new();
    let v = vietnam();
    let o = wd.run(&["run", v.to_str().unwrap(), "-n", "8", "--out", "x", "--xlsx"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(wd.join("x/results.xlsx").exists() && !wd.join("x/report.html").exists());
    let o =
        wd.run(&["run", v.to_str().unwrap(), "-n", "8", "--timeseries", "summary", "--out", "y", "--report"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    for f in ["y/results.xlsx", "y/report.html", "y/charts/time_to_stage_5.svg"] {
        assert!(wd.join(f).exists(), "{f} missing: {:?}", wd.files());
    }
    assert!(wd.read("y/report.html").contains("<h1>detente report: y</h1>"));
}

/// One cell of a LibreOffice flat-XML sheet: its value type and its value
/// (`office:value`, `office:date-value` or the text).
#[derive(Debug, Clone, PartialEq)]
struct OdsCell {
    kind: String,
    value: String,
}

/// The rows of sheet `name` in a `.fods` document, repeated cells expanded
/// (trailing empty runs are cut).
fn fods_sheet(xml: &str, name: &str) -> Vec<Vec<OdsCell>> {
    let attr = |tag: &str, key: &str| -> Option<String> {
        let at = tag.find(&format!(" {key}=\""))? + key.len() + 3;
        Some(tag[at..at + tag[at..].find('"')?].to_string())
    };
    let start = xml.find(&format!("<table:table table:name=\"{name}\"")).expect("sheet in the document");
    let body = &xml[start..start + xml[start..].find("</table:table>").unwrap()];
    let mut rows = Vec::new();
    for row in body.split("<table:table-row").skip(1) {
        let mut cells = Vec::new();
        for piece in row.split("<table:table-cell").skip(1) {
            let tag = &piece[..piece.find('>').unwrap_or(piece.len())];
            let kind = attr(tag, "office:value-type").unwrap_or_default();
            let text = piece
                .find("<text:p>")
                .map(|i| piece[i + 8..i + 8 + piece[i + 8..].find("</text:p>").unwrap_or(0)].to_string())
                .unwrap_or_default();
            let value = attr(tag, "office:date-value").or_else(|| attr(tag, "office:value")).unwrap_or(text);
            let repeat: usize =
                attr(tag, "table:number-columns-repeated").and_then(|n| n.parse().ok()).unwrap_or(1);
            // A long run of repeats is the empty rest of the row.
            for _ in 0..repeat.min(64) {
                cells.push(OdsCell { kind: kind.clone(), value: value.clone() });
            }
        }
        rows.push(cells);
    }
    rows
}

/// `results.xlsx` read by LibreOffice (an independent, widely used reader):
/// dates are date cells, numbers are numbers, headers and seeds are text,
/// and the print setup survives. LibreOffice is optional on a workstation
/// (the test says it skipped) and required in CI, which installs it.
#[test]
fn workbook_reads_in_libreoffice_with_dates_and_numbers() {
    let found =
        std::process::Command::new("soffice").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var_os("DETENTE_REQUIRE_LIBREOFFICE").is_some() || std::env::var_os("CI").is_some() {
            panic!("LibreOffice (soffice) is required here: apt-get install -y --no-install-recommends libreoffice-calc");
        }
        eprintln!(
            "skipped: soffice (LibreOffice) is not installed; .ci/run installs it and requires this test"
        );
        return;
    }
    let wd = Workdir::new();
    small_run(&wd, "out", false);
    wd.run(&["report", "out", "--xlsx"]).ok();
    // A private profile, so a desktop LibreOffice of the user is not disturbed.
    let profile = format!("-env:UserInstallation=file://{}", wd.join("lo-profile").display());
    let status = std::process::Command::new("soffice")
        .args([profile.as_str(), "--headless", "--convert-to", "fods", "--outdir"])
        .arg(wd.join("lo"))
        .arg(wd.join("out/results.xlsx"))
        .output()
        .unwrap();
    assert!(status.status.success(), "soffice failed: {}", String::from_utf8_lossy(&status.stderr));
    let xml = std::fs::read_to_string(wd.join("lo/results.fods")).unwrap();

    let summary = read_csv(&wd.join("out/summary.csv"));
    let cells = fods_sheet(&xml, "summary");
    let header = &summary[0];
    assert!(cells[0].iter().take(header.len()).all(|c| c.kind == "string"), "header cells are text");
    let (mut dates, mut numbers) = (0, 0);
    for (csv_row, ods_row) in summary[1..].iter().zip(&cells[1..]) {
        for (c, text) in csv_row.iter().enumerate() {
            let cell = &ods_row[c];
            if text.is_empty() {
                assert_eq!(cell.kind, "", "{}: an empty CSV cell stays empty", header[c]);
            } else if header[c].ends_with("_date_median") || header[c].ends_with("_date") {
                assert_eq!(
                    (cell.kind.as_str(), cell.value.as_str()),
                    ("date", text.as_str()),
                    "{}",
                    header[c]
                );
                dates += 1;
            } else if let Ok(x) = text.parse::<f64>() {
                assert!(matches!(cell.kind.as_str(), "float" | "percentage"), "{}: {cell:?}", header[c]);
                assert_eq!(cell.value.parse::<f64>().unwrap(), x, "{}", header[c]);
                numbers += 1;
            } else {
                assert_eq!(
                    (cell.kind.as_str(), cell.value.as_str()),
                    ("string", text.as_str()),
                    "{}",
                    header[c]
                );
            }
        }
    }
    assert!(dates > 0 && numbers > 0, "dates {dates}, numbers {numbers}");
    // Seeds keep all their digits as text; run dates are dates too.
    let runs = read_csv(&wd.join("out/runs.csv"));
    let run_cells = fods_sheet(&xml, "runs");
    let seed = runs[0].iter().position(|h| h == "run_seed").unwrap();
    assert_eq!(run_cells[1][seed], OdsCell { kind: "string".into(), value: runs[1][seed].clone() });
    let date = runs[0].iter().position(|h| h == "stage_1_date").unwrap();
    assert_eq!(run_cells[1][date].kind, "date");
    // Filters on every sheet's header, landscape pages one wide.
    assert!(xml.contains("table:target-range-address=\"summary.A1:"), "no filter on the summary");
    assert!(xml.contains("print-orientation=\"landscape\""));
    assert!(xml.contains("scale-to-X=\"1\""));
}
