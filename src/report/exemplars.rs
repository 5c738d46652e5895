//! Exemplar paths, "the why": for each scenario and variant, the runs at the
//! 10th, 50th and 90th percentile of months to a chosen stage among the runs
//! that reach it, and their timelines from `events.csv`, with the reasons
//! from `decisions.csv` ([`super::why`]).
//!
//! Percentiles use the nearest-rank rule over the runs that reach the stage,
//! as every quantile in detente does: sort them by first-reach month (ties
//! by replicate) and take the ⌈q·n⌉-th run; a run picked at two percentiles
//! is shown once. When no run of a variant reaches the stage, its exemplars
//! follow the highest stage any of its runs reaches instead. `events.csv`
//! can hold hundreds of megabytes, so it is streamed once and only the rows
//! of the chosen runs are kept.

use std::collections::HashMap;
use std::path::Path;

use super::table::{cell, Table};
use super::{escape, rung_name, ReportError};
use crate::model::same_dyad;
use crate::output::CsvFile;

/// The percentiles exemplars are drawn at.
pub const PERCENTILES: [u8; 3] = [10, 50, 90];

/// What to tell the analyst when `events.csv` is missing.
pub const NO_EVENTS_HINT: &str = "events.csv is absent, so the exemplar runs are named but their timelines \
     cannot be shown: rerun the same command with `--events` (same seed and replications give the same runs)";

/// The dyad followed in one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DyadChoice {
    /// Scenario name.
    pub scenario: String,
    /// Dyad label `a-b`.
    pub dyad: String,
    /// Actor id of a.
    pub actor_a: String,
    /// Actor id of b.
    pub actor_b: String,
}

/// The dyad to follow per scenario: `wanted` where the scenario tracks it,
/// else the scenario's first tracked dyad (the first in `runs.csv`).
pub fn pick_dyads(runs: &Table, wanted: Option<&str>) -> Result<Vec<DyadChoice>, ReportError> {
    let (cs, cd, ca, cb) =
        (runs.need("scenario")?, runs.need("dyad")?, runs.need("actor_a")?, runs.need("actor_b")?);
    let mut all: Vec<DyadChoice> = Vec::new();
    for row in &runs.rows {
        let choice = DyadChoice {
            scenario: cell(row, cs).to_string(),
            dyad: cell(row, cd).to_string(),
            actor_a: cell(row, ca).to_string(),
            actor_b: cell(row, cb).to_string(),
        };
        if !all.contains(&choice) {
            all.push(choice);
        }
    }
    let mut out: Vec<DyadChoice> = Vec::new();
    for c in &all {
        if out.iter().any(|o| o.scenario == c.scenario) {
            continue;
        }
        let pick = match wanted {
            Some(w) => all.iter().find(|d| d.scenario == c.scenario && same_dyad(&d.dyad, w)),
            None => Some(c),
        };
        out.extend(pick.cloned());
    }
    if let Some(w) = wanted {
        if out.is_empty() {
            let mut found: Vec<&str> = all.iter().map(|d| d.dyad.as_str()).collect();
            found.dedup();
            return Err(ReportError::UnknownDyad { wanted: w.to_string(), found: found.join(", ") });
        }
    }
    Ok(out)
}

/// The dyad followed in `scenario`, if any.
pub fn dyad_for<'a>(chosen: &'a [DyadChoice], scenario: &str) -> Option<&'a DyadChoice> {
    chosen.iter().find(|d| d.scenario == scenario)
}

/// One row of `events.csv` belonging to an exemplar run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Month index.
    pub month: u32,
    /// ISO date of the month.
    pub date: String,
    /// `event`, `process`, `election`, `attack` or `stage_change`.
    pub kind: String,
    /// Name, or the stage change's cause.
    pub name: String,
    /// Attacker or the pair's first actor.
    pub actor: String,
    /// Target or the pair's second actor.
    pub target: String,
    /// Stage before (stage changes only).
    pub stage_from: String,
    /// Stage after (stage changes only).
    pub stage_to: String,
}

