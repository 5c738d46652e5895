//! Submodel "ladder": what each side decides about the level of a relation.
//!
//! Each side values every rung: the goods of all rungs up to it, weighted by
//! the reciprocation it expects, net of their values costs at home and of
//! its exposure if the partner defects (larger the less it trusts it);
//! armed conflict costs a war cost. Cooperation takes two, conflict one:
//!
//! - **Up by consent.** A higher rung is acceptable when every side whose
//!   consent is needed gains from it and trusts the partner at least the
//!   rung's threshold. Each acceptable rung has a monthly hazard that rises
//!   with the smaller of the sides' gains and falls geometrically with the
//!   rungs it leaps (each one more issue to settle in the same deal); the
//!   pair takes the highest rung whose hazard beats this month's draw, so
//!   one decision can leap several rungs when the gains are large.
//! - **Down by decision.** Either side may leave for the lower rung it values
//!   most, when that gains it more than the exit cost; a hazard pi_down sets
//!   the timing. A side also downgrades by one rung on a sustained breach of
//!   the rung's norm, and to the highest rung its trust still supports when
//!   trust falls below the threshold minus a margin.
//! - **War.** An exchange of attacks in one month, or attacks in two months
//!   running, send the pair to rung 0; a single one-sided strike is a shock
//!   that leaves the rung where it is.

use rand::Rng;

use super::choice::{benefits, effective_trust, reciprocation, values_cost};
use super::{Cause, Happening, Recorder, Scratch, ATTACK};
use crate::model::ladder::N_GOODS;
use crate::model::{PairMode, World, MAX_RUNGS};

/// What one side weighs: its goal-weighted benefits of engaging the partner,
/// the reciprocation it expects, its values cost and its war cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Side {
    /// The deciding actor.
    pub actor: usize,
    /// The partner.
    pub partner: usize,
    /// Goal-weighted benefits per good (shared threat, shared issue, economy, legitimacy, balance).
    pub benefits: [f64; N_GOODS],
    /// Expected reciprocation r = omega + (1 - omega) T_eff.
    pub reciprocation: f64,
    /// Values cost K of engagement at home.
    pub values_cost: f64,
    /// Trust in the partner, raised to a mediator's guarantee.
    pub trust: f64,
    /// Cost of armed conflict with the partner.
    pub war_cost: f64,
}

impl Side {
    /// What `actor` weighs about engaging `partner` this month.
    pub fn of(world: &World, s: &Scratch, actor: usize, partner: usize) -> Side {
        let (ci, cj) = (world.capability[actor], world.capability[partner]);
        let share = if ci + cj > 0.0 { 2.0 * cj / (ci + cj) } else { 1.0 };
        Side {
            actor,
            partner,
            benefits: benefits(world, s, actor, partner),
            reciprocation: reciprocation(world, actor, partner),
            values_cost: values_cost(world, s, actor, partner),
            trust: effective_trust(world, actor, partner),
            war_cost: world.params.war_cost * share,
        }
    }

    /// The side's cost per unit of a rung's values-cost multiplier: its
    /// values cost plus its exposure to defection, `exposure x (1 - T*)`.
    pub fn cost(&self, world: &World) -> f64 {
        self.values_cost + world.params.exposure * (1.0 - self.trust)
    }

    /// The side's value of each rung: V(0) = -war cost; V(s) for s >= 1 sums,
    /// over the rungs 1..=s, r x (goods . benefits) - (values cost + exposure
    /// x (1 - trust)) x phi.
    pub fn values(&self, world: &World) -> [f64; MAX_RUNGS] {
        let mut v = [0.0; MAX_RUNGS];
        v[0] = -self.war_cost;
        let cost = self.cost(world);
        let mut total = 0.0;
        for (s, rung) in world.ladder.rungs.iter().enumerate().skip(1) {
            let goods: f64 = rung.goods.iter().zip(&self.benefits).map(|(w, b)| w * b).sum();
            total += self.reciprocation * goods - cost * rung.values_cost;
            v[s] = total;
        }
        v
    }
}

