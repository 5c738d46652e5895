//! The reasons in the exemplar timelines: the rows of `decisions.csv` for
//! the exemplar runs, turned into sentences that cite the deciding terms
//! ("diplomatic recognition refused by us: values cost 0.44 outweighed
//! goods 0.08").
//!
//! Each row of `decisions.csv` is a spell: consecutive months in which the
//! same condition bound, with the terms of its last month. A move is a
//! spell of one month and explains the stage change of that month; spells
//! without a move of at least [`MIN_SPELL_MONTHS`] months get a line of
//! their own at their first month.

use std::collections::HashMap;
use std::path::Path;

use super::exemplars::{ExemplarSet, Part};
use super::{rung_name, ReportError};
use crate::model::ladder::GOODS;

/// Shortest spell without a move that the timeline shows.
pub const MIN_SPELL_MONTHS: u32 = 6;

/// One side's terms as `decisions.csv` logs them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Terms {
    /// Actor id.
    pub actor: String,
    /// Whether its consent is needed.
    pub consents: bool,
    /// Its gain: goods + values + distrust + consent bias (or − exit cost going down).
    pub gain: f64,
    /// Per good.
    pub goods: [f64; 5],
    /// Minus the values cost.
    pub values: f64,
    /// Minus the exposure to defection.
    pub distrust: f64,
    /// The war cost left behind by a step up from armed conflict.
    pub war: f64,
    /// Trust in the partner.
    pub trust: f64,
    /// The trust the target rung needs.
    pub threshold: f64,
}

/// One spell of one exemplar run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reason {
    /// First month.
    pub month: u32,
    /// Its date.
    pub date: String,
    /// Last month.
    pub last_month: u32,
    /// Its date.
    pub last_date: String,
    /// Months.
    pub months: u32,
    /// Rung before.
    pub stage: u8,
    /// Rung moved to or in question.
    pub target: u8,
    /// Condition code (`refused`, `step_up`, ...).
    pub condition: String,
    /// Actor id of the deciding side (empty for war).
    pub side: String,
    /// Hazard of the last month.
    pub hazard: f64,
    /// Draw of the last month.
    pub draw: f64,
    /// Side a, then side b (the dyad's order).
    pub sides: [Terms; 2],
}

impl Reason {
    /// Whether it is a move.
    pub fn moved(&self) -> bool {
        matches!(self.condition.as_str(), "step_up" | "downgrade" | "betrayal" | "low_trust" | "war")
    }
}

/// Reads the exemplar runs' rows of `decisions.csv` (for each exemplar's
/// followed dyad) in one pass.
pub fn attach_decisions(mut set: ExemplarSet, path: &Path) -> Result<ExemplarSet, ReportError> {
    let file =
        std::fs::File::open(path).map_err(|source| ReportError::Read { path: path.to_path_buf(), source })?;
    let mut reader = csv::ReaderBuilder::new().from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let csv_err = |e: csv::Error| ReportError::Csv {
        path: path.to_path_buf(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    };
    let header: Vec<String> = reader.headers().map_err(csv_err)?.iter().map(String::from).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ReportError::MissingColumn { path: path.to_path_buf(), column: name.to_string() })
    };
    let key = [col("scenario")?, col("variant")?, col("replicate")?, col("dyad")?];
    let named = |name: &str| col(name);
    let mut by_rep: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, ex) in set.exemplars.iter().enumerate() {
        by_rep.entry(ex.replicate.to_string()).or_default().push(i);
    }
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(csv_err)? {
        let field = |i: usize| record.get(i).unwrap_or("");
        let Some(candidates) = by_rep.get(field(key[2])) else { continue };
        for &i in candidates {
            let ex = &set.exemplars[i];
            if field(key[0]) != ex.scenario || field(key[1]) != ex.variant || field(key[3]) != ex.dyad.dyad {
                continue;
            }
            let num = |name: &str| -> Result<f64, ReportError> {
                Ok(field(named(name)?).parse::<f64>().unwrap_or(0.0))
            };
            let int =
                |name: &str| -> Result<u32, ReportError> { Ok(field(named(name)?).parse().unwrap_or(0)) };
            let side = |x: &str, actor: &str| -> Result<Terms, ReportError> {
                let mut goods = [0.0; 5];
                for (g, name) in goods.iter_mut().zip(GOODS) {
                    *g = num(&format!("{x}_goods_{name}"))?;
                }
                Ok(Terms {
                    actor: actor.to_string(),
                    consents: field(named(&format!("{x}_consents"))?) == "1",
                    gain: num(&format!("{x}_gain"))?,
                    goods,
                    values: num(&format!("{x}_values"))?,
                    distrust: num(&format!("{x}_distrust"))?,
                    war: num(&format!("{x}_war"))?,
                    trust: num(&format!("{x}_trust"))?,
                    threshold: num(&format!("{x}_threshold"))?,
                })
            };
            let reason = Reason {
                month: int("month")?,
                date: field(named("date")?).to_string(),
                last_month: int("last_month")?,
                last_date: field(named("last_date")?).to_string(),
                months: int("months")?,
                stage: int("stage")? as u8,
                target: int("target")? as u8,
                condition: field(named("condition")?).to_string(),
                side: field(named("side")?).to_string(),
                hazard: num("hazard")?,
                draw: num("draw")?,
                sides: [side("a", &ex.dyad.actor_a)?, side("b", &ex.dyad.actor_b)?],
            };
            set.exemplars[i].reasons.push(reason);
        }
    }
    set.has_reasons = true;
    Ok(set)
}