/// One exemplar run.
#[derive(Debug, Clone)]
pub struct Exemplar {
    /// Scenario name.
    pub scenario: String,
    /// Variant name.
    pub variant: String,
    /// 10, 50 or 90.
    pub percentile: u8,
    /// Replicate index.
    pub replicate: u64,
    /// Seed, as text (20 digits).
    pub run_seed: String,
    /// First month at or above the stage; `None`: never by the horizon.
    pub month: Option<u32>,
    /// Its date.
    pub date: String,
    /// The dyad followed.
    pub dyad: DyadChoice,
    /// The run's happenings in order (empty without `events.csv`).
    pub events: Vec<EventRow>,
    /// The stage this exemplar follows: the one asked for, or the highest
    /// its variant reaches when no run reaches that one.
    pub stage: u8,
    /// The reasons behind the path, from `decisions.csv` (empty without it).
    pub reasons: Vec<super::why::Reason>,
    /// Ladder length, for rung names.
    pub ladder_len: usize,
}

/// How many runs of a variant reached the stage.
#[derive(Debug, Clone)]
pub struct VariantCount {
    /// Scenario name.
    pub scenario: String,
    /// Variant name.
    pub variant: String,
    /// Runs of the followed dyad.
    pub runs: usize,
    /// Of which reached the stage.
    pub reached: usize,
}

/// Every exemplar of a folder.
#[derive(Debug, Clone)]
pub struct ExemplarSet {
    /// The stage followed.
    pub stage: u8,
    /// Ladder length (from the runs' stage columns), for rung names.
    pub ladder_len: usize,
    /// Exemplars, by scenario and variant in file order, then percentile.
    pub exemplars: Vec<Exemplar>,
    /// Per variant, how many runs reached the stage.
    pub counts: Vec<VariantCount>,
    /// Whether timelines were read from `events.csv`.
    pub has_events: bool,
    /// Whether reasons were read from `decisions.csv`.
    pub has_reasons: bool,
}

/// A run that may be picked: replicate, seed, and its row of `runs.csv`.
type Candidate = (u64, String, usize);

/// Picks the exemplar runs from `runs.csv`.
pub fn select(runs: &Table, chosen: &[DyadChoice], stage: u8) -> Result<ExemplarSet, ReportError> {
    let (cs, cv, cr, cseed, cd) = (
        runs.need("scenario")?,
        runs.need("variant")?,
        runs.need("replicate")?,
        runs.need("run_seed")?,
        runs.need("dyad")?,
    );
    let month_of = |row: &[String], s: u8| {
        runs.col(&format!("stage_{s}_month")).and_then(|c| cell(row, c).parse::<u32>().ok())
    };
    let date_of = |row: &[String], s: u8| {
        runs.col(&format!("stage_{s}_date")).map(|c| cell(row, c).to_string()).unwrap_or_default()
    };
    let cmax = runs.col("max_stage");
    let ladder_len = runs
        .header
        .iter()
        .filter_map(|h| h.strip_prefix("stage_")?.strip_suffix("_month")?.parse::<usize>().ok())
        .max()
        .map_or(8, |top| top + 1);
    // (scenario, variant) in first-seen order, with their runs.
    let mut groups: Vec<((String, String), Vec<Candidate>)> = Vec::new();
    for (index, row) in runs.rows.iter().enumerate() {
        let scenario = cell(row, cs);
        let Some(choice) = dyad_for(chosen, scenario) else { continue };
        if cell(row, cd) != choice.dyad {
            continue;
        }
        let replicate: u64 = cell(row, cr).parse().map_err(|_| ReportError::Csv {
            path: runs.path.clone(),
            line: 0,
            message: format!("replicate: expected a whole number, got {:?}", cell(row, cr)),
        })?;
        let key = (scenario.to_string(), cell(row, cv).to_string());
        let entry = (replicate, cell(row, cseed).to_string(), index);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(entry),
            None => groups.push((key, vec![entry])),
        }
    }
    let mut exemplars = Vec::new();
    let mut counts = Vec::new();
    for ((scenario, variant), list) in groups {
        let row = |c: &Candidate| runs.rows[c.2].as_slice();
        let reached = list.iter().filter(|c| month_of(row(c), stage).is_some()).count();
        counts.push(VariantCount {
            scenario: scenario.clone(),
            variant: variant.clone(),
            runs: list.len(),
            reached,
        });
        let Some(dyad) = dyad_for(chosen, &scenario) else { continue };
        // The stage followed: the one asked for, else the highest any run reaches.
        let followed = if reached > 0 {
            stage
        } else {
            let top = list.iter().filter_map(|c| cmax.and_then(|m| cell(row(c), m).parse::<u8>().ok())).max();
            match top {
                Some(t) if (1..stage).contains(&t) => t,
                _ => stage,
            }
        };
        let mut reaching: Vec<(u32, &Candidate)> =
            list.iter().filter_map(|c| month_of(row(c), followed).map(|m| (m, c))).collect();
        reaching.sort_by_key(|(m, c)| (*m, c.0));
        if reaching.is_empty() {
            // Nothing reached even the fallback: the runs stall, show the first ones.
            reaching = list.iter().map(|c| (u32::MAX, c)).collect();
        }
        let n = reaching.len();
        let mut picked: Vec<u64> = Vec::new();
        for q in PERCENTILES {
            let rank = (usize::from(q) * n).div_ceil(100).clamp(1, n);
            let (month, (replicate, seed, r)) = reaching[rank - 1];
            if picked.contains(replicate) {
                continue;
            }
            picked.push(*replicate);
            let month = (month != u32::MAX).then_some(month);
            exemplars.push(Exemplar {
                scenario: scenario.clone(),
                variant: variant.clone(),
                percentile: q,
                replicate: *replicate,
                run_seed: seed.clone(),
                month,
                date: if month.is_some() { date_of(&runs.rows[*r], followed) } else { String::new() },
                dyad: dyad.clone(),
                events: Vec::new(),
                stage: followed,
                reasons: Vec::new(),
                ladder_len,
            });
        }
    }
    Ok(ExemplarSet { stage, ladder_len, exemplars, counts, has_events: false, has_reasons: false })
}

