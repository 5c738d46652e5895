//! Text that leaves the program: CSV cells a spreadsheet could evaluate,
//! and control characters a terminal would obey.
//!
//! Scenario files come from other people. A scenario, event, process or
//! election name, or a reference file's name, is written into CSV cells;
//! a cell beginning with `=`, `+`, `-` or `@` (or a tab or carriage return
//! before one) is taken for a formula by Excel and LibreOffice ("CSV
//! injection"). [`neutralise`] is the one defence, applied to every text
//! cell [`super::CsvFile`] writes: such a cell gets a leading apostrophe,
//! which spreadsheets show as text and never evaluate. Numbers are written
//! by the number writers and are never touched (a negative number is a
//! number, not text). `docs/OUTPUTS.md` documents the rule.

use std::borrow::Cow;

/// Whether a text cell starting with `c` would be read as a formula.
fn triggers(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// `text` as a CSV cell no spreadsheet evaluates: a leading apostrophe
/// before a first character of `= + - @`, tab or carriage return.
/// Idempotent: a neutralised cell starts with `'` and stays as it is.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some(c) if triggers(c) => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// `text` with every control character but the line feed (C0, DEL and C1,
/// which include the escape that starts terminal sequences) written as a
/// visible escape such as `\u{1b}`, so printing it cannot move the cursor,
/// recolour the terminal or hide what precedes it.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_get_an_apostrophe_and_nothing_else_changes() {
        for (text, cell) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("us-taliban", "us-taliban"),
            ("1975-05-01", "1975-05-01"),
            ("a = b", "a = b"),
            ("", ""),
            ("'=x", "'=x"),
        ] {
            assert_eq!(neutralise(text), cell, "{text:?}");
            assert_eq!(neutralise(&neutralise(text)), neutralise(text), "idempotent on {text:?}");
        }
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(escape_control("plain\ntext"), "plain\ntext");
        assert_eq!(escape_control("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape_control("x\ry\u{7}\u{9b}"), "x\\ry\\u{7}\\u{9b}");
    }
}
