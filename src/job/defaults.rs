//! Every default a command falls back on, in one place.
//!
//! An option is taken from the command line first, then from the scenario
//! file's table for that kind of work (`[sweep]`, `[calibration]`), then
//! from the file's `[run]` table where the setting means the same there
//! (replications, seed), and only then from the constants below. The
//! functions here are the only places that order is written down.

use super::JobError;
use crate::model::MAX_COUNT;
use crate::scenario::Scenario;

/// Most worker threads: far more than any machine's cores, and few enough
/// that starting them is quick.
pub const MAX_THREADS: usize = 1024;

/// Checks a count (`what`, such as `--replications`) lies in `1..=MAX_COUNT`.
pub fn check_count(what: &str, n: u64) -> Result<u64, JobError> {
    if n == 0 {
        return Err(JobError::Invalid(format!("{what} must be at least 1")));
    }
    if n > MAX_COUNT {
        return Err(JobError::Invalid(format!("{what} {n} is too large: at most {MAX_COUNT}")));
    }
    Ok(n)
}

/// Replications per variant of a batch when neither the command line nor
/// `[run]` gives them.
pub const BATCH_REPLICATIONS: u64 = 1000;
/// Replications per design point when neither the command line, `[sweep]`
/// nor `[run]` gives them.
pub const DESIGN_REPLICATIONS: u64 = 20;
/// Replications per calibration candidate when neither the command line,
/// `[calibration]` nor `[run]` gives them.
pub const CALIBRATION_REPLICATIONS: u64 = 40;
/// Base sample size of a design (LHS points, Saltelli base rows, Morris
/// trajectories) when neither the command line nor `[sweep]` gives it.
pub const DESIGN_POINTS: usize = 32;
/// Months added to the timing error of a run that never reached a stage the
/// reference reached, in `compare` and `calibrate` alike.
pub const CENSOR_PENALTY_MONTHS: f64 = 60.0;
/// Runs per case and candidate of a joint calibration on a reference class
/// when the command line gives none (a case file's own tables do not apply:
/// the class is fitted as one).
pub const CLASS_REPLICATIONS: u64 = 30;
/// Master seed of a joint calibration when the command line gives none.
pub const CLASS_SEED: u64 = 1;
/// Accepted particles of a calibration.
pub const PARTICLES: u64 = 100;
/// SMC rounds after the first.
pub const ROUNDS: u64 = 3;
/// Seconds between checkpoints of a long batch or design.
pub const CHECKPOINT_SECONDS: f64 = 10.0;

/// Replications of a batch: the command line, else `[run] replications`,
/// else [`BATCH_REPLICATIONS`].
pub fn batch_replications(cli: Option<u64>, scenario: &Scenario) -> u64 {
    cli.or(scenario.replications).unwrap_or(BATCH_REPLICATIONS)
}

/// Replications of a design point or a calibration candidate: the command
/// line, else the command's own table, else `[run] replications`, else
/// `fallback` ([`DESIGN_REPLICATIONS`], [`CALIBRATION_REPLICATIONS`]).
pub fn experiment_replications(
    cli: Option<u64>,
    table: Option<u64>,
    scenario: &Scenario,
    fallback: u64,
) -> u64 {
    cli.or(table).or(scenario.replications).unwrap_or(fallback)
}

/// Master seed: the command line, else `[run] seed` (which is 1 when the
/// file has none; the scenario format documents that default).
pub fn seed(cli: Option<u64>, scenario: &Scenario) -> u64 {
    cli.unwrap_or(scenario.seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(run_replications: Option<u64>) -> Scenario {
        let text = format!(
            "[scenario]\nname = \"d\"\nstart = \"2000-01\"\nend = \"2001-01\"\n{}\
             [[actors]]\nid = \"a\"\n[[actors]]\nid = \"b\"\n[[relations]]\npair = [\"a\", \"b\"]\n",
            run_replications.map_or(String::new(), |n| format!("[run]\nreplications = {n}\nseed = 9\n"))
        );
        crate::scenario::parse(std::path::Path::new("d.toml"), text).expect("valid")
    }

    #[test]
    fn the_command_line_then_the_table_then_run_then_the_constant() {
        let with_run = scenario(Some(7));
        let without = scenario(None);
        assert_eq!(batch_replications(Some(3), &with_run), 3);
        assert_eq!(batch_replications(None, &with_run), 7);
        assert_eq!(batch_replications(None, &without), BATCH_REPLICATIONS);
        assert_eq!(experiment_replications(Some(2), Some(5), &with_run, DESIGN_REPLICATIONS), 2);
        assert_eq!(experiment_replications(None, Some(5), &with_run, DESIGN_REPLICATIONS), 5);
        assert_eq!(experiment_replications(None, None, &with_run, DESIGN_REPLICATIONS), 7);
        assert_eq!(experiment_replications(None, None, &without, CALIBRATION_REPLICATIONS), 40);
        assert_eq!((seed(Some(4), &with_run), seed(None, &with_run), seed(None, &without)), (4, 9, 1));
    }
}