/// Reads the exemplar runs' rows from `events.csv` in one pass.
pub fn attach_events(mut set: ExemplarSet, events: &Path) -> Result<ExemplarSet, ReportError> {
    let file = std::fs::File::open(events)
        .map_err(|source| ReportError::Read { path: events.to_path_buf(), source })?;
    let mut reader = csv::ReaderBuilder::new().from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let csv_err = |e: csv::Error| ReportError::Csv {
        path: events.to_path_buf(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    };
    let header: Vec<String> = reader.headers().map_err(csv_err)?.iter().map(String::from).collect();
    let need = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| ReportError::MissingColumn {
            path: events.to_path_buf(),
            column: name.to_string(),
        })
    };
    let cols = [
        need("scenario")?,
        need("variant")?,
        need("replicate")?,
        need("month")?,
        need("date")?,
        need("kind")?,
        need("name")?,
        need("actor")?,
        need("target")?,
        need("stage_from")?,
        need("stage_to")?,
    ];
    // Replicate → exemplars with that replicate: a cheap first filter before
    // comparing scenario and variant bytes.
    let mut by_rep: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, ex) in set.exemplars.iter().enumerate() {
        by_rep.entry(ex.replicate).or_default().push(i);
    }
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(csv_err)? {
        let field = |k: usize| record.get(cols[k]).unwrap_or(b"");
        let Some(rep) = std::str::from_utf8(field(2)).ok().and_then(|s| s.parse::<u64>().ok()) else {
            continue;
        };
        let Some(candidates) = by_rep.get(&rep) else { continue };
        let text = |k: usize| String::from_utf8_lossy(field(k)).into_owned();
        let mut row: Option<EventRow> = None;
        for &i in candidates {
            let ex = &set.exemplars[i];
            if field(0) != ex.scenario.as_bytes() || field(1) != ex.variant.as_bytes() {
                continue;
            }
            let r = row.get_or_insert_with(|| EventRow {
                month: std::str::from_utf8(field(3)).ok().and_then(|s| s.parse().ok()).unwrap_or(0),
                date: text(4),
                kind: text(5),
                name: text(6),
                actor: text(7),
                target: text(8),
                stage_from: text(9),
                stage_to: text(10),
            });
            let r = r.clone();
            set.exemplars[i].events.push(r);
        }
    }
    set.has_events = true;
    Ok(set)
}

/// The `exemplars.csv` header.
pub const CSV_HEADER: [&str; 13] = [
    "scenario",
    "variant",
    "percentile",
    "replicate",
    "run_seed",
    "month",
    "date",
    "kind",
    "name",
    "actor",
    "target",
    "stage_from",
    "stage_to",
];

