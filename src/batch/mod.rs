//! Batches: many runs of many setups, in parallel, delivered in a fixed order.
//!
//! A batch is a list of [`Job`]s (a setup and how many replicates of it). Each
//! run's seed is derived from the master seed and the run's coordinates before
//! any parallel work. Runs are computed in chunks on a rayon pool of the
//! requested size and handed to the caller chunk by chunk in replicate order,
//! so outputs are byte-identical whatever the thread count, and memory does
//! not grow with the number of replications. This is the only module that
//! uses rayon.

pub mod aggregate;
pub mod why;

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::engine::{run_seed, Fired, Recorder, RunOutcome, Simulator, TickRecord};
use crate::model::Setup;

/// Runs computed in parallel before they are handed over; bounds memory.
pub const CHUNK: u64 = 1024;

/// One setup to run `replications` times.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    /// Scenario name (enters seeds and output rows).
    pub scenario: &'a str,
    /// Variant name (enters seeds and output rows).
    pub variant: &'a str,
    /// What to run.
    pub setup: &'a Setup,
    /// Design point, 0 outside sweeps; enters seeds unless common random numbers are on.
    pub point: u64,
    /// Number of replicates.
    pub replications: u64,
    /// Master seed.
    pub seed: u64,
    /// First replicate index (for sharded or resumed batches).
    pub first_replicate: u64,
}

impl Job<'_> {
    /// Seed of replicate `r`.
    pub fn run_seed(&self, r: u64) -> u64 {
        run_seed(self.seed, self.scenario, self.variant, self.point, r)
    }
}

/// What each run records beyond its outcome.
#[derive(Debug, Clone, Copy, Default)]
pub struct Capture {
    /// Keep per-month rows of tracked dyads.
    pub series: bool,
    /// Keep per-month rows of tracked dyads binned for the series summary
    /// ([`aggregate::MonthBins`]); without `series` the rows themselves are
    /// dropped on the worker.
    pub bins: bool,
    /// Keep fired events and stage changes.
    pub fired: bool,
    /// Record the decisions about tracked pairs and fold them ([`why::RunWhy`]);
    /// with `fired`, keep their spells too.
    pub decisions: bool,
}

/// One finished run.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Replicate index.
    pub replicate: u64,
    /// Seed the run used.
    pub seed: u64,
    /// What it tells.
    pub outcome: RunOutcome,
    /// Per-month rows (empty unless captured).
    pub series: Vec<TickRecord>,
    /// Per-month rows binned for the summary (empty unless captured).
    pub bins: Vec<aggregate::MonthBins>,
    /// Happenings (empty unless captured).
    pub fired: Vec<Fired>,
    /// The reasons behind the run's path (None unless decisions are captured).
    pub why: Option<why::RunWhy>,
}

/// Why a batch stopped early.
#[derive(Debug, thiserror::Error)]
pub enum BatchError<E> {
    /// The consumer failed (e.g. a write error).
    #[error(transparent)]
    Consumer(E),
    /// The stop flag was raised; the consumer has every run before `completed`.
    #[error("interrupted after {completed} runs")]
    Interrupted {
        /// Runs handed to the consumer before stopping.
        completed: u64,
    },
}

/// The worker threads of one command. Built once and lent to every
/// parallel step (batch chunks, design rounds, calibration candidates), so
/// a command starts its threads once however many steps it takes.
#[derive(Debug)]
pub struct Pool {
    pool: rayon::ThreadPool,
}

/// The worker threads could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {threads} worker threads: {message}")]
pub struct PoolError {
    /// Requested threads.
    pub threads: usize,
    /// Cause.
    pub message: String,
}

impl Pool {
    /// A pool of `threads` workers; 0 stands for every core.
    pub fn new(threads: usize) -> Result<Pool, PoolError> {
        let threads = effective_threads(threads);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| PoolError { threads, message: e.to_string() })?;
        Ok(Pool { pool })
    }

    /// Number of workers.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }
}

