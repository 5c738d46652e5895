//! Groups of options several commands share, flattened into their `Args`:
//! [`Select`] (which runs of a scenario) and [`DesignArgs`] (a design and
//! how it is run). Each turns into the part of a job spec it stands for.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::common::{pool, print, replace, stop_flag, Bar};
use crate::job::batch::Selection;
use crate::job::defaults::CHECKPOINT_SECONDS;
use crate::job::design::{self, Analysis, DesignRun, DesignSpec};
use crate::job::shard::Shard;

/// Which runs of a scenario: variants, replications, seed, overrides, threads.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Select {
    /// Replications per variant (default: the file's [run] replications, else 1000).
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Master seed (default: the file's [run] seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only these variants: a comma list or repeated (`baseline` is the file without overrides).
    #[arg(long = "variant", value_name = "NAME[,NAME...]", value_delimiter = ',')]
    pub variants: Vec<String>,
    /// Override a value for every variant: KEY=VALUE with a key path (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
}

impl Select {
    /// The selection without the thread count, which changes no result.
    pub fn selection(&self) -> Selection {
        Selection {
            replications: self.replications,
            seed: self.seed,
            variants: self.variants.clone(),
            sets: self.sets.clone(),
        }
    }
}

/// The options of `detente report` that `run --report` takes too.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReportArgs {
    /// Reference history (CSV: date,stage,...) to overlay on the stage fan charts,
    /// its first row placed at the scenario start; may be repeated.
    #[arg(long, short = 'r', value_name = "CSV")]
    pub reference: Vec<PathBuf>,
    /// Stage whose first-reach time picks the exemplar runs and feeds the time-to-stage
    /// chart [default: 5].
    #[arg(long, value_name = "N")]
    pub exemplar_stage: Option<u8>,
    /// Dyad to follow, `a-b` (default: each scenario's first tracked dyad).
    #[arg(long, value_name = "A-B")]
    pub dyad: Option<String>,
}

/// Options that choose a design and how it is run.
#[derive(Debug, Clone, clap::Args)]
pub struct DesignArgs {
    /// Scenario file (TOML); its [sweep] table gives defaults for every option.
    pub file: PathBuf,
    /// Range KEY=LOW:HIGH on a key path (repeatable; with --values, replaces the file's [sweep] parameters).
    #[arg(long = "param", value_name = "KEY=LOW:HIGH")]
    pub params: Vec<String>,
    /// Value list KEY=a,b,c on a key path (repeatable).
    #[arg(long = "values", value_name = "KEY=a,b,c")]
    pub values: Vec<String>,
    /// Base sample size: LHS points, Saltelli base rows, Morris trajectories (default: [sweep].points, else 32).
    #[arg(long)]
    pub points: Option<usize>,
    /// Levels per range (factorial) or grid levels (Morris, even; default 4).
    #[arg(long)]
    pub levels: Option<usize>,
    /// Replications per design point (default: [sweep].replications, else [run].replications, else 20).
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Independent random numbers at each point (default: the same replicate seeds at every point).
    #[arg(long)]
    pub no_crn: bool,
    /// Master seed (default: the file's [run] seed); also seeds the design.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Variant whose setup the design varies; a comma list runs the design on
    /// each, into OUT/<variant>.
    #[arg(long, default_value = "baseline")]
    pub variant: String,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// Output folder (default: results/<command>/<scenario name>, with /shard-I for a shard).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Run only slice I of N (0-based) of the design points, for `detente merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Continue an interrupted run in the same output folder from its checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Replace the finished results in the output folder, which are listed
    /// (without it, detente refuses to write over a finished run).
    #[arg(long)]
    pub replace: bool,
    /// Seconds between checkpoints while running (0: after every design point).
    #[arg(long, default_value_t = CHECKPOINT_SECONDS, hide = true)]
    pub checkpoint_seconds: f64,
}

impl DesignArgs {
    /// Runs the design these options choose, with `analysis` made of its runs.
    pub fn run(self, analysis: Analysis) -> Result<ExitCode> {
        let spec = DesignSpec {
            analysis,
            file: self.file,
            params: self.params,
            values: self.values,
            points: self.points,
            levels: self.levels,
            replications: self.replications,
            crn: self.no_crn.then_some(false),
            seed: self.seed,
            variant: self.variant,
        };
        let job = DesignRun {
            spec,
            out: self.out,
            shard: self.shard,
            resume: self.resume,
            checkpoint_seconds: self.checkpoint_seconds,
            per_variant: false,
            replace: replace(self.replace),
        };
        print(design::run(&job, &pool(self.threads)?, stop_flag(), &Bar::new())?)
    }
}