/// Writes `exemplars.csv`: every happening of every exemplar run.
pub fn write_csv(set: &ExemplarSet, path: &Path) -> Result<(), ReportError> {
    let mut out = CsvFile::create(path, &CSV_HEADER)?;
    for ex in &set.exemplars {
        for e in &ex.events {
            out.text(&ex.scenario)
                .text(&ex.variant)
                .int(ex.percentile)
                .int(ex.replicate)
                .text(&ex.run_seed)
                .int(e.month)
                .text(&e.date)
                .text(&e.kind)
                .text(&e.name)
                .text(&e.actor)
                .text(&e.target)
                .text(&e.stage_from)
                .text(&e.stage_to);
            out.end_row()?;
        }
    }
    out.commit()?;
    Ok(())
}

/// A piece of a timeline line; `strong` marks what moved the followed dyad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Plain text.
    pub text: String,
    /// Whether to emphasise it.
    pub strong: bool,
}

/// One month of a timeline.
#[derive(Debug, Clone)]
pub struct Line {
    /// Month index.
    pub month: u32,
    /// ISO date.
    pub date: String,
    /// What happened, in order.
    pub parts: Vec<Part>,
}

/// Why a stage changed, in words.
fn cause_text(cause: &str, last_event: Option<&str>) -> String {
    match cause {
        "step_up" => {
            "step up: every side whose consent is needed gained from it and trusted the partner enough"
                .to_string()
        }
        "downgrade" => "downgrade: a side valued a lower rung more than the cost of leaving".to_string(),
        "war" => "war: an exchange of attacks, or attacks two months running".to_string(),
        "betrayal" => "betrayal: sustained bad surprise, one rung down".to_string(),
        "low_trust" => "low trust: a side's trust fell below what the rung needs".to_string(),
        "attack" => "attack: an attack broke the relation, back to armed conflict".to_string(),
        "scripted" => match last_event {
            Some(e) => format!("scripted: set by the scheduled event \u{201c}{e}\u{201d}"),
            None => "scripted: set by a scheduled event".to_string(),
        },
        other => other.to_string(),
    }
}

/// The months in which something other than an attack happened, with the
/// followed dyad's stage changes marked; plus total attacks by attacker.
pub fn timeline(ex: &Exemplar) -> (Vec<Line>, Vec<(String, usize)>) {
    let mut lines: Vec<Line> = Vec::new();
    let mut attackers: Vec<(String, usize)> = Vec::new();
    let mut i = 0;
    let events = &ex.events;
    while i < events.len() {
        let month = events[i].month;
        let mut j = i;
        let mut parts = Vec::new();
        let mut attacks: Vec<(String, usize)> = Vec::new();
        let mut last_event: Option<&str> = None;
        while j < events.len() && events[j].month == month {
            let e = &events[j];
            match e.kind.as_str() {
                "attack" => {
                    let who = format!("{} on {}", e.actor, e.target);
                    match attacks.iter_mut().find(|(w, _)| *w == who) {
                        Some((_, n)) => *n += 1,
                        None => attacks.push((who, 1)),
                    }
                    match attackers.iter_mut().find(|(w, _)| *w == e.actor) {
                        Some((_, n)) => *n += 1,
                        None => attackers.push((e.actor.clone(), 1)),
                    }
                }
                "stage_change" => {
                    let ours = (e.actor == ex.dyad.actor_a && e.target == ex.dyad.actor_b)
                        || (e.actor == ex.dyad.actor_b && e.target == ex.dyad.actor_a);
                    let because = match super::why::move_text(&ex.reasons, month, ex_ladder(ex)) {
                        Some(why) if ours && e.name != "scripted" => why,
                        _ => cause_text(&e.name, last_event),
                    };
                    let text = format!(
                        "{}\u{2013}{} stage {} \u{2192} {} ({because})",
                        e.actor, e.target, e.stage_from, e.stage_to
                    );
                    parts.push(Part { text, strong: ours });
                }
                kind => {
                    last_event = Some(&e.name);
                    parts.push(Part { text: format!("{kind} \u{201c}{}\u{201d}", e.name), strong: false });
                }
            }
            j += 1;
        }
        if !parts.is_empty() {
            if !attacks.is_empty() {
                let list: Vec<String> = attacks.iter().map(|(w, n)| format!("{n} by {w}")).collect();
                parts.push(Part { text: format!("attacks: {}", list.join(", ")), strong: false });
            }
            lines.push(Line { month, date: events[i].date.clone(), parts });
        }
        i = j;
    }
    // The spells in which a step was in question but did not come, at their first month.
    for (month, date, part) in super::why::spell_parts(&ex.reasons, ex_ladder(ex)) {
        match lines.iter().position(|l| l.month >= month) {
            Some(k) if lines[k].month == month => {
                // Before the month's attack count, which closes a line.
                let parts = &mut lines[k].parts;
                let at = parts.iter().position(|p| p.text.starts_with("attacks: ")).unwrap_or(parts.len());
                parts.insert(at, part);
            }
            Some(k) => lines.insert(k, Line { month, date, parts: vec![part] }),
            None => lines.push(Line { month, date, parts: vec![part] }),
        }
    }
    (lines, attackers)
}

