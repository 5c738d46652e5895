//! What every column means and how the workbook shows it.
//!
//! The fixed columns mirror `docs/OUTPUTS.md` (keep the two in step); the
//! per-stage and per-year columns follow pattern rules (`stage_<s>_share`,
//! `stage_<s>_p_by_<Y>y`, ...); key-path columns are varied parameters.
//! Columns of files this table does not know (the exploration commands'
//! `points.csv`, `sensitivity.csv`, `discovery.csv`, comparison files) get a
//! format guessed from their name and a pointer to their documentation, so a
//! new column never stops a report.

/// How a column's cells are written to the workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text, as written in the CSV.
    Text,
    /// An ISO date kept as text (`YYYY-MM-DD`), so no locale reinterprets it.
    Date,
    /// A 20-digit seed kept as text: spreadsheets keep only 15 digits.
    Seed,
    /// A whole number (months, stages, counts).
    Integer,
    /// A share 0–1 shown as a percentage with one decimal.
    Percent,
    /// Trust 0–1 with three decimals.
    Trust,
    /// Any other number.
    Decimal,
}

impl Format {
    /// Short name for the columns sheet.
    pub fn label(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Date => "date (yyyy-mm-dd)",
            Format::Seed => "seed (text)",
            Format::Integer => "integer",
            Format::Percent => "share (0.0%)",
            Format::Trust => "trust (0.000)",
            Format::Decimal => "decimal",
        }
    }
}

/// Fixed columns: (table or `*` for any, column, format, meaning).
const FIXED: &[(&str, &str, Format, &str)] = &[
    ("*", "scenario", Format::Text, "[scenario].name of the scenario file"),
    ("*", "variant", Format::Text, "variant name; baseline is the file as written"),
    ("*", "replicate", Format::Integer, "replicate index within the variant, counting from 0; identifies a run"),
    ("*", "run_seed", Format::Seed, "seed of this run (up to 20 digits, kept as text so no digit is lost)"),
    ("*", "dyad", Format::Text, "dyad label a-b, actor ids in the order of [scenario].tracked"),
    ("*", "actor_a", Format::Text, "actor id of a"),
    ("*", "actor_b", Format::Text, "actor id of b"),
    ("*", "month", Format::Integer, "month index counted from the scenario's start (month 0)"),
    ("*", "date", Format::Date, "first day of the month, YYYY-MM-DD"),
    ("*", "runs", Format::Integer, "runs (replicates) aggregated"),
    ("*", "initial_stage", Format::Integer, "stage the scenario gives the dyad, before any month-0 event"),
    ("runs", "max_stage", Format::Integer, "highest stage over the run, including the initial stage"),
    ("runs", "final_stage", Format::Integer, "stage at the horizon (month H)"),
    ("runs", "final_trust_ab", Format::Trust, "a's trust in b at the horizon (0-1)"),
    ("runs", "final_trust_ba", Format::Trust, "b's trust in a at the horizon (0-1)"),
    ("runs", "attacks", Format::Integer, "attacks by all armed groups in this run (empty: no armed group)"),
    ("runs", "armed_group_peak_strength", Format::Decimal, "sum over armed groups of each group's peak strength"),
    ("runs", "armed_group_final_strength", Format::Decimal, "sum over armed groups of each group's strength at the horizon"),
    ("groups", "group", Format::Text, "actor id of the armed group"),
    ("groups", "attacks", Format::Integer, "attacks the group carried out, including attacks staged by events"),
    ("groups", "peak_strength", Format::Decimal, "highest strength over the run, including the initial strength"),
    ("groups", "final_strength", Format::Decimal, "strength at the horizon"),
    ("summary", "final_stage_mean", Format::Decimal, "mean stage at the horizon"),
    ("summary", "final_trust_ab_mean", Format::Trust, "mean of final_trust_ab"),
    ("summary", "final_trust_ba_mean", Format::Trust, "mean of final_trust_ba"),
    ("summary", "attacks_mean", Format::Decimal, "mean over runs of attacks (all armed groups)"),
    ("summary", "armed_group_peak_strength_mean", Format::Decimal, "mean over runs of armed_group_peak_strength"),
    ("summary", "armed_group_final_strength_mean", Format::Decimal, "mean over runs of armed_group_final_strength"),
    ("timeseries", "stage_mean", Format::Decimal, "mean stage that month over the runs"),
    ("timeseries", "stage_p10", Format::Integer, "10th percentile of the stage that month"),
    ("timeseries", "stage_median", Format::Integer, "median stage that month"),
    ("timeseries", "stage_p90", Format::Integer, "90th percentile of the stage that month"),
    ("timeseries", "stage", Format::Integer, "stage at the end of the month (full form)"),
    ("timeseries", "trust_ab", Format::Trust, "a's trust in b at the end of the month (full form)"),
    ("timeseries", "trust_ba", Format::Trust, "b's trust in a at the end of the month (full form)"),
    ("timeseries", "net_cooperation", Format::Decimal, "Goldstein-like score -10..10: 5 x (x_ab + x_ba) this month (full form)"),
    ("events", "kind", Format::Text, "event, process, election, attack or stage_change"),
    ("events", "name", Format::Text, "event/process/election name; attack; or the stage change's cause: step_up, betrayal, low_trust, attack, scripted"),
    ("events", "actor", Format::Text, "attack: the attacker; stage_change: the pair's first actor"),
    ("events", "target", Format::Text, "attack: the target; stage_change: the pair's second actor"),
    ("events", "stage_from", Format::Integer, "stage_change: stage before"),
    ("events", "stage_to", Format::Integer, "stage_change: stage after"),
    ("exemplars", "percentile", Format::Integer, "10, 50 or 90: the run's rank in months to the chosen stage (never reached counts as beyond the horizon)"),
    ("exemplars", "kind", Format::Text, "event, process, election, attack or stage_change (as in events.csv)"),
    ("exemplars", "name", Format::Text, "what happened; for stage_change the cause: step_up, betrayal, low_trust, attack, scripted"),
    ("exemplars", "actor", Format::Text, "attack: the attacker; stage_change: the pair's first actor"),
    ("exemplars", "target", Format::Text, "attack: the target; stage_change: the pair's second actor"),
    ("exemplars", "stage_from", Format::Integer, "stage_change: stage before"),
    ("exemplars", "stage_to", Format::Integer, "stage_change: stage after"),
];

