//! `results.xlsx`: one sheet per CSV table of the folder and a "columns"
//! sheet saying what every column means.
//!
//! Cells keep the CSV's values exactly: numbers are parsed from the CSV text
//! and stored as numbers (a number format only changes how they are shown),
//! ISO dates become date cells shown as `yyyy-mm-dd`, seeds stay text
//! (a spreadsheet keeps only 15 digits of a number), empty cells stay empty.
//! Every sheet has a frozen, filtered header and prints landscape, one page
//! wide. Per-run tables (those
//! with a `replicate` column) are sampled to their first
//! [`RUN_SAMPLE_ROWS`](super::RUN_SAMPLE_ROWS) rows, and the columns sheet
//! says so, because a large batch has more rows than a spreadsheet opens
//! comfortably.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook, Worksheet, XlsxError};

use super::columns::{describe, Format};
use super::table::Table;
use super::{Folder, ReportError, RUN_SAMPLE_ROWS};
use crate::output::{AtomicFile, OutputError};

/// Excel's row limit, less the header row.
const MAX_DATA_ROWS: usize = 1_048_575;
/// Excel's column limit.
const MAX_COLUMNS: usize = 16_384;

/// The number formats, built once.
struct Formats {
    header: CellFormat,
    integer: CellFormat,
    percent: CellFormat,
    trust: CellFormat,
    decimal: CellFormat,
    date: CellFormat,
    wrap: CellFormat,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: CellFormat::new().set_bold(),
            integer: CellFormat::new().set_num_format("0"),
            percent: CellFormat::new().set_num_format("0.0%"),
            trust: CellFormat::new().set_num_format("0.000"),
            decimal: CellFormat::new().set_num_format("General"),
            // ISO order whatever the reader's locale.
            date: CellFormat::new().set_num_format("yyyy-mm-dd"),
            wrap: CellFormat::new().set_text_wrap(),
        }
    }

    fn for_number(&self, format: Format) -> &CellFormat {
        match format {
            Format::Integer => &self.integer,
            Format::Percent => &self.percent,
            Format::Trust => &self.trust,
            _ => &self.decimal,
        }
    }
}

/// One sheet's provenance, for the columns sheet.
struct SheetNote {
    sheet: String,
    file: String,
    rows: usize,
    total: u64,
}

/// Writes the workbook for every CSV in `folder` (plus `exemplars.csv` if
/// the report wrote one) to `path`.
pub fn write(folder: &Folder, path: &Path) -> Result<(), ReportError> {
    let xerr = |e: XlsxError| ReportError::Xlsx { path: path.to_path_buf(), message: e.to_string() };
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let mut names = BTreeSet::new();
    let mut notes = Vec::new();
    let mut columns: Vec<(String, String, Format, String)> = Vec::new();

    let mut files = folder.csvs.clone();
    if let Some(ex) = folder.file("exemplars.csv") {
        files.push(ex);
    }
    // The sheet order of `Folder::open`, with exemplars placed by the same rule.
    files.sort_by_key(|p| {
        let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        (super::sheet_rank(&stem), stem)
    });

    for file in &files {
        // Peek at the header to decide the sampling before reading rows.
        let probe = Table::load_header(file)?;
        let limit = if probe.iter().any(|h| h == "replicate") { RUN_SAMPLE_ROWS } else { MAX_DATA_ROWS };
        let table = Table::load(file, Some(limit))?;
        let sheet = unique_sheet_name(&table.name, &mut names);
        let ws = workbook.add_worksheet();
        ws.set_name(&sheet).map_err(xerr)?;
        write_table(ws, &table, &formats).map_err(xerr)?;
        for column in table.header.iter().take(MAX_COLUMNS) {
            let (format, meaning) = describe(&table.name, column);
            columns.push((sheet.clone(), column.clone(), format, meaning));
        }
        notes.push(SheetNote {
            sheet,
            file: file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            rows: table.rows.len(),
            total: table.total_rows,
        });
    }

    let ws = workbook.add_worksheet();
    ws.set_name("columns").map_err(xerr)?;
    write_columns_sheet(ws, &notes, &columns, &formats).map_err(xerr)?;

    let bytes = workbook.save_to_buffer().map_err(xerr)?;
    let mut out = AtomicFile::create(path)?;
    out.write_all(&bytes).map_err(|e| OutputError::new(path, e))?;
    out.commit()?;
    Ok(())
}

/// A sheet name Excel accepts (31 characters, none of `[]:*?/\`), unique in the workbook.
fn unique_sheet_name(stem: &str, taken: &mut BTreeSet<String>) -> String {
    let clean: String =
        stem.chars().map(|c| if "[]:*?/\\'".contains(c) { '_' } else { c }).take(28).collect();
    let clean =
        if clean.is_empty() || clean.eq_ignore_ascii_case("columns") { format!("{clean}_t") } else { clean };
    let mut name = clean.clone();
    let mut k = 2;
    while taken.contains(&name.to_lowercase()) {
        name = format!("{clean}_{k}");
        k += 1;
    }
    taken.insert(name.to_lowercase());
    name
}

