//! The shard protocol: slices `I/N` of a batch, a design or a calibration
//! round, and the checks `detente merge` makes before it joins them.
//!
//! A shard folder holds its rows, its folded state (`shard-state.json` or
//! `calibration-shard.json`) and a manifest recording its slice and the
//! fingerprint of the whole job. Merging requires every slice 0..N-1 of one
//! job exactly once; otherwise it names what is missing, duplicated or
//! foreign, and writes nothing.

use std::path::Path;

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::{Context, JobError};
use crate::output::manifest::{read_manifest, Manifest};

/// A slice `I/N` of a batch, a design or a calibration round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Slice index, 0-based.
    pub index: u64,
    /// Number of slices.
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| format!("expected I/N such as 0/4, got {s:?}"))?;
        let parse =
            |x: &str| x.trim().parse::<u64>().map_err(|_| format!("expected I/N such as 0/4, got {s:?}"));
        let (index, count) = (parse(i)?, parse(n)?);
        if count == 0 {
            return Err(format!("expected I/N with at least one shard, got {s:?}"));
        }
        if index >= count {
            return Err(format!(
                "shards count from 0: I runs from 0 to N-1, so the {count} shards are 0/{count} to {}/{count}; got {s:?}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// This shard's part of `total` items (replicates, design points,
    /// proposals): a contiguous range, sizes differing by at most one.
    pub fn range(self, total: u64) -> (u64, u64) {
        let at = |i: u64| (total as u128 * i as u128 / self.count as u128) as u64;
        (at(self.index), at(self.index + 1))
    }

    /// A checkpoint's fingerprint: the job's, and which shard of it.
    pub fn mark(shard: Option<Shard>, fingerprint: &str) -> String {
        match shard {
            Some(s) => format!("{fingerprint}/shard-{}-of-{}", s.index, s.count),
            None => fingerprint.to_string(),
        }
    }
}

/// What every shard's manifest records besides its command's own details.
pub trait ShardDetails {
    /// The slice, if the folder was written with `--shard`.
    fn shard(&self) -> Option<Shard>;
    /// Whether it stopped before the end.
    fn interrupted(&self) -> bool;
}

/// Reads the manifest of the shard folder `path`: it must be finished and
/// record its slice.
pub fn read_shard<D: DeserializeOwned + ShardDetails>(path: &Path) -> Result<(Manifest<D>, Shard), JobError> {
    let manifest: Manifest<D> =
        read_manifest(path).with_context(|| format!("{}: not a shard folder", path.display()))?;
    if manifest.details.interrupted() {
        bail!(
            "{}: this shard was interrupted; run it again (with --resume for a batch or design) before merging",
            path.display()
        );
    }
    let Some(shard) = manifest.details.shard() else {
        bail!("{}: the manifest records no shard (was it run with --shard I/N?)", path.display())
    };
    Ok((manifest, shard))
}

/// One shard folder as `detente merge` sees it.
pub struct ShardMark<'a> {
    /// The folder.
    pub path: &'a Path,
    /// Its slice.
    pub shard: Shard,
    /// What it is a slice of; every shard of one job carries the same.
    pub fingerprint: &'a str,
}

/// Every shard 0..N-1 of one job, each once; otherwise names what is missing,
/// duplicated or foreign, and nothing is merged.
pub fn check_complete(shards: &[ShardMark<'_>]) -> Result<(), JobError> {
    let Some(first) = shards.first() else { bail!("no shard folders given") };
    for s in shards {
        if s.fingerprint != first.fingerprint || s.shard.count != first.shard.count {
            bail!(
                "{} and {} belong to different jobs (files, options or shard count differ)",
                first.path.display(),
                s.path.display()
            );
        }
    }
    let n = first.shard.count;
    let mut problems = Vec::new();
    for i in 0..n {
        let holders: Vec<String> =
            shards.iter().filter(|s| s.shard.index == i).map(|s| s.path.display().to_string()).collect();
        match holders.len() {
            0 => problems.push(format!("shard {i}/{n} is missing")),
            1 => {}
            _ => problems.push(format!("shard {i}/{n} is given more than once: {}", holders.join(", "))),
        }
    }
    if !problems.is_empty() {
        bail!("{}; nothing was merged", problems.join("; "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shards_parse_as_i_of_n() {
        assert_eq!("2/5".parse::<Shard>(), Ok(Shard { index: 2, count: 5 }));
        for bad in ["5/5", "1/0", "a/2", "3", "-1/4"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn merging_needs_every_slice_of_one_job_once() {
        let mark = |path: &'static str, index, fingerprint| ShardMark {
            path: Path::new(path),
            shard: Shard { index, count: 3 },
            fingerprint,
        };
        assert!(check_complete(&[mark("a", 0, "x"), mark("b", 1, "x"), mark("c", 2, "x")]).is_ok());
        let e = check_complete(&[mark("a", 0, "x"), mark("b", 0, "x")]).unwrap_err().to_string();
        assert!(
            e.contains("shard 0/3 is given more than once: a, b") && e.contains("shard 1/3 is missing"),
            "{e}"
        );
        let e = check_complete(&[mark("a", 0, "x"), mark("b", 1, "y")]).unwrap_err().to_string();
        assert!(e.contains("belong to different jobs"), "{e}");
        assert!(check_complete(&[]).is_err());
    }

    proptest! {
        /// The N slices of any total are contiguous, cover it exactly once,
        /// and differ in size by at most one: balanced work for every shard.
        #[test]
        fn slices_are_contiguous_balanced_and_cover_everything(total in 0u64..100_000, count in 1u64..300) {
            let mut next = 0;
            let (mut smallest, mut largest) = (u64::MAX, 0);
            for index in 0..count {
                let (lo, hi) = Shard { index, count }.range(total);
                prop_assert_eq!(lo, next);
                prop_assert!(hi >= lo);
                smallest = smallest.min(hi - lo);
                largest = largest.max(hi - lo);
                next = hi;
            }
            prop_assert_eq!(next, total);
            prop_assert!(largest - smallest <= 1);
        }
    }
}