/// The ladder length the exemplar's rung names are drawn from.
fn ex_ladder(ex: &Exemplar) -> usize {
    ex.ladder_len
}

/// The heading of one exemplar (`stage` is the stage asked for; an
/// exemplar of a variant that never reaches it follows a lower one).
pub fn heading(ex: &Exemplar, stage: u8) -> String {
    let followed = ex.stage;
    let reach = match ex.month {
        Some(m) if followed == stage => format!("reaches stage {stage} in month {m} ({})", ex.date),
        Some(m) => format!(
            "no run reaches stage {stage}; this one reaches stage {followed}, the highest any run reaches, in month \
             {m} ({})",
            ex.date
        ),
        None => format!("never reaches stage {followed} by the horizon"),
    };
    let which = if ex.month.is_some() { " of the runs that reach it" } else { "" };
    format!(
        "{}th percentile{which}: replicate {} (run_seed {}), {reach}",
        ex.percentile, ex.replicate, ex.run_seed
    )
}

/// `exemplars.md`: the timelines as Markdown.
pub fn markdown(set: &ExemplarSet) -> String {
    let mut out = String::new();
    out.push_str("# Exemplar paths\n\n");
    out.push_str(&intro(set));
    out.push_str("\n\n");
    for count in &set.counts {
        let share = if count.runs > 0 { 100.0 * count.reached as f64 / count.runs as f64 } else { 0.0 };
        out.push_str(&format!(
            "## {} / {}\n\n{} runs; {:.1} % reach stage {} by the horizon.\n\n",
            count.scenario, count.variant, count.runs, share, set.stage
        ));
        for ex in set.exemplars.iter().filter(|e| e.scenario == count.scenario && e.variant == count.variant)
        {
            out.push_str(&format!("### {}\n\n", heading(ex, set.stage)));
            if !set.has_events {
                out.push_str(&format!("{NO_EVENTS_HINT}.\n\n"));
                continue;
            }
            let (lines, attackers) = timeline(ex);
            for line in &lines {
                let parts: Vec<String> = line
                    .parts
                    .iter()
                    .map(|p| if p.strong { format!("**{}**", md_text(&p.text)) } else { md_text(&p.text) })
                    .collect();
                out.push_str(&format!("- {} (month {}): {}\n", &line.date, line.month, parts.join("; ")));
            }
            if !attackers.is_empty() {
                let list: Vec<String> = attackers.iter().map(|(a, n)| format!("{a} {n}")).collect();
                out.push_str(&format!(
                    "\nAttacks over the run (months with attacks only are not listed): {}.\n",
                    list.join(", ")
                ));
            }
            out.push('\n');
        }
    }
    out
}

/// The explanation at the top of the Markdown and HTML renderings.
pub fn intro(set: &ExemplarSet) -> String {
    let dyads: Vec<String> = {
        let mut d: Vec<String> =
            set.exemplars.iter().map(|e| format!("{} in {}", e.dyad.dyad, e.scenario)).collect();
        d.dedup();
        d
    };
    format!(
        "Stage followed: {} ({}), dyad {}. For each variant, the runs at the 10th, 50th and 90th percentile \
         of months to first reach it among the runs that reach it (nearest rank; a variant none of whose runs \
         reach it follows the highest stage its runs reach). Each line is a month in which something other \
         than an attack happened; the followed dyad's stage changes are in bold, with the reason the model \
         gives: the condition that bound and the terms that decided it.{}",
        set.stage,
        rung_name(set.stage, set.ladder_len),
        dyads.join(", "),
        if set.has_reasons {
            format!(
                " Spells of {} months or more in which a step was in question but did not come are listed at \
                 their first month, with the terms of their last.",
                super::why::MIN_SPELL_MONTHS
            )
        } else {
            " Rerun with --events to have decisions.csv and the reasons in words.".to_string()
        }
    )
}