/// Header, cells and column widths of one table; the header row frozen.
fn write_table(ws: &mut Worksheet, table: &Table, formats: &Formats) -> Result<(), XlsxError> {
    let ncols = table.header.len().min(MAX_COLUMNS);
    let kinds: Vec<Format> = table.header.iter().take(ncols).map(|h| describe(&table.name, h).0).collect();
    let mut widths: Vec<usize> = table.header.iter().take(ncols).map(|h| h.chars().count()).collect();
    for (c, h) in table.header.iter().take(ncols).enumerate() {
        ws.write_string_with_format(0, c as u16, h, &formats.header)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = (r + 1) as u32;
        for (c, value) in row.iter().take(ncols).enumerate() {
            if value.is_empty() {
                continue;
            }
            if r <= 200 {
                widths[c] = widths[c].max(value.chars().count());
            }
            let col = c as u16;
            match kinds[c] {
                Format::Date => match iso_date(value) {
                    Some(d) => {
                        ws.write_datetime_with_format(r, col, &d, &formats.date)?;
                    }
                    None => {
                        ws.write_string(r, col, value)?;
                    }
                },
                Format::Text | Format::Seed => {
                    ws.write_string(r, col, value)?;
                }
                kind => match value.parse::<f64>() {
                    Ok(x) if x.is_finite() => {
                        ws.write_number_with_format(r, col, x, formats.for_number(kind))?;
                    }
                    _ => {
                        ws.write_string(r, col, value)?;
                    }
                },
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        // The filter button takes about two characters of the header cell.
        ws.set_column_width(c as u16, (*w as f64 + 4.0).clamp(10.0, 60.0))?;
    }
    ws.set_freeze_panes(1, 0)?;
    if ncols > 0 {
        ws.autofilter(0, 0, table.rows.len() as u32, (ncols - 1) as u16)?;
    }
    print_setup(ws)?;
    Ok(())
}

/// Landscape, one page wide (as many tall as needed), the header row on
/// every page: a wide table prints legibly instead of as columns strewn
/// over hundreds of pages.
fn print_setup(ws: &mut Worksheet) -> Result<(), XlsxError> {
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    Ok(())
}

/// A `YYYY-MM-DD` cell as a spreadsheet date; `None` for anything else,
/// which then stays text.
fn iso_date(text: &str) -> Option<ExcelDateTime> {
    let d = crate::calendar::Date::parse(text).ok()?;
    let ym = d.year_month();
    ExcelDateTime::from_ymd(u16::try_from(ym.year()).ok()?, ym.month() as u8, d.day() as u8).ok()
}

/// The "columns" sheet: first where each sheet came from, then every column.
fn write_columns_sheet(
    ws: &mut Worksheet,
    notes: &[SheetNote],
    columns: &[(String, String, Format, String)],
    formats: &Formats,
) -> Result<(), XlsxError> {
    for (c, h) in ["sheet", "column", "format", "meaning"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &formats.header)?;
    }
    let mut r = 1u32;
    for note in notes {
        let what = if (note.rows as u64) < note.total {
            format!(
                "from {}: the first {} of its {} rows (a sample; the CSV holds them all)",
                note.file, note.rows, note.total
            )
        } else {
            format!("from {}: all {} rows", note.file, note.total)
        };
        ws.write_string(r, 0, &note.sheet)?;
        ws.write_string(r, 1, "(sheet)")?;
        ws.write_string(r, 2, "")?;
        ws.write_string_with_format(r, 3, &what, &formats.wrap)?;
        r += 1;
    }
    for (sheet, column, format, meaning) in columns {
        ws.write_string(r, 0, sheet)?;
        ws.write_string(r, 1, column)?;
        ws.write_string(r, 2, format.label())?;
        ws.write_string(r, 3, meaning)?;
        r += 1;
    }
    ws.set_column_width(0, 18)?;
    ws.set_column_width(1, 36)?;
    ws.set_column_width(2, 16)?;
    ws.set_column_width(3, 100)?;
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, r.saturating_sub(1), 3)?;
    print_setup(ws)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut taken = BTreeSet::new();
        assert_eq!(unique_sheet_name("summary", &mut taken), "summary");
        assert_eq!(unique_sheet_name("summary", &mut taken), "summary_2");
        assert_eq!(unique_sheet_name("a[b]", &mut taken), "a_b_");
        assert_eq!(unique_sheet_name("columns", &mut taken), "columns_t");
        assert!(unique_sheet_name(&"x".repeat(40), &mut taken).chars().count() <= 31);
    }
}