/// The format and meaning of `column` in the table `table` (a file stem).
pub fn describe(table: &str, column: &str) -> (Format, String) {
    for (t, c, format, meaning) in FIXED {
        if *c == column && (*t == table || *t == "*") {
            return (*format, (*meaning).to_string());
        }
    }
    if let Some(found) = stage_pattern(table, column) {
        return found;
    }
    if let Some(found) = quantile_pattern(column) {
        return found;
    }
    if let Some(found) = statistic_pattern(column) {
        return found;
    }
    if column.contains('.') {
        return (
            Format::Decimal,
            format!("varied parameter: value of the key path {column} in the row's initial world, after overrides"),
        );
    }
    let doc = match table {
        "points" | "sensitivity" | "discovery" => "see docs/EXPLORE.md",
        t if t.starts_with("compare") => "see docs/CALIBRATION.md (comparing paths)",
        "posterior" => "see docs/CALIBRATION.md (calibration)",
        _ => "see the documentation of the command that wrote this file",
    };
    (guess(column), format!("{column}: {doc}"))
}

/// `stage_<s>_...` columns of runs.csv and summary.csv.
fn stage_pattern(table: &str, column: &str) -> Option<(Format, String)> {
    let rest = column.strip_prefix("stage_")?;
    let (s, tail) = rest.split_once('_')?;
    let s: u8 = s.parse().ok()?;
    let found = match tail {
        "month" if table != "summary" => (
            Format::Integer,
            format!("first month at which the stage was >= {s} (0: started there; empty: never reached by the horizon)"),
        ),
        "date" if table != "summary" => (Format::Date, format!("first day of the month stage_{s}_month")),
        "share" => (Format::Percent, format!("share of all runs that reached stage {s} by the horizon")),
        "months_p10" | "months_median" | "months_p90" => {
            let q = &tail["months_".len()..];
            (
                Format::Integer,
                format!("{q} of the first-reach month of stage {s}, among runs that reached it (empty: none did)"),
            )
        }
        "date_median" => (Format::Date, format!("first day of the month stage_{s}_months_median")),
        "share_low" | "share_high" => {
            (Format::Percent, format!("95 % Wilson interval of stage_{s}_share ({})", &tail["share_".len()..]))
        }
        t => {
            let label = t.strip_prefix("p_by_")?;
            let (label, end) = match label.rsplit_once('_') {
                Some((l, e @ ("low" | "high"))) => (l, Some(e)),
                _ => (label, None),
            };
            let by = crate::calendar::By::parse(label).ok()?;
            let what = format!("share of all runs that reached stage {s} by {}", by.words());
            match end {
                Some(e) => (Format::Percent, format!("95 % Wilson interval ({e}) of the {what}")),
                None => (Format::Percent, what),
            }
        }
    };
    Some(found)
}

