//! `detente merge`: combine the shard folders of a batch into one.
//!
//! Each shard folder holds the rows of its slice of every job, the job
//! summaries as integer histograms and fixed-point sums (`shard-state.json`),
//! and a manifest recording the batch it belongs to. Merging plans the batch
//! again from the recorded options, copies every job's rows shard by shard,
//! and adds the summaries, so the merged files are byte-identical to the
//! unsharded run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context, Result};

use super::common::load_all;
use super::common::{check_complete, Shard, ShardManifest, ShardMark};
use super::run::{BatchSpec, Plan};
use crate::batch::aggregate::JobSummary;
use crate::output::batch::{BatchWriter, Layout, Role, RowFile, SHARD_STATE};
use crate::output::manifest::Manifest;
use crate::output::read_json;

/// Arguments of `detente merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Shard folders written by `run`, `sweep`, `sensitivity`, `discover` or `calibrate` with `--shard I/N`, all N of them.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// Output folder for the merged results.
    #[arg(long, short = 'o')]
    pub out: PathBuf,
}

struct ShardDir {
    path: PathBuf,
    shard: Shard,
    fingerprint: String,
    spec: BatchSpec,
    summaries: Vec<JobSummary>,
}

fn read_shard(path: &Path) -> Result<ShardDir> {
    let ShardManifest { manifest, shard } = ShardManifest::read(path)?;
    let details = &manifest["details"];
    let spec: BatchSpec = serde_json::from_value(details["spec"].clone())
        .with_context(|| format!("{}: the manifest records no batch options", path.display()))?;
    let fingerprint = details["fingerprint"].as_str().unwrap_or_default().to_string();
    let summaries: Vec<JobSummary> = read_json(&path.join(SHARD_STATE))?;
    Ok(ShardDir { path: path.to_path_buf(), shard, fingerprint, spec, summaries })
}

/// Runs `detente merge`: the shards' manifests say which command made them.
pub fn run(args: Args) -> Result<ExitCode> {
    let manifest: serde_json::Value = read_json(&args.shards[0].join("manifest.json"))
        .with_context(|| format!("{}: not a shard folder", args.shards[0].display()))?;
    match manifest["command"].as_str().unwrap_or_default() {
        "run" => merge_batch(&args),
        "sweep" => super::sweep::merge(&args.shards, &args.out, &manifest),
        "sensitivity" => super::sensitivity::merge(&args.shards, &args.out, &manifest),
        "discover" => super::discover::merge(&args.shards, &args.out, &manifest),
        "calibrate" => super::calibrate::merge(&args),
        other => {
            bail!("{}: made by `detente {other}`, whose shards cannot be merged", args.shards[0].display())
        }
    }
}

fn merge_batch(args: &Args) -> Result<ExitCode> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let mut shards = args.shards.iter().map(|p| read_shard(p)).collect::<Result<Vec<_>>>()?;
    let marks: Vec<ShardMark<'_>> = shards
        .iter()
        .map(|s| ShardMark { path: &s.path, shard: s.shard, fingerprint: &s.fingerprint })
        .collect();
    check_complete(&marks)?;
    shards.sort_by_key(|s| s.shard.index);
    let spec = shards[0].spec.clone();
    let scenarios = load_all(&spec.files)?;
    if spec.fingerprint(&scenarios) != shards[0].fingerprint {
        bail!("the scenario files changed since the shards ran (their SHA-256 differ from the shards' manifests)");
    }
    let plan = Plan::new(&scenarios, &spec.select)?;
    let infos = plan.infos();
    if shards.iter().any(|s| s.summaries.len() != infos.len()) {
        bail!("a shard's state does not hold one summary per job of the batch");
    }
    let keys: Vec<(String, String)> =
        infos.iter().map(|j| (j.scenario.to_string(), j.variant.to_string())).collect();
    let layout = Layout::of(&infos, plan.param_keys.clone());
    let mut writer =
        BatchWriter::create(&args.out, infos, layout, spec.timeseries.into(), spec.events, Role::Whole)
            .with_context(|| format!("cannot write to {}", args.out.display()))?;
    let files = [
        ("runs.csv", RowFile::Runs),
        ("groups.csv", RowFile::Groups),
        ("timeseries.csv", RowFile::Series),
        ("events.csv", RowFile::Events),
    ];
    let mut readers: Vec<Vec<(RowFile, RowReader)>> = Vec::new();
    for s in &shards {
        let mut mine = Vec::new();
        for (name, kind) in files {
            let path = s.path.join(name);
            let full_series = kind != RowFile::Series || spec.timeseries == super::run::TimeseriesArg::Full;
            if full_series && (kind != RowFile::Events || spec.events) {
                mine.push((kind, RowReader::open(&path)?));
            }
        }
        readers.push(mine);
    }
    for (k, key) in keys.iter().enumerate() {
        writer.begin_job(k)?;
        for (s, shard_readers) in shards.iter().zip(&mut readers) {
            writer.absorb(&s.summaries[k]);
            for (kind, reader) in shard_readers.iter_mut() {
                while let Some(record) = reader.next_of(key)? {
                    writer.copy_row(*kind, &record)?;
                }
            }
        }
    }
    for (s, shard_readers) in shards.iter().zip(&mut readers) {
        for (_, reader) in shard_readers.iter_mut() {
            if reader.peek()?.is_some() {
                bail!("{}: rows of a job the batch does not have, or out of order", s.path.display());
            }
        }
    }
    let (_, paths) = writer.finish()?;
    let runs: u64 =
        shards.iter().flat_map(|s| s.summaries.first()).flat_map(|j| j.dyads.first()).map(|d| d.runs).sum();
    Manifest::new(
        "merge",
        plan.manifest_entries(),
        0,
        started,
        clock.elapsed().as_secs_f64(),
        runs,
        &paths,
        serde_json::json!({
            "spec": spec,
            "fingerprint": shards[0].fingerprint,
            "shards": shards.iter().map(|s| s.path.display().to_string()).collect::<Vec<_>>(),
        }),
    )
    .write(&args.out)?;
    println!("merged {} shards into {}", shards.len(), args.out.display());
    Ok(ExitCode::SUCCESS)
}

/// Reads a shard's row file one job at a time.
struct RowReader {
    path: PathBuf,
    reader: csv::Reader<std::fs::File>,
    peeked: Option<csv::ByteRecord>,
}

impl RowReader {
    fn open(path: &Path) -> Result<RowReader> {
        let reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        Ok(RowReader { path: path.to_path_buf(), reader, peeked: None })
    }

    fn peek(&mut self) -> Result<Option<&csv::ByteRecord>> {
        if self.peeked.is_none() {
            let mut record = csv::ByteRecord::new();
            let more = self
                .reader
                .read_byte_record(&mut record)
                .with_context(|| format!("{}: unreadable row", self.path.display()))?;
            if more {
                self.peeked = Some(record);
            }
        }
        Ok(self.peeked.as_ref())
    }

    /// The next row if it belongs to the job `(scenario, variant)`.
    fn next_of(&mut self, key: &(String, String)) -> Result<Option<csv::ByteRecord>> {
        let matches = self
            .peek()?
            .is_some_and(|r| r.get(0) == Some(key.0.as_bytes()) && r.get(1) == Some(key.1.as_bytes()));
        Ok(if matches { self.peeked.take() } else { None })
    }
}
