//! Bounds on a key path: the priors of a calibration and the ranges of a
//! design.
//!
//! A [`Prior`] is a key path resolved to its [`Field`] with a lower and an
//! upper bound, both checked against the field's own range; sweeps read the
//! same type for `[sweep].parameters`. [`resolve_values`] does the same for
//! a list of values. Both answer with a plain message that the caller places
//! (a scenario diagnostic, or a command-line option).

use super::{Field, World};

/// A uniform prior (or a design range) on one key path.
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    /// Key path.
    pub key: String,
    /// Resolved field.
    pub field: Field,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Prior {
    /// Parses `KEY=LOW:HIGH` (a `--prior` or `--param` option) into a prior
    /// on `world`. The one parser of that form: messages say what is wrong
    /// with the text, and the caller names the option.
    pub fn parse(world: &World, text: &str) -> Result<Prior, String> {
        let form = "expected KEY=LOW:HIGH (a colon between the bounds)";
        let (key, range) = text.split_once('=').ok_or(form)?;
        let (lo, hi) = range.split_once(':').ok_or(form)?;
        let num = |s: &str| s.trim().parse::<f64>().map_err(|_| format!("{:?} is not a number", s.trim()));
        resolve_prior(world, key.trim(), &[num(lo)?, num(hi)?])
    }
}

/// The default priors of a joint calibration: every parameter the model
/// calibrates ([`super::params::CALIBRATED`]) over its calibration range.
pub fn calibrated_priors(world: &World) -> Vec<Prior> {
    super::params::CALIBRATED
        .iter()
        .map(|&(key, low, high)| {
            let key = format!("params.{key}");
            let field = Field::resolve(world, &key).expect("CALIBRATED names parameters (tested)");
            Prior { key, field, low, high }
        })
        .collect()
}

/// Resolves `key = [low, high]` into a prior, checking both bounds against the field's range.
pub fn resolve_prior(world: &World, key: &str, bounds: &[f64]) -> Result<Prior, String> {
    let field = Field::resolve(world, key)?;
    let [low, high] = bounds else {
        return Err(format!("expected [low, high], got {} numbers", bounds.len()));
    };
    field.check(*low, &world.ladder)?;
    field.check(*high, &world.ladder)?;
    if low >= high {
        return Err(format!("expected low < high, got [{low}, {high}]"));
    }
    Ok(Prior { key: key.to_string(), field, low: *low, high: *high })
}

/// Resolves `key = [a, b, ...]` into a field, checking every value against its range.
pub fn resolve_values(world: &World, key: &str, list: &[f64]) -> Result<Field, String> {
    let field = Field::resolve(world, key)?;
    if list.is_empty() {
        return Err("expected at least one value".into());
    }
    for &v in list {
        field.check(v, &world.ladder)?;
    }
    Ok(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testworld::two_states;

    #[test]
    fn a_prior_checks_both_bounds_and_their_order() {
        let world = two_states();
        let p = resolve_prior(&world, "params.ladder.step_rate", &[0.04, 0.16]).unwrap();
        assert_eq!((p.key.as_str(), p.low, p.high), ("params.ladder.step_rate", 0.04, 0.16));
        assert!(resolve_prior(&world, "params.ladder.step_rate", &[0.16, 0.04])
            .unwrap_err()
            .contains("low < high"));
        assert!(resolve_prior(&world, "params.ladder.step_rate", &[0.1]).unwrap_err().contains("1 numbers"));
        assert!(resolve_prior(&world, "params.ladder.no_such", &[0.0, 1.0]).is_err());
    }

    #[test]
    fn key_low_high_text_is_parsed_once_for_every_option() {
        let world = two_states();
        let p = Prior::parse(&world, " params.ladder.step_rate = 0.04 : 0.16 ").unwrap();
        assert_eq!((p.key.as_str(), p.low, p.high), ("params.ladder.step_rate", 0.04, 0.16));
        assert!(Prior::parse(&world, "params.ladder.step_rate").unwrap_err().contains("KEY=LOW:HIGH"));
        assert!(Prior::parse(&world, "params.ladder.step_rate=0.1").unwrap_err().contains("colon"));
        assert_eq!(Prior::parse(&world, "params.ladder.step_rate=x:1").unwrap_err(), "\"x\" is not a number");
    }

    #[test]
    fn a_value_list_is_checked_value_by_value() {
        let world = two_states();
        assert!(resolve_values(&world, "params.ladder.step_rate", &[0.1, 0.2]).is_ok());
        assert!(resolve_values(&world, "params.ladder.step_rate", &[]).unwrap_err().contains("at least one"));
    }
}
