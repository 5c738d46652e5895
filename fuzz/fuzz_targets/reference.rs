//! Fuzz target: the reference-history reader, `ReferencePath::parse`.
//!
//! Any bytes must come back as a history or as problems, never as a panic, an
//! abort or a hang (the module promises "nothing in here panics on any file
//! content"). Beyond that this checks the two guarantees the queries rely on
//! (at least one row, dates strictly increasing, stages on the ladder), runs
//! the queries over the result, and checks that each problem prints on one
//! line with a line number from 1.

#![no_main]

use std::path::Path;

use detente::reference::{ReferenceError, ReferencePath};
use libfuzzer_sys::fuzz_target;

/// The default ladder's length, as `detente compare` uses it.
const LADDER: usize = 8;

fuzz_target!(|data: &[u8]| {
    match ReferencePath::parse("fuzz", data, Path::new("fuzz.csv"), LADDER) {
        Ok(path) => {
            assert!(!path.rows.is_empty(), "Ok with no rows");
            assert!(path.rows.windows(2).all(|w| w[0].date < w[1].date), "dates not increasing");
            for r in &path.rows {
                let stages = [Some(r.stage), r.alt_effective_stage, r.alt_formal_stage];
                assert!(stages.iter().flatten().all(|&s| usize::from(s) < LADDER), "stage off the ladder");
            }
            // The queries compare and calibrate call, over the whole record
            // and a little beyond it on both sides.
            let origin = path.origin().year_month();
            let months = path.last_date().year_month().months_since(origin).max(0) as usize + 13;
            let monthly = path.monthly_stages(origin.plus(-12), months);
            assert_eq!(monthly.len(), months);
            assert_eq!(path.stage_at(path.origin()), Some(path.rows[0].stage));
            for stage in 0..LADDER as u8 {
                let _ = path.first_reach(stage);
            }
        }
        Err(ReferenceError::Invalid { problems }) => {
            assert!(!problems.is_empty(), "Invalid with no problem");
            for p in &problems {
                let shown = p.to_string();
                assert!(p.line >= 1, "line 0: {shown}");
                assert!(!shown.contains(['\n', '\r']), "problem spans lines: {shown:?}");
            }
        }
        Err(other) => panic!("parse of bytes in memory returned {other:?}"),
    }
});
