//! A bounded history of memory samples, and the leak heuristics built on it.
//!
//! Every sweep the daemon records one [`Sample`]: the total RSS and process count
//! of everything it supervises, plus each server's process-tree RSS. Samples live
//! in a fixed-capacity ring ([`History`]), typically sized to cover 24 hours at
//! the sweep interval with [`History::capacity_for`], so the daemon's own memory
//! stays flat however long it runs. The ring is persisted as compact JSON Lines
//! (newest last) capped at a byte budget, written atomically so a crash never
//! leaves a half-written file, and loaded leniently so a damaged line costs one
//! sample rather than the whole history.
//!
//! On top of the ring, [`trend_of`] fits a least-squares line to a server's RSS
//! and reports the slope in MB per hour together with R². Steady, material,
//! linear growth is flagged as a probable leak, and [`leak_recommendation`]
//! turns that into advice for `status`.
//!
//! Units: MB here is 1,000,000 bytes, matching [`crate::units::human_bytes`].
//!
//! Split by concern: `ring` (the bounded ring and its per-server series), `file` (the JSON
//! Lines file, saved atomically and read back bounded) and, outside the daemon beside
//! `health`, the pure trend fit in [`crate::trend`] (re-exported here).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

pub use crate::trend::{Trend, leak_recommendation, trend_of};

mod file;
mod ring;
#[cfg(test)]
mod tests;

/// Smallest ring capacity: a trend needs at least two points to mean anything.
pub const MIN_CAPACITY: usize = 2;
/// Largest ring capacity, so a misconfigured interval cannot make the ring huge.
pub const MAX_CAPACITY: usize = 100_000;
/// At most this many per-server entries are kept in one sample (the largest by RSS).
pub const MAX_SERVERS_PER_SAMPLE: usize = 64;
/// Server keys longer than this (in bytes) are truncated, bounding per-sample memory.
pub const MAX_KEY_BYTES: usize = 256;

/// One sweep's memory picture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// When the sample was taken, in unix seconds.
    pub t: u64,
    /// Number of processes counted by the sweep.
    pub processes: u32,
    /// Total RSS of those processes, in bytes.
    pub rss_bytes: u64,
    /// Per-server process-tree RSS in bytes, keyed like `"fs"` or `"fs@session"`.
    /// [`History::push`] sorts this by key, merges duplicate keys and keeps at most
    /// [`MAX_SERVERS_PER_SAMPLE`] entries.
    pub servers: Vec<(String, u64)>,
}

/// A fixed-capacity ring of [`Sample`]s, oldest first.
#[derive(Clone, Debug)]
pub struct History {
    samples: VecDeque<Sample>,
    capacity: usize,
    max_file_bytes: u64,
}
