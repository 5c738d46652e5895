//! Changes to a scenario after it is read: values overridden from the
//! command line, by a variant or by an event, and scenario text rewritten
//! by a tool (the best fit of a calibration).
//!
//! **One set of rules.** A value set in the file passes the checks of
//! `build`; a value set any other way (`--set`, a variant's `set`, an
//! event's `set`, a design point, a calibration proposal) must pass the same
//! ones, or a scenario file could be made to run with a group that targets
//! itself, an attack rate the file would refuse, or factions whose shares
//! add up to nothing. [`check_override`] holds the rules a single key path
//! has beyond its range ([`Field::check`]), and [`check_world`] the rules
//! that bind several values together, checked on the world once every
//! override is applied.
//!
//! **Text rewritten through TOML.** [`without_variant`] removes a named
//! variant from scenario text with `toml_edit`, keeping every comment and
//! the layout of the rest, so a calibrated file calibrated again does not
//! carry two variants of one name.

use crate::model::{Field, World};

/// Checks `value` for `field` of `world` by the rules the file's own values
/// obey. The rules of a single value live with the key paths
/// (`model::field`: a group's target on itself does not resolve, and each
/// field has the file's range, an attack rate at most 50 among them), so
/// this is [`Field::check`]; [`check_world`] adds the rules that bind
/// several values.
pub fn check_override(world: &World, field: Field, value: f64) -> Result<(), String> {
    field.check(value, &world.ladder)
}

/// `world` with the `Set` overrides applied and checked by [`check_world`]
/// (the values unnormalised, as a file gives them); the caller finishes it.
pub fn apply_checked(world: &mut World, overrides: &[(Field, f64)]) -> Result<(), String> {
    for &(field, value) in overrides {
        check_override(world, field, value)?;
        field.apply(world, crate::model::Op::Set, value);
    }
    check_world(world)
}

/// Checks the rules that bind several values of `world` together, after
/// every override is applied: each actor's faction influences and targets
/// must leave something to share (they are renormalised to sum to 1).
pub fn check_world(world: &World) -> Result<(), String> {
    for actor in &world.actors {
        let factions = &world.factions[actor.factions.clone()];
        if factions.len() < 2 {
            continue;
        }
        for (what, total) in [
            ("influence", factions.iter().map(|f| f.influence).sum::<f64>()),
            ("target", factions.iter().map(|f| f.target).sum::<f64>()),
        ] {
            if total.is_nan() || total <= 0.0 {
                return Err(format!(
                    "the faction {what} shares of {} add up to {total}: at least one must be above 0",
                    actor.id
                ));
            }
        }
    }
    Ok(())
}

/// `text` without its `[[variants]]` table named `name` (and the comments
/// that precede it); text without one is returned as it is.
pub fn without_variant(text: &str, name: &str) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("not a TOML file ({e})"))?;
    let Some(variants) = doc.get_mut("variants").and_then(|v| v.as_array_of_tables_mut()) else {
        return Ok(text.to_string());
    };
    let before = variants.len();
    variants.retain(|t| t.get("name").and_then(|n| n.as_str()) != Some(name));
    if variants.len() == before {
        return Ok(text.to_string());
    }
    if variants.is_empty() {
        doc.remove("variants");
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_variant_is_removed_and_the_rest_kept() {
        let text = "# head\n[scenario]\nname = \"s\" # why\n\n[[variants]]\nname = \"keep\"\n\n\
                    # calibration note\n[[variants]]\nname = \"calibrated\"\n[variants.set]\n\"a.b\" = 1\n";
        let out = without_variant(text, "calibrated").unwrap();
        assert!(out.contains("# head") && out.contains("# why") && out.contains("name = \"keep\""), "{out}");
        assert!(!out.contains("calibrated") && !out.contains("calibration note"), "{out}");
        assert_eq!(without_variant(&out, "calibrated").unwrap(), out);
        let only = "[scenario]\nname = \"s\"\n[[variants]]\nname = \"calibrated\"\n";
        assert!(!without_variant(only, "calibrated").unwrap().contains("variants"));
    }
}