/// A move of one pair in one month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    /// New rung.
    pub to: u8,
    /// Why.
    pub cause: Cause,
}

/// One side's terms for moving from the current rung to another: the goods
/// it would gain or lose (weighted by the reciprocation it expects), the
/// values cost it would pay or save, and their sum with the consent bias
/// (for a step up) or less the exit cost (for a downgrade).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SideTerms {
    /// The actor.
    pub actor: usize,
    /// Whether its consent is needed for a step up.
    pub consents: bool,
    /// Per good, r x sum over the rungs crossed of goods x benefits (negative going down).
    pub goods: [f64; N_GOODS],
    /// Minus the values cost of the rungs crossed (positive going down).
    pub values: f64,
    /// Minus the exposure to defection of the rungs crossed, exposure x (1 - trust) x phi (positive going down).
    pub distrust: f64,
    /// The war cost a step up from armed conflict (rung 0) leaves behind; 0 otherwise.
    pub war: f64,
    /// The net: goods + values + distrust + war + consent bias (up) or - exit cost (down).
    pub gain: f64,
    /// Its trust in the partner, raised to a mediator's guarantee.
    pub trust: f64,
    /// The trust the target rung needs (its threshold; less the hysteresis going down).
    pub threshold: f64,
}

/// How a month's decision about a pair came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The pair moved.
    Moved(Cause),
    /// A step up was refused by side 0 or 1: its gain was not positive.
    Refused(usize),
    /// A step up was blocked by side 0 or 1's trust, below the rung's threshold.
    Distrusted(usize),
    /// Acceptable, but the deliberation months or the rung's minimum stay are not over.
    Deliberating,
    /// Acceptable and ready, but this month's draw did not beat the hazard.
    NotYet,
    /// No consenting side gained from any higher rung: every one refused.
    Unwanted,
}

/// The record of one decision about a tracked pair: every month it moves,
/// and every month a step up was in question (some side's consent is needed
/// and a higher rung exists) but did not come. The terms add up to the
/// decision the engine took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Month index.
    pub month: u32,
    /// Pair index.
    pub pair: usize,
    /// Rung before the decision.
    pub stage: u8,
    /// Rung moved to, or the rung a step up was closest to reaching.
    pub target: u8,
    /// What came of it.
    pub verdict: Verdict,
    /// The side (0 or 1, in pair order) whose condition bound: the side that
    /// refused or distrusted; for a step up, a month not yet drawn or still
    /// deliberating, and when nobody wanted a step, the consenting side with
    /// the smaller gain; the side that felt betrayed, lost trust or chose to
    /// leave. None for war.
    pub side: Option<usize>,
    /// The two sides' terms, in pair order (a, b).
    pub sides: [SideTerms; 2],
    /// The monthly hazard the draw was compared with: of the rung taken, of
    /// the rung not yet drawn, of a downgrade; 0 when no draw decided.
    pub hazard: f64,
    /// This month's uniform draw for the pair.
    pub draw: f64,
}

