//! Fault injection for the fault tests (`tests/it/faults.rs`), off unless
//! the command line switches it on from two hidden environment variables
//! (read in `cli`, like `DETENTE_STOP_AFTER`):
//!
//! - `DETENTE_FAULT_KILL_AT=N`: the process kills itself with SIGKILL just
//!   before its N-th commit step (every rename of a finished file into
//!   place, every rename of a folder commit, and the removal of the
//!   replaced folder), as a power cut or `kill -9` landing exactly there
//!   would;
//! - `DETENTE_FAULT_DISK_BYTES=N`: writes fail with "no space left on
//!   device" once N bytes have been written, as on a full disk.
//!
//! Both are process-wide counters; with neither set every call is a no-op.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

static KILL_AT: AtomicU64 = AtomicU64::new(0);
static STEPS: AtomicU64 = AtomicU64::new(0);
static DISK_LEFT: AtomicU64 = AtomicU64::new(u64::MAX);

/// Kills the process just before its `n`-th commit step (0: never).
pub fn kill_at_step(n: u64) {
    KILL_AT.store(n, Ordering::SeqCst);
}

/// Lets only `bytes` more bytes be written before writes fail as on a full disk.
pub fn disk_bytes(bytes: u64) {
    DISK_LEFT.store(bytes, Ordering::SeqCst);
}

/// Called before each commit step; dies here if this is the step asked for.
pub fn step() {
    let at = KILL_AT.load(Ordering::SeqCst);
    if at == 0 {
        return;
    }
    if STEPS.fetch_add(1, Ordering::SeqCst) + 1 == at {
        die();
    }
}

#[cfg(unix)]
fn die() {
    let _ = nix::sys::signal::kill(nix::unistd::Pid::this(), nix::sys::signal::Signal::SIGKILL);
    std::process::abort();
}

#[cfg(not(unix))]
fn die() {
    std::process::abort();
}

/// Accounts for `n` bytes about to be written; fails as a full disk would
/// once the budget is spent.
pub fn charge(n: usize) -> io::Result<()> {
    let left = DISK_LEFT.load(Ordering::SeqCst);
    if left == u64::MAX {
        return Ok(());
    }
    if (n as u64) > left {
        DISK_LEFT.store(0, Ordering::SeqCst);
        return Err(io::Error::new(io::ErrorKind::StorageFull, "No space left on device (simulated)"));
    }
    DISK_LEFT.fetch_sub(n as u64, Ordering::SeqCst);
    Ok(())
}