/// `trust_ab_p10`, `net_cooperation_median` and the like (timeseries, summary form).
fn quantile_pattern(column: &str) -> Option<(Format, String)> {
    let (base, q) = column.rsplit_once('_')?;
    let q = match q {
        "p10" => "10th percentile",
        "median" => "median",
        "p90" => "90th percentile",
        _ => return None,
    };
    let (format, what) = match base {
        "trust_ab" => (Format::Trust, "a's trust in b (0.001 steps)"),
        "trust_ba" => (Format::Trust, "b's trust in a (0.001 steps)"),
        "net_cooperation" => (Format::Decimal, "the dyad's net cooperation, -10..10 (0.05 steps)"),
        _ => return None,
    };
    Some((format, format!("{q} over runs of {what} that month")))
}

/// `<outcome>_mean`, `_sd`, `_ci95_low`, `_ci95_high` (points.csv, docs/EXPLORE.md).
fn statistic_pattern(column: &str) -> Option<(Format, String)> {
    for (suffix, what) in [
        ("_mean", "mean over the point's runs of"),
        ("_sd", "sample sd over the point's runs of"),
        ("_ci95_low", "lower end of the 95 % interval of the mean of"),
        ("_ci95_high", "upper end of the 95 % interval of the mean of"),
    ] {
        if let Some(base) = column.strip_suffix(suffix) {
            if base.is_empty() || column.contains('.') {
                return None;
            }
            return Some((guess(base), format!("{what} {base} (see docs/EXPLORE.md)")));
        }
    }
    None
}

/// A format for a column the table does not know, from its name alone.
fn guess(column: &str) -> Format {
    let c = column.to_ascii_lowercase();
    if c.ends_with("date") || c.ends_with("_date_median") {
        Format::Date
    } else if c.contains("seed") {
        Format::Seed
    } else if c.contains("share")
        || c.contains("_p_by_")
        || c.starts_with("p_")
        || c.contains("coverage")
        || c.contains("density")
    {
        Format::Percent
    } else if c.contains("trust") {
        Format::Trust
    } else if c.ends_with("_month")
        || c.ends_with("months")
        || c == "point"
        || c == "rank"
        || c.ends_with("_n")
        || c == "n"
    {
        Format::Integer
    } else {
        Format::Decimal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_cover_summary_and_runs() {
        assert_eq!(describe("summary", "stage_5_share").0, Format::Percent);
        assert_eq!(describe("summary", "stage_5_p_by_2030").0, Format::Percent);
        assert!(describe("summary", "stage_5_p_by_2030-06_low").1.contains("the end of 2030-06"));
        assert_eq!(describe("summary", "stage_5_months_median").0, Format::Integer);
        assert_eq!(describe("summary", "stage_5_date_median").0, Format::Date);
        assert_eq!(describe("runs", "stage_3_month").0, Format::Integer);
        assert_eq!(describe("runs", "stage_3_date").0, Format::Date);
        assert_eq!(describe("runs", "run_seed").0, Format::Seed);
        assert_eq!(describe("timeseries", "trust_ab_median").0, Format::Trust);
        assert!(describe("runs", "params.trust.learn_up").1.contains("varied parameter"));
        assert!(describe("points", "whatever").1.contains("EXPLORE"));
    }

    #[test]
    fn fixed_columns_mirror_the_outputs_document() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/OUTPUTS.md")).unwrap();
        for (table, column, _, _) in FIXED {
            if *table != "exemplars" {
                assert!(doc.contains(&format!("`{column}`")), "docs/OUTPUTS.md does not document `{column}`");
            }
        }
    }
}