/// Moves the stages of all simulated pairs for month `t`.
pub fn move_stages(world: &mut World, t: u32, rng: &mut impl Rng, s: &mut Scratch, rec: &mut Recorder) {
    for p in 0..world.pairs.len() {
        let (a, b) = (world.pairs[p].a, world.pairs[p].b);
        if world.pairs[p].mode != PairMode::Simulated || world.is_group(a) || world.is_group(b) {
            continue;
        }
        // One draw per pair and month whatever happens, for stream stability.
        let draw: f64 = rng.random();
        if !world.present[a] || !world.present[b] {
            continue;
        }
        let from = world.pairs[p].stage;
        let decision = decide(world, s, p, draw);
        if let Some(d) = decision.filter(|_| rec.decisions.is_some() && s.tracked_pair.get(p) == Some(&true))
        {
            rec.decide(Decision { month: t, ..d });
        }
        let Some(Decision { target, verdict: Verdict::Moved(cause), .. }) = decision else {
            world.pairs[p].months_at_stage += 1.0;
            continue;
        };
        let delta = match cause {
            Cause::StepUp => 1.0,
            Cause::War | Cause::Betrayal => -1.0,
            _ => 0.0,
        };
        s.signal[a] += delta;
        s.signal[b] += delta;
        let pair = &mut world.pairs[p];
        pair.stage = target;
        pair.months_at_stage = 0.0;
        pair.months_above = 0.0;
        pair.months_distrusted = 0.0;
        rec.note(t, Happening::Stage(p, from, target, cause));
    }
}

/// Decides about pair `p` this month: a move, or the record of a step up
/// that was possible but did not come; None when nothing was in play.
/// Updates the pair's fighting flag and its months-above counter.
pub fn decide(world: &mut World, s: &Scratch, p: usize, draw: f64) -> Option<Decision> {
    let n = world.n();
    let pair = &world.pairs[p];
    let (a, b, stage) = (pair.a, pair.b, pair.stage);
    let strikes =
        [world.views[a * n + b].action_index == ATTACK, world.views[b * n + a].action_index == ATTACK];
    let fought = strikes[0] || strikes[1];
    let war = (strikes[0] && strikes[1]) || (fought && pair.fought_last_month);
    world.pairs[p].fought_last_month = fought;
    let base = Decision {
        month: 0,
        pair: p,
        stage,
        target: 0,
        verdict: Verdict::Moved(Cause::War),
        side: None,
        sides: [SideTerms::default(); 2],
        hazard: 0.0,
        draw,
    };
    if war {
        return (stage > 0).then_some(base);
    }
    if fought {
        // A one-sided strike is a shock: it leaves traces but no decision this month.
        return None;
    }
    let sides = [Side::of(world, s, a, b), Side::of(world, s, b, a)];
    let values = [sides[0].values(world), sides[1].values(world)];
    let needed = world.ladder.rungs[stage as usize].threshold - world.params.hysteresis;
    let pair = &mut world.pairs[p];
    pair.months_distrusted =
        if sides.iter().any(|side| side.trust < needed) { pair.months_distrusted + 1.0 } else { 0.0 };
    if let Some(d) = fall(world, p, &sides, &values, draw) {
        return Some(d);
    }
    rise(world, p, &sides, &values, draw)
}

/// Both sides' terms for moving pair `p` from its rung to `target`.
fn terms(world: &World, p: usize, sides: &[Side; 2], target: usize) -> [SideTerms; 2] {
    let pair = &world.pairs[p];
    let n = world.n();
    let stage = pair.stage as usize;
    let (lo, hi, sign) = if target > stage { (stage + 1, target, 1.0) } else { (target + 1, stage, -1.0) };
    let params = &world.params;
    let rung = &world.ladder.rungs[target];
    sides.map(|side| {
        let mut goods = [0.0; N_GOODS];
        let mut phi = 0.0;
        for r in &world.ladder.rungs[lo..=hi] {
            for (g, (w, b)) in goods.iter_mut().zip(r.goods.iter().zip(&side.benefits)) {
                *g += sign * side.reciprocation * w * b;
            }
            phi += sign * r.values_cost;
        }
        let (cost, distrust) = (side.values_cost * phi, (side.cost(world) - side.values_cost) * phi);
        // Leaving rung 0 also ends the war: V(0) is minus the war cost.
        let war = if stage == 0 { side.war_cost } else { 0.0 };
        let net = goods.iter().sum::<f64>() - cost - distrust + war;
        let (gain, threshold) = if sign > 0.0 {
            (net + params.consent_bias, rung.threshold)
        } else {
            (net - params.exit_cost, rung.threshold - params.hysteresis)
        };
        SideTerms {
            actor: side.actor,
            consents: world.views[side.actor * n + side.partner].consent,
            goods,
            values: -cost,
            distrust: -distrust,
            war,
            gain,
            trust: side.trust,
            threshold,
        }
    })
}

