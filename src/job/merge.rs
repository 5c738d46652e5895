//! `detente merge`: the shard folders of one job joined into one folder.
//!
//! The shards' manifests say which command wrote them; the merge of that
//! kind of work plans the job again from the spec they record and writes
//! files byte-identical to those of the job run on one machine.

use std::path::PathBuf;

use serde::de::IgnoredAny;

use super::{batch, calibration, design, Context, JobError, Report};
use crate::output::folder::Replace;
use crate::output::manifest::{read_manifest, Manifest};

/// What to merge, and where.
#[derive(Debug, Clone)]
pub struct MergeSpec {
    /// Shard folders, all N of one job, in any order.
    pub shards: Vec<PathBuf>,
    /// Output folder of the merged results.
    pub out: PathBuf,
    /// Whether finished results there may be replaced (a merge always
    /// replaces an earlier merge's).
    pub replace: Replace,
}

/// Merges the shards of `spec` by the command that wrote them.
pub fn run(spec: &MergeSpec) -> Result<Report, JobError> {
    let Some(first) = spec.shards.first() else { bail!("no shard folders given") };
    let manifest: Manifest<IgnoredAny> =
        read_manifest(first).with_context(|| format!("{}: not a shard folder", first.display()))?;
    match manifest.command.as_str() {
        "run" => batch::merge(&spec.shards, &spec.out, &spec.replace),
        "sweep" | "sensitivity" | "discover" => design::merge(&spec.shards, &spec.out, &spec.replace),
        "calibrate" => calibration::merge(&spec.shards, &spec.out, &spec.replace),
        other => bail!("{}: made by `detente {other}`, whose shards cannot be merged", first.display()),
    }
}
