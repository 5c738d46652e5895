//! The reasons behind the paths, as CSV: `why.csv` (per scenario, variant
//! and tracked dyad, how often each condition bound and which terms
//! decided) and `decisions.csv` (with `--events`: every run's spells of
//! one condition, with the terms of the spell's last month). The fold is
//! [`crate::batch::why`]; the columns are documented in `docs/OUTPUTS.md`.

use super::batch::JobInfo;
use super::{CsvFile, OutputError};
use crate::batch::aggregate::JobSummary;
use crate::batch::why::{CellSums, Spell, TERMS, TERM_NAMES};
use crate::batch::RunResult;
use crate::engine::ladder::SideTerms;
use crate::model::ladder::GOODS;
use crate::model::Tracked;

/// The header of `why.csv`.
pub fn why_header() -> Vec<String> {
    let mut h: Vec<String> = [
        "scenario",
        "variant",
        "dyad",
        "stage",
        "target",
        "condition",
        "side",
        "months",
        "runs",
        "share_of_runs",
        "share_at_stage",
        "gain_mean",
        "goods_mean",
    ]
    .map(String::from)
    .to_vec();
    h.extend(GOODS.iter().map(|g| format!("goods_{g}_mean")));
    h.extend(
        [
            "values_mean",
            "distrust_mean",
            "war_mean",
            "trust_mean",
            "threshold_mean",
            "hazard_mean",
            "deciding_term",
            "deciding_term_share",
        ]
        .map(String::from),
    );
    h
}

/// The actor id of side `side` (0 = a, 1 = b) of a tracked dyad.
fn side_id<'a>(job: &'a JobInfo<'_>, tr: &Tracked, side: u8) -> &'a str {
    let actor = if side == 0 { tr.a } else { tr.b };
    &job.setup.world.actors[actor].id
}

/// Writes the `why.csv` rows of one finished job.
pub fn write_why(f: &mut CsvFile, job: &JobInfo<'_>, summary: &JobSummary) -> Result<(), OutputError> {
    let setup = job.setup;
    for (key, c) in &summary.why.cells {
        let Some(tr) = setup.tracked.get(key.dyad as usize) else { continue };
        let runs = summary.dyads.get(key.dyad as usize).map_or(0, |d| d.runs);
        let at_stage = summary.why.months_at(key.dyad, key.stage);
        f.text(job.scenario).text(job.variant).text(&tr.label).int(key.stage).int(key.target);
        f.text(key.condition.as_str());
        match key.side {
            Some(s) => f.text(side_id(job, tr, s)),
            None => f.empty(),
        };
        f.int(c.months).int(c.runs);
        f.num(c.runs as f64 / runs.max(1) as f64).num(c.months as f64 / at_stage.max(1) as f64);
        write_means(f, c, key.side.is_some());
        f.end_row()?;
    }
    Ok(())
}

/// The term means, the hazard and the deciding term of one cell.
fn write_means(f: &mut CsvFile, c: &CellSums, sided: bool) {
    let n = c.months;
    if sided {
        let goods: f64 = c.goods.iter().map(|g| g.mean(n)).sum();
        f.num(c.gain.mean(n)).num(goods);
        for g in &c.goods {
            f.num(g.mean(n));
        }
        f.num(c.values.mean(n)).num(c.distrust.mean(n)).num(c.war.mean(n));
        f.num(c.trust.mean(n)).num(c.threshold.mean(n));
    } else {
        for _ in 0..GOODS.len() + 7 {
            f.empty();
        }
    }
    f.num(c.hazard.mean(n));
    // The term that decided most often (the first on a tie).
    let best = (0..TERMS).fold(None, |b: Option<usize>, i| match b {
        Some(j) if c.decided[j] >= c.decided[i] => Some(j),
        _ if c.decided[i] > 0 => Some(i),
        _ => b,
    });
    match best {
        Some(i) => f.text(TERM_NAMES[i]).num(c.decided[i] as f64 / n.max(1) as f64),
        None => f.empty().empty(),
    };
}

/// The header of `decisions.csv`.
pub fn decisions_header() -> Vec<String> {
    let mut h: Vec<String> = [
        "scenario",
        "variant",
        "replicate",
        "run_seed",
        "dyad",
        "month",
        "date",
        "last_month",
        "last_date",
        "months",
        "stage",
        "target",
        "condition",
        "side",
        "hazard",
        "draw",
    ]
    .map(String::from)
    .to_vec();
    for x in ["a", "b"] {
        h.push(format!("{x}_consents"));
        h.push(format!("{x}_gain"));
        h.extend(GOODS.iter().map(|g| format!("{x}_goods_{g}")));
        for t in ["values", "distrust", "war", "trust", "threshold"] {
            h.push(format!("{x}_{t}"));
        }
    }
    h
}

fn write_side(f: &mut CsvFile, t: &SideTerms) {
    f.int(u8::from(t.consents)).num(t.gain);
    for g in &t.goods {
        f.num(*g);
    }
    f.num(t.values).num(t.distrust).num(t.war).num(t.trust).num(t.threshold);
}

/// Writes the `decisions.csv` rows of one run: its spells.
pub fn write_decisions(
    f: &mut CsvFile,
    job: &JobInfo<'_>,
    run: &RunResult,
    dates: &[String],
) -> Result<(), OutputError> {
    let Some(why) = &run.why else { return Ok(()) };
    for Spell { key, first, months, last } in &why.spells {
        let Some(tr) = job.setup.tracked.get(key.dyad as usize) else { continue };
        let end = first + months - 1;
        f.text(job.scenario).text(job.variant).int(run.replicate).int(run.seed).text(&tr.label);
        f.int(*first).text(&dates[*first as usize]).int(end).text(&dates[end as usize]).int(*months);
        f.int(key.stage).int(key.target).text(key.condition.as_str());
        match key.side {
            Some(s) => f.text(side_id(job, tr, s)),
            None => f.empty(),
        };
        f.num(last.hazard).num(last.draw);
        if key.condition == crate::batch::why::Condition::War {
            for _ in 0..2 * (GOODS.len() + 7) {
                f.empty();
            }
        } else {
            write_side(f, &last.sides[0]);
            write_side(f, &last.sides[1]);
        }
        f.end_row()?;
    }
    Ok(())
}