/// A downgrade, if a side wants one and may make it this month.
fn fall(
    world: &World,
    p: usize,
    sides: &[Side; 2],
    values: &[[f64; MAX_RUNGS]; 2],
    draw: f64,
) -> Option<Decision> {
    let n = world.n();
    let pair = &world.pairs[p];
    let stage = pair.stage as usize;
    let params = &world.params;
    let rungs = &world.ladder.rungs;
    // No decision takes a pair below rung 1: only fighting does.
    if stage <= 1 || pair.months_at_stage < params.drop_cooldown {
        return None;
    }
    let moved = |to: usize, cause: Cause, side: usize, hazard: f64| Decision {
        month: 0,
        pair: p,
        stage: stage as u8,
        target: to as u8,
        verdict: Verdict::Moved(cause),
        side: Some(side),
        sides: terms(world, p, sides, to),
        hazard,
        draw,
    };
    for (k, side) in sides.iter().enumerate() {
        if world.views[side.actor * n + side.partner].bad_surprise > params.betrayal_threshold {
            return Some(moved(stage - 1, Cause::Betrayal, k, 0.0));
        }
    }
    for (k, side) in sides.iter().enumerate() {
        if side.trust < rungs[stage].threshold - params.hysteresis
            && pair.months_distrusted >= params.low_trust_months
        {
            let to =
                (1..stage).rev().find(|&r| side.trust >= rungs[r].threshold - params.hysteresis).unwrap_or(1);
            return Some(moved(to, Cause::LowTrust, k, 0.0));
        }
    }
    // The side that gains most from leaving decides; its best lower rung is the target.
    let mut best: Option<(f64, usize, usize)> = None;
    for (k, v) in values.iter().enumerate() {
        let (to, value) =
            (1..stage).map(|r| (r, v[r])).fold((1, f64::NEG_INFINITY), |m, x| if x.1 > m.1 { x } else { m });
        let margin = value - v[stage] - params.exit_cost;
        if margin > 0.0 && best.is_none_or(|(m, _, _)| margin > m) {
            best = Some((margin, to, k));
        }
    }
    let (margin, to, k) = best?;
    let hazard = params.fall_rate * rising(params.gate_sharpness * margin);
    (draw < hazard).then(|| moved(to, Cause::Downgrade, k, hazard))
}

