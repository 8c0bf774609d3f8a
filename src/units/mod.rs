//! Durations and sizes: parsing what users write in the config and on the command line
//! (`"30s"`, `"1h30m"`, `"300MB"`, `"2GiB"`), and formatting them back for humans
//! (`"3h05m"`, `"1.5 GB"`) or for a config file (`"10m"`, `"300MB"`).
//!
//! Parsing is strict and never panics: every error is a sentence that quotes the offending
//! value and says what was expected, so callers can show it as-is after a file/line prefix.
//! Arithmetic is done in integers (`u128`), so `"1.5GB"` is exactly 1 500 000 000 bytes and
//! anything that does not fit a [`Duration`](std::time::Duration) or a `u64` is reported as too large.
//!
//! Split by concern: `parse` reads, `format` writes, and the
//! serde newtypes [`Dur`] and [`Size`] do both for config files.

mod format;
mod newtypes;
mod parse;
#[cfg(test)]
mod tests;

pub use format::{format_duration_config, format_size_config, human_bytes, human_duration};
pub use newtypes::{Dur, Size};
pub use parse::{parse_duration, parse_size, quote};

const NANOS_PER_MS: u128 = 1_000_000;
const NANOS_PER_SEC: u128 = 1_000_000_000;
const NANOS_PER_MIN: u128 = 60 * NANOS_PER_SEC;
const NANOS_PER_HOUR: u128 = 60 * NANOS_PER_MIN;
const NANOS_PER_DAY: u128 = 24 * NANOS_PER_HOUR;