/// Runs every job on `pool`; `consume(job_index, runs)` receives each chunk
/// in order. `stop` is polled between chunks.
///
/// The next chunk is computed while the caller consumes the current one
/// (writes its rows), so writing does not hold up the workers; chunks are
/// still handed over one at a time in replicate order. A chunk started
/// before the stop flag or a consumer error was seen is finished and
/// dropped.
pub fn execute<E>(
    jobs: &[Job<'_>],
    pool: &Pool,
    capture: Capture,
    stop: &AtomicBool,
    mut consume: impl FnMut(usize, &[RunResult]) -> Result<(), E>,
) -> Result<(), BatchError<E>> {
    let mut chunks = jobs.iter().enumerate().flat_map(|(k, job)| {
        let end = job.first_replicate + job.replications;
        (job.first_replicate..end)
            .step_by(CHUNK as usize)
            .map(move |start| (k, start..(start + CHUNK).min(end)))
    });
    let compute = |k: usize, range: std::ops::Range<u64>| -> Vec<RunResult> {
        let job = &jobs[k];
        pool.pool.install(|| {
            range
                .into_par_iter()
                .map_init(
                    || {
                        let rec = Recorder::new(capture.series || capture.bins, capture.fired);
                        (Simulator::new(), if capture.decisions { rec.with_decisions() } else { rec })
                    },
                    |(sim, rec), r| {
                        let mut run = run_one(job, r, sim, rec);
                        if capture.bins {
                            run.bins = run.series.iter().map(aggregate::MonthBins::of).collect();
                            if !capture.series {
                                // The rows go back to the recorder, which reuses their buffer.
                                rec.series = Some(std::mem::take(&mut run.series));
                            }
                        }
                        run
                    },
                )
                .collect()
        })
    };
    std::thread::scope(|scope| {
        let spawn = |(k, range)| (k, scope.spawn(move || compute(k, range)));
        let mut completed = 0;
        let mut ahead = chunks.next();
        if ahead.is_some() && stop.load(Ordering::Relaxed) {
            return Err(BatchError::Interrupted { completed });
        }
        let mut ahead = ahead.take().map(spawn);
        while let Some((k, computing)) = ahead {
            let runs = computing.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            ahead = chunks.next().map(spawn);
            consume(k, &runs).map_err(BatchError::Consumer)?;
            completed += runs.len() as u64;
            // Polled where the runs computed one chunk at a time polled it,
            // so a stop hands over the same runs as it always has.
            if ahead.is_some() && stop.load(Ordering::Relaxed) {
                return Err(BatchError::Interrupted { completed });
            }
        }
        Ok(())
    })
}

/// Runs replicate `r` of `job`.
pub fn run_one(job: &Job<'_>, r: u64, sim: &mut Simulator, rec: &mut Recorder) -> RunResult {
    let seed = job.run_seed(r);
    let outcome = sim.run(job.setup, seed, rec);
    let why = rec.decisions.as_ref().map(|d| why::RunWhy::of(job.setup, d, rec.fired.is_some()));
    RunResult {
        replicate: r,
        seed,
        outcome,
        series: rec.series.as_mut().map(std::mem::take).unwrap_or_default(),
        bins: Vec::new(),
        fired: rec.fired.as_mut().map(std::mem::take).unwrap_or_default(),
        why,
    }
}

/// Number of worker threads `threads` (0 = all cores) stands for.
fn effective_threads(threads: usize) -> usize {
    if threads > 0 {
        threads
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Maps `f` over `items` on `pool`, returning results in input order. Each
/// worker gets its own state from `init`.
pub fn par_map<T: Sync, S, R: Send>(
    pool: &Pool,
    items: &[T],
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, &T) -> R + Sync + Send,
) -> Vec<R> {
    pool.pool.install(|| items.par_iter().map_init(&init, |s, item| f(s, item)).collect())
}
