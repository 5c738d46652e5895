//! Fuzz target: the scenario loader, `detente::scenario::parse`.
//!
//! Any text must come back as a scenario or as a list of diagnostics that a
//! person can act on, never as a panic, an abort or a hang. Beyond "no panic"
//! this checks what `detente validate` promises its users: every diagnostic
//! names a real place (line and column from 1, within the file) and prints on
//! one line as `file:line:col: key: message`, and they come sorted.
//!
//! Bytes that are not UTF-8 are skipped: `scenario::load` rejects them with
//! one diagnostic before `parse` is reached, and `parse` takes a `String`.

#![no_main]

use std::path::Path;

use detente::scenario::{self, ScenarioError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // A file ending in a newline has no line after it, so the last place a
    // diagnostic can point at is one past the last character of the last line.
    let lines = text.split('\n').count();
    match scenario::parse(Path::new("fuzz.toml"), text.to_string()) {
        Ok(s) => {
            assert!(!s.variants.is_empty() && s.variants[0].name == "baseline", "baseline variant first");
            assert!(s.base.horizon >= 1, "a scenario runs at least one month");
        }
        Err(ScenarioError::Invalid(diags)) => {
            assert!(!diags.0.is_empty(), "Invalid with no diagnostic");
            for d in &diags.0 {
                assert!(d.line >= 1 && d.line <= lines, "line {} outside 1..={lines}: {d}", d.line);
                assert!(d.col >= 1, "column 0: {d}");
                assert!(!d.message.trim().is_empty(), "empty message: {d:?}");
                assert!(!d.message.contains(['\n', '\r']), "message spans lines: {d:?}");
                assert!(!d.key.is_empty() && !d.key.contains(['\n', '\r']), "bad key: {d:?}");
            }
            assert!(
                diags.0.windows(2).all(|w| (w[0].line, w[0].col) <= (w[1].line, w[1].col)),
                "diagnostics out of order"
            );
            assert_eq!(diags.to_string().lines().count(), diags.0.len(), "one diagnostic per line");
        }
        Err(other) => panic!("parse of text in memory returned {other:?}"),
    }
});