/// A step up, if a higher rung is acceptable to every side whose consent is
/// needed. Each acceptable rung s' has a monthly hazard
/// pi_up (1 - e^(-lambda_g g_min(s'))) rho^(s' - S - 1), g_min the smaller gain
/// of the consenting sides; the pair takes the highest rung whose hazard
/// exceeds this month's draw: the biggest deal that gets done this month.
/// Without a move, the record names the rung a step was closest to: the
/// one with the largest smaller gain among those some consenting side
/// wants, or, when none is wanted, among all higher rungs.
fn rise(
    world: &mut World,
    p: usize,
    sides: &[Side; 2],
    values: &[[f64; MAX_RUNGS]; 2],
    draw: f64,
) -> Option<Decision> {
    let n = world.n();
    let pair = &world.pairs[p];
    let stage = pair.stage as usize;
    let params = &world.params;
    let rungs = &world.ladder.rungs;
    let consents: [bool; 2] =
        [world.views[pair.a * n + pair.b].consent, world.views[pair.b * n + pair.a].consent];
    let mut acceptable = false;
    let mut taken: Option<(usize, f64, usize)> = None;
    let mut closest: Option<Closest> = None;
    let mut least_refused: Option<Closest> = None;
    if consents.iter().any(|&c| c) && stage + 1 < rungs.len() {
        let mut discount = 1.0;
        for (target, rung) in rungs.iter().enumerate().skip(stage + 1) {
            let mut smallest = f64::INFINITY;
            let mut weakest = 0;
            let mut wanted = false;
            let mut block: Option<(usize, bool)> = None;
            for k in 0..2 {
                if consents[k] {
                    let gain = values[k][target] - values[k][stage] + params.consent_bias;
                    wanted |= gain > 0.0;
                    if gain <= 0.0 {
                        block = block.or(Some((k, false)));
                    } else if sides[k].trust < rung.threshold {
                        block = block.or(Some((k, true)));
                    }
                    if gain < smallest {
                        (smallest, weakest) = (gain, k);
                    }
                }
            }
            let hazard = params.step_rate * rising(params.gate_sharpness * smallest.max(0.0)) * discount;
            // The months some rung has been acceptable must cover this rung's ratification.
            let ratified = pair.months_above + 1.0 >= params.months_above * rung.values_cost;
            if block.is_none() {
                acceptable = true;
                if ratified && draw < hazard {
                    taken = Some((target, hazard, weakest));
                }
            }
            let here = Closest { gain: smallest, target, block, ratified, weakest, hazard };
            if wanted && closest.as_ref().is_none_or(|c| smallest > c.gain) {
                closest = Some(here);
            } else if !wanted && least_refused.as_ref().is_none_or(|c| smallest > c.gain) {
                least_refused = Some(here);
            }
            discount *= params.leap_discount;
        }
    }
    let ready = acceptable && pair.months_at_stage >= rungs[stage].min_stay_months;
    let pair = &mut world.pairs[p];
    pair.months_above = if acceptable { pair.months_above + 1.0 } else { 0.0 };
    let record = |target: usize, verdict: Verdict, side: usize, hazard: f64| Decision {
        month: 0,
        pair: p,
        stage: stage as u8,
        target: target as u8,
        verdict,
        side: Some(side),
        sides: terms(world, p, sides, target),
        hazard,
        draw,
    };
    if let Some((target, hazard, weakest)) = taken.filter(|_| ready) {
        return Some(record(target, Verdict::Moved(Cause::StepUp), weakest, hazard));
    }
    if let Some(c) = closest {
        let (verdict, side, hazard) = match c.block {
            Some((k, false)) => (Verdict::Refused(k), k, 0.0),
            Some((k, true)) => (Verdict::Distrusted(k), k, 0.0),
            None if !ready || !c.ratified => (Verdict::Deliberating, c.weakest, 0.0),
            None => (Verdict::NotYet, c.weakest, c.hazard),
        };
        return Some(record(c.target, verdict, side, hazard));
    }
    let c = least_refused?;
    Some(record(c.target, Verdict::Unwanted, c.weakest, 0.0))
}

/// The rung a step up came closest to, for the record of a month without one.
struct Closest {
    /// The smaller gain of the consenting sides.
    gain: f64,
    target: usize,
    /// The first side that blocks it, and whether by distrust (else by refusal).
    block: Option<(usize, bool)>,
    /// Whether it has been acceptable long enough to be ratified.
    ratified: bool,
    /// The consenting side with the smaller gain (side a on a tie).
    weakest: usize,
    /// Its monthly hazard.
    hazard: f64,
}