fn good_name(i: usize) -> String {
    GOODS.get(i).map_or("goods".to_string(), |g| g.replace('_', " "))
}

/// The deciding term of a side in words: against a step the largest cost,
/// for a step the largest good.
fn main_term(t: &Terms, against: bool) -> String {
    let mut parts: Vec<(String, f64)> = (0..5).map(|i| (good_name(i), t.goods[i])).collect();
    parts.push(("values cost".to_string(), t.values));
    parts.push(("exposure to defection".to_string(), t.distrust));
    let pick = parts.iter().fold(None::<&(String, f64)>, |best, p| match best {
        Some(b) if (against && p.1 >= b.1) || (!against && p.1 <= b.1) => Some(b),
        _ => Some(p),
    });
    match pick {
        Some((name, x)) => format!("{name} {:.2}", x.abs()),
        None => String::new(),
    }
}

fn goods(t: &Terms) -> f64 {
    t.goods.iter().sum()
}

/// The reason in words.
pub fn sentence(r: &Reason, ladder_len: usize) -> String {
    let rung = |s: u8| rung_name(s, ladder_len);
    let k = usize::from(r.sides[1].actor == r.side && !r.side.is_empty());
    let (t, o) = (&r.sides[k], &r.sides[1 - k]);
    let target = rung(r.target);
    match r.condition.as_str() {
        "refused" => format!(
            "{target} refused by {}: {} outweighed goods {:.2} (its gain {:.2}; {} would gain {:.2})",
            t.actor,
            main_term(t, true),
            goods(t),
            t.gain,
            o.actor,
            o.gain
        ),
        "unwanted" => format!(
            "no step wanted: neither side gains from {target}; {} {:.2} ({} against goods {:.2}), {} {:.2}",
            t.actor,
            t.gain,
            main_term(t, true),
            goods(t),
            o.actor,
            o.gain
        ),
        "distrusted" => format!(
            "{target} blocked by {}'s distrust: trust {:.2} below the {:.2} it needs (it would gain {:.2})",
            t.actor, t.trust, t.threshold, t.gain
        ),
        "deliberating" => format!(
            "{target} acceptable to both, still being ratified or within the minimum stay (smaller gain: {} {:.2})",
            t.actor, t.gain
        ),
        "not_yet" => format!(
            "{target} acceptable and ready, not concluded: a monthly chance of {:.1} % set by {}'s gain {:.2} (mostly {})",
            100.0 * r.hazard,
            t.actor,
            t.gain,
            main_term(t, false)
        ),
        "step_up" => format!(
            "step up to {target}: both gained, {} least ({:.2}, mostly {}); a monthly chance of {:.1} % came up",
            t.actor,
            t.gain,
            main_term(t, false),
            100.0 * r.hazard
        ),
        "downgrade" => format!(
            "{} left for {target}: it gains {:.2} by it, mostly {}",
            t.actor,
            t.gain,
            main_term(t, false)
        ),
        "low_trust" => format!(
            "{}'s trust {:.2} fell too low to hold {}: down to {target}",
            t.actor,
            t.trust,
            rung(r.stage)
        ),
        "betrayal" => format!("{} saw sustained breaches by {}: one rung down to {target}", t.actor, o.actor),
        "war" => "war: an exchange of attacks, or attacks two months running".to_string(),
        other => other.to_string(),
    }
}

/// The sentence for the move of `month`, if the exemplar has one.
pub fn move_text(reasons: &[Reason], month: u32, ladder_len: usize) -> Option<String> {
    reasons.iter().find(|r| r.moved() && r.month == month).map(|r| sentence(r, ladder_len))
}

/// The spells without a move long enough to show, as (month, date, part).
pub fn spell_parts(reasons: &[Reason], ladder_len: usize) -> Vec<(u32, String, Part)> {
    reasons
        .iter()
        .filter(|r| !r.moved() && r.months >= MIN_SPELL_MONTHS)
        .map(|r| {
            let text = format!(
                "until {} ({} months): {} (terms of {})",
                &r.last_date[..r.last_date.len().min(7)],
                r.months,
                sentence(r, ladder_len),
                &r.last_date[..r.last_date.len().min(7)]
            );
            (r.month, r.date.clone(), Part { text, strong: false })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(condition: &str) -> Reason {
        let us = Terms {
            actor: "us".into(),
            consents: true,
            gain: -0.36,
            goods: [0.05, 0.03, 0.0, 0.0, 0.0],
            values: -0.44,
            distrust: -0.02,
            war: 0.0,
            trust: 0.2,
            threshold: 0.35,
        };
        let taliban = Terms { actor: "taliban".into(), gain: 0.12, ..us.clone() };
        Reason {
            month: 3,
            date: "2021-12-01".into(),
            last_month: 90,
            last_date: "2029-03-01".into(),
            months: 88,
            stage: 2,
            target: 5,
            condition: condition.into(),
            side: "us".into(),
            hazard: 0.012,
            sides: [us, taliban],
            ..Reason::default()
        }
    }

    #[test]
    fn sentences_cite_the_deciding_terms() {
        let s = sentence(&reason("refused"), 8);
        assert_eq!(
            s,
            "diplomatic recognition refused by us: values cost 0.44 outweighed goods 0.08 (its gain -0.36; \
             taliban would gain 0.12)"
        );
        assert!(sentence(&reason("not_yet"), 8).contains("1.2 %"));
        let parts = spell_parts(&[reason("refused")], 8);
        assert_eq!(parts.len(), 1);
        assert!(parts[0].2.text.starts_with("until 2029-03 (88 months): diplomatic recognition refused"));
    }
}