/// Escapes the Markdown characters that event names could trigger.
fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*[]<>|#".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One exemplar's timeline as an HTML fragment (used by the page).
pub fn html(ex: &Exemplar, stage: u8, has_events: bool) -> String {
    let mut out = format!("<h4>{}</h4>\n", escape(&heading(ex, stage)));
    if !has_events {
        out.push_str(&format!("<p>{}.</p>\n", escape(NO_EVENTS_HINT)));
        return out;
    }
    let (lines, attackers) = timeline(ex);
    out.push_str("<ul class=\"timeline\">\n");
    for line in &lines {
        let parts: Vec<String> = line
            .parts
            .iter()
            .map(|p| if p.strong { format!("<strong>{}</strong>", escape(&p.text)) } else { escape(&p.text) })
            .collect();
        out.push_str(&format!(
            "<li><span class=\"when\">{} (month {})</span> {}</li>\n",
            escape(&line.date),
            line.month,
            parts.join("; ")
        ));
    }
    out.push_str("</ul>\n");
    if !attackers.is_empty() {
        let list: Vec<String> = attackers.iter().map(|(a, n)| format!("{} {n}", escape(a))).collect();
        out.push_str(&format!("<p class=\"note\">Attacks over the run: {}.</p>\n", list.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs_table(months: &[Option<u32>]) -> Table {
        let mut rows = Vec::new();
        for (i, m) in months.iter().enumerate() {
            let m = m.map(|m| m.to_string()).unwrap_or_default();
            rows.push(
                ["s", "v", &i.to_string(), "99", "a-b", "a", "b", &m, ""]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            );
        }
        Table {
            path: "runs.csv".into(),
            name: "runs".into(),
            header: [
                "scenario",
                "variant",
                "replicate",
                "run_seed",
                "dyad",
                "actor_a",
                "actor_b",
                "stage_5_month",
                "stage_5_date",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            total_rows: rows.len() as u64,
            rows,
        }
    }

    #[test]
    fn nearest_rank_among_the_runs_that_reach_the_stage() {
        // Ten runs: months 0..7 for replicates 0..7, never for 8 and 9.
        let mut months: Vec<Option<u32>> = (0..8).map(Some).collect();
        months.extend([None, None]);
        let runs = runs_table(&months);
        let chosen = pick_dyads(&runs, None).unwrap();
        let set = select(&runs, &chosen, 5).unwrap();
        let picked: Vec<(u8, u64)> = set.exemplars.iter().map(|e| (e.percentile, e.replicate)).collect();
        // Among the 8 runs that reach it: ranks ⌈0.8⌉ = 1, ⌈4⌉ = 4, ⌈7.2⌉ = 8 → replicates 0, 3, 7.
        assert_eq!(picked, vec![(10, 0), (50, 3), (90, 7)]);
        assert_eq!(set.counts[0].reached, 8);
        // One run in a hundred reaches it: it is the one exemplar, shown once.
        let mut rare: Vec<Option<u32>> = vec![None; 100];
        rare[42] = Some(30);
        let set = select(&runs_table(&rare), &chosen, 5).unwrap();
        let picked: Vec<u64> = set.exemplars.iter().map(|e| e.replicate).collect();
        assert_eq!(picked, vec![42], "exemplars are runs that reach the stage");
    }

    #[test]
    fn unknown_dyad_is_an_error() {
        let runs = runs_table(&[Some(1)]);
        assert!(matches!(pick_dyads(&runs, Some("x-y")), Err(ReportError::UnknownDyad { .. })));
    }

    #[test]
    fn scripted_change_names_its_event() {
        let runs = runs_table(&[Some(1)]);
        let chosen = pick_dyads(&runs, None).unwrap();
        let mut set = select(&runs, &chosen, 5).unwrap();
        let ev = |kind: &str, name: &str, from: &str, to: &str| EventRow {
            month: 3,
            date: "2000-04-01".into(),
            kind: kind.into(),
            name: name.into(),
            actor: if kind == "event" { String::new() } else { "a".into() },
            target: if kind == "event" { String::new() } else { "b".into() },
            stage_from: from.into(),
            stage_to: to.into(),
        };
        set.exemplars[0].events =
            vec![ev("event", "Talks <1>", "", ""), ev("stage_change", "scripted", "2", "3")];
        set.has_events = true;
        let md = markdown(&set);
        assert!(md.contains("**a\u{2013}b stage 2 \u{2192} 3 (scripted: set by the scheduled event"), "{md}");
        assert!(html(&set.exemplars[0], 5, true).contains("Talks &lt;1&gt;"));
    }
}