/// 1 - e^-x: the share of its full rate a decision reaches at margin x. It
/// rises from 0, so a deal that barely pays takes long to conclude and one
/// that pays a lot is concluded at nearly the full rate.
fn rising(x: f64) -> f64 {
    -(-x).exp_m1()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testworld::two_states;
    use crate::engine::{prepare, threat, Fired};
    use rand::SeedableRng;

    /// Runs one ladder step with a fixed draw sequence; returns the new stage and the log.
    fn step(w: &mut World) -> (u8, Vec<Fired>) {
        let mut s = Scratch::default();
        prepare(w, &mut s);
        threat::perceive(w, &mut s);
        let mut rec = Recorder::new(false, true);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        move_stages(w, 1, &mut rng, &mut s, &mut rec);
        (w.pairs[0].stage, rec.fired.unwrap_or_default())
    }

    fn set_values_distance(w: &mut World, d: f64) {
        for v in &mut w.views {
            v.values_distance = d;
        }
    }

    fn at_stage(stage: u8, months_at_stage: f64, trust: f64) -> World {
        let mut w = two_states();
        w.pairs[0].stage = stage;
        w.pairs[0].months_at_stage = months_at_stage;
        for v in [(0, 1), (1, 0)] {
            let k = w.view_index(v.0, v.1);
            w.views[k].trust = trust;
            w.views[k].action_index = 3;
        }
        w
    }

    #[test]
    fn a_one_sided_strike_is_a_shock_but_an_exchange_is_war() {
        let mut w = at_stage(4, 50.0, 0.5);
        w.views[1].action_index = ATTACK;
        assert_eq!(step(&mut w).0, 4, "one strike leaves the rung");
        assert!(w.pairs[0].fought_last_month);
        // A second month of strikes is a campaign.
        let (stage, log) = step(&mut w);
        assert_eq!(stage, 0);
        assert!(log.iter().any(|f| f.what == Happening::Stage(0, 4, 0, Cause::War)));
        let mut both = at_stage(3, 50.0, 0.5);
        both.views[1].action_index = ATTACK;
        both.views[2].action_index = ATTACK;
        assert_eq!(step(&mut both).0, 0, "an exchange of attacks in one month is war");
    }

    #[test]
    fn sustained_betrayal_drops_one_rung_but_not_during_the_cooldown_or_below_one() {
        let mut w = at_stage(3, 10.0, 0.5);
        w.views[1].bad_surprise = w.params.betrayal_threshold + 0.1;
        assert_eq!(step(&mut w).0, 2);
        let mut early = at_stage(3, 0.0, 0.5);
        early.views[1].bad_surprise = early.params.betrayal_threshold + 0.1;
        assert_eq!(step(&mut early).0, 3, "no drop before the cooldown");
        let mut floor = at_stage(1, 10.0, 0.5);
        floor.views[1].bad_surprise = floor.params.betrayal_threshold + 0.1;
        assert_eq!(step(&mut floor).0, 1, "betrayal never drops below rung 1");
    }

    #[test]
    fn low_trust_drops_to_the_highest_rung_trust_still_supports() {
        let w = at_stage(5, 10.0, 0.0);
        let floor = |r: usize| w.ladder.rungs[r].threshold - w.params.hysteresis;
        // Just above rung 5's floor (threshold less hysteresis) holds; just below rung 4's
        // and above rung 3's falls two rungs at once.
        let at_once = |trust: f64| {
            let mut w = at_stage(5, 10.0, trust);
            w.params.low_trust_months = 1.0;
            w
        };
        assert_eq!(step(&mut at_once(floor(5) + 1e-6)).0, 5);
        assert_eq!(step(&mut at_once(floor(4) - 1e-6)).0, 3);
    }

    #[test]
    fn lack_of_trust_must_last_before_the_pair_drops() {
        let mut w = at_stage(5, 10.0, 0.0);
        w.params.low_trust_months = 3.0;
        w.params.fall_rate = 0.0;
        // Months one and two below the floor count; the third drops.
        assert_eq!(step(&mut w).0, 5);
        assert_eq!(step(&mut w).0, 5);
        assert_eq!(w.pairs[0].months_distrusted, 2.0);
        assert_eq!(step(&mut w).0, 1);
        assert_eq!(w.pairs[0].months_distrusted, 0.0, "a move starts the count again");
        // A month of restored trust resets it.
        let mut w = at_stage(5, 10.0, 0.0);
        w.params.low_trust_months = 3.0;
        w.params.fall_rate = 0.0;
        step(&mut w);
        step(&mut w);
        for v in [(0, 1), (1, 0)] {
            let k = w.view_index(v.0, v.1);
            w.views[k].trust = 0.9;
        }
        step(&mut w);
        assert_eq!(w.pairs[0].months_distrusted, 0.0);
    }

    fn ready_to_step(months_above: f64) -> World {
        let mut w = at_stage(2, 100.0, 0.5);
        w.pairs[0].months_above = months_above;
        w.params.step_rate = 1.0;
        w.params.gate_sharpness = 100.0;
        w.params.leap_discount = 1.0;
        // Rung 3 delivers the shared issue: worth 1 to both sides.
        w.views[1].issue = 1.0;
        w.views[2].issue = 1.0;
        w
    }

    #[test]
    fn a_step_up_needs_the_deliberation_months() {
        let mut w = ready_to_step(0.0);
        w.params.months_above = 3.0;
        assert_eq!(step(&mut w).0, 2);
        assert_eq!(w.pairs[0].months_above, 1.0, "the counter grows while a higher rung is acceptable");
        let mut w = ready_to_step(2.0);
        w.params.months_above = 3.0;
        let (stage, log) = step(&mut w);
        // Values cost nothing here, so every rung up to the highest that trust
        // 0.5 supports (rung 6, threshold 0.45) is acceptable: a leap.
        assert_eq!(stage, 6);
        assert!(log.iter().any(|f| f.what == Happening::Stage(0, 2, 6, Cause::StepUp)));
    }

    #[test]
    fn both_sides_must_consent_and_either_refusal_blocks() {
        let mut w = ready_to_step(100.0);
        w.params.fall_rate = 0.0;
        // Side 1 pays a values cost larger than its gain from the shared issue.
        w.goals[1][crate::model::world::VALUES] = 10.0;
        set_values_distance(&mut w, 1.0);
        assert_eq!(step(&mut w).0, 2, "the weaker or the stronger side: a refusal blocks");
        // Only side 0's consent needed: the step goes ahead.
        let k = w.view_index(1, 0);
        w.views[k].consent = false;
        w.pairs[0].months_above = 100.0;
        assert!(step(&mut w).0 > 2);
    }

    #[test]
    fn a_leap_takes_the_highest_rung_whose_hazard_beats_the_draw() {
        let mut w = ready_to_step(100.0);
        w.views[1].issue = 0.0;
        w.views[2].issue = 0.0;
        // Legitimacy is delivered mostly by rung 5: both sides gain most there.
        w.views[1].legitimacy = 2.0;
        w.views[2].legitimacy = 2.0;
        set_values_distance(&mut w, 0.3);
        // Trust 0.4 supports rung 5 (threshold 0.35) but not rung 6 (0.45).
        for k in [1, 2] {
            w.views[k].trust = 0.4;
        }
        let (stage, _) = step(&mut w.clone());
        assert_eq!(stage, 5, "from limited contact straight to recognition");
        // When every rung beyond the next is a deal breaker, a next rung worth
        // nothing on its own (rung 3 has no legitimacy good) blocks the way.
        w.params.leap_discount = 0.0;
        assert_eq!(step(&mut w).0, 2);
    }

    #[test]
    fn a_side_that_values_a_lower_rung_more_downgrades() {
        let mut w = at_stage(4, 50.0, 0.5);
        w.params.fall_rate = 1.0;
        w.params.gate_sharpness = 100.0;
        w.goals[0][crate::model::world::VALUES] = 5.0;
        set_values_distance(&mut w, 1.0);
        let (stage, log) = step(&mut w);
        assert_eq!(stage, 1, "to the lower rung it values most");
        assert!(log.iter().any(|f| f.what == Happening::Stage(0, 4, 1, Cause::Downgrade)));
    }
}
