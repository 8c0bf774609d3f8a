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

use std::collections::{BTreeMap, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::units::human_bytes;

/// Smallest ring capacity: a trend needs at least two points to mean anything.
pub const MIN_CAPACITY: usize = 2;
/// Largest ring capacity, so a misconfigured interval cannot make the ring huge.
pub const MAX_CAPACITY: usize = 100_000;
/// At most this many per-server entries are kept in one sample (the largest by RSS).
pub const MAX_SERVERS_PER_SAMPLE: usize = 64;
/// Server keys longer than this (in bytes) are truncated, bounding per-sample memory.
pub const MAX_KEY_BYTES: usize = 256;

/// Bytes per MB, decimal to agree with `human_bytes`.
const MB: f64 = 1_000_000.0;
/// A trend needs this many samples of the server before it is reported at all.
const TREND_MIN_SAMPLES: usize = 6;
/// ... and the samples must span at least this long (10 minutes).
const TREND_MIN_SPAN_SECS: u64 = 600;
/// Leak thresholds: slope, fit quality and total observed growth.
const LEAK_MIN_MB_PER_HOUR: f64 = 5.0;
const LEAK_MIN_R_SQUARED: f64 = 0.8;
const LEAK_MIN_GROWTH_BYTES: u64 = 20_000_000;
/// Lines longer than this are treated as damage when loading; a legitimate sample
/// (64 servers with 256-byte keys, even fully escaped) is far smaller. Bounds the
/// loader's memory when the file is corrupt.
const MAX_LINE_BYTES: usize = 1 << 20;

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

/// A least-squares fit of one server's RSS over the window.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Trend {
    /// Fitted slope in MB (10^6 bytes) per hour; negative when shrinking.
    pub mb_per_hour: f64,
    /// Coefficient of determination of the linear fit, in `0.0..=1.0`
    /// (`0.0` for a perfectly flat series, where no growth is explained).
    pub r_squared: f64,
    /// Number of points the fit used.
    pub samples: usize,
    /// Time between the oldest and newest point, in seconds.
    pub span_secs: u64,
    /// Steady linear growth that looks like a leak (see [`trend_of`]).
    pub leak: bool,
}

impl History {
    /// Creates an empty history holding at most `capacity` samples (clamped to
    /// `2..=100_000`) whose persisted file is kept within `max_file_bytes`.
    pub fn new(capacity: usize, max_file_bytes: u64) -> History {
        let capacity = capacity.clamp(MIN_CAPACITY, MAX_CAPACITY);
        History {
            // Allocating the whole ring up front keeps memory flat from the first
            // sample on, instead of creeping up as the ring fills.
            samples: VecDeque::with_capacity(capacity),
            capacity,
            max_file_bytes,
        }
    }

    /// The capacity needed to cover `window` at one sample per `interval`,
    /// counting both ends (24 h at 60 s is 1441), clamped to `2..=100_000`.
    /// A zero interval is treated as one millisecond rather than dividing by zero.
    pub fn capacity_for(window: Duration, interval: Duration) -> usize {
        let step = interval.as_millis().max(1);
        let intervals = window.as_millis().div_ceil(step);
        let wanted = usize::try_from(intervals.saturating_add(1)).unwrap_or(MAX_CAPACITY);
        wanted.clamp(MIN_CAPACITY, MAX_CAPACITY)
    }

    /// The maximum number of samples held.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The byte budget for the persisted file.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    /// Appends a sample, dropping the oldest when full. The sample's `servers`
    /// are normalised first (see [`Sample::servers`]) so one pathological sweep
    /// cannot blow the memory bound.
    pub fn push(&mut self, mut s: Sample) {
        normalize_servers(&mut s.servers);
        while self.samples.len() >= self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back(s);
    }

    /// Number of samples held.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when no samples are held.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The samples, oldest first.
    pub fn samples(&self) -> impl Iterator<Item = &Sample> {
        self.samples.iter()
    }

    /// The newest sample.
    pub fn last(&self) -> Option<&Sample> {
        self.samples.back()
    }

    /// Total RSS series for a sparkline: `(t, rss_bytes)`, oldest first, at most
    /// `n` points (evenly thinned). When thinning, the oldest and newest samples
    /// are always included; `n == 1` gives just the newest.
    pub fn total_rss_series(&self, n: usize) -> Vec<(u64, u64)> {
        let len = self.samples.len();
        let point = |s: &Sample| (s.t, s.rss_bytes);
        if n == 0 || len == 0 {
            return Vec::new();
        }
        if len <= n {
            return self.samples.iter().map(point).collect();
        }
        if n == 1 {
            return self.samples.back().map(point).into_iter().collect();
        }
        // u64 arithmetic: i * (len - 1) can reach 10^10, beyond a 32-bit usize.
        // Since len > n the step is at least 1, so indices are distinct and increasing.
        let (last, steps) = ((len - 1) as u64, (n - 1) as u64);
        (0..n as u64)
            .filter_map(|i| {
                let idx = usize::try_from(i * last / steps).ok()?;
                self.samples.get(idx).map(point)
            })
            .collect()
    }

    /// The RSS trend of one server over the window; `None` with fewer than 6
    /// samples of that server or when they span less than 10 minutes.
    pub fn trend(&self, server: &str) -> Option<Trend> {
        let points: Vec<(u64, u64)> = self
            .samples
            .iter()
            .filter_map(|s| server_rss(s, server).map(|rss| (s.t, rss)))
            .collect();
        trend_of(&points)
    }

    /// Trends of every server seen in the window, sorted by key. Servers without
    /// enough data for a trend (see [`History::trend`]) are left out.
    pub fn trends(&self) -> Vec<(String, Trend)> {
        // One pass over the ring rather than one per server.
        let mut series: BTreeMap<&str, Vec<(u64, u64)>> = BTreeMap::new();
        for s in &self.samples {
            for (key, rss) in &s.servers {
                series.entry(key.as_str()).or_default().push((s.t, *rss));
            }
        }
        series
            .into_iter()
            .filter_map(|(key, points)| trend_of(&points).map(|t| (key.to_owned(), t)))
            .collect()
    }

    /// Persist: atomic write (temp file in the same dir + fsync + rename) of
    /// compact JSON Lines, newest last, keeping only as many newest samples as
    /// fit in `max_file_bytes`. The directory is fsynced too, best effort, so the
    /// rename itself survives a crash.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        // Serialise newest first so we can stop as soon as the budget is spent;
        // memory used here is therefore bounded by the budget, not the ring.
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut total: u64 = 0;
        for s in self.samples.iter().rev() {
            let mut line = serde_json::to_vec(s).map_err(io::Error::other)?;
            line.push(b'\n');
            let len = u64::try_from(line.len()).unwrap_or(u64::MAX);
            match total.checked_add(len) {
                Some(next) if next <= self.max_file_bytes => total = next,
                // Stop at the first sample that does not fit: the file must be a
                // contiguous newest suffix, not a patchwork of small samples.
                _ => break,
            }
            lines.push(line);
        }

        let file_name = path.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "history path has no file name")
        })?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // Same directory so the rename is atomic (same filesystem); pid and a
        // counter keep concurrent writers from clobbering each other's temp file.
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(file_name);
        tmp_name.push(format!(".tmp-{}-{n}", std::process::id()));
        let tmp = dir.join(tmp_name);

        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let written = (|| {
            let mut w = BufWriter::new(&file);
            for line in lines.iter().rev() {
                w.write_all(line)?;
            }
            w.flush()?;
            drop(w);
            file.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if let Err(e) = written {
            // Do not leave temp files piling up next to the history.
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        if let Ok(d) = File::open(&dir) {
            // Best effort: not every platform/filesystem supports fsync on a directory.
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Load: read JSON Lines; skip (and count) malformed lines; keep the newest
    /// `capacity`; a missing file is an empty history. Returns `(History, skipped_lines)`.
    ///
    /// Blank lines are ignored without counting. Lines over 1 MiB count as
    /// malformed and are skipped without being buffered. If the file is larger
    /// than `max_file_bytes` (say the budget was lowered) only its tail is read,
    /// starting at the first whole line, so loading time and memory stay bounded.
    pub fn load(path: &Path, capacity: usize, max_file_bytes: u64) -> io::Result<(History, usize)> {
        let mut history = History::new(capacity, max_file_bytes);
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((history, 0)),
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        let mut reader;
        if len > max_file_bytes {
            let start = len - max_file_bytes;
            // Peek at the byte before `start`: if it ends a line we are already at
            // a line boundary; otherwise drop the partial line we landed in.
            file.seek(SeekFrom::Start(start - 1))?;
            let mut before = [0u8; 1];
            file.read_exact(&mut before)?;
            reader = BufReader::new(file);
            if before[0] != b'\n' {
                let mut discard = Vec::new();
                read_line_bounded(&mut reader, &mut discard, 0)?;
            }
        } else {
            reader = BufReader::new(file);
        }

        let mut skipped = 0;
        let mut buf = Vec::new();
        loop {
            match read_line_bounded(&mut reader, &mut buf, MAX_LINE_BYTES)? {
                Line::Eof => break,
                Line::TooLong => skipped += 1,
                Line::Text => {
                    let text = buf.trim_ascii();
                    if text.is_empty() {
                        continue;
                    }
                    match serde_json::from_slice::<Sample>(text) {
                        Ok(s) => history.push(s),
                        Err(_) => skipped += 1,
                    }
                }
            }
        }
        Ok((history, skipped))
    }
}

/// What [`read_line_bounded`] found.
enum Line {
    /// A line (without its newline) is in the buffer; the last line may lack one.
    Text,
    /// The line exceeded the limit; it was consumed but not kept.
    TooLong,
    /// End of input, nothing read.
    Eof,
}

/// Reads one `\n`-terminated line into `buf` (cleared first), never buffering
/// more than `max` bytes of it: `BufRead::read_until` would happily allocate
/// gigabytes for a corrupt file without newlines.
fn read_line_bounded<R: BufRead>(r: &mut R, buf: &mut Vec<u8>, max: usize) -> io::Result<Line> {
    buf.clear();
    let mut any = false;
    let mut too_long = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => Line::Eof,
                (true, true) => Line::TooLong,
                (true, false) => Line::Text,
            });
        }
        any = true;
        let newline = avail.iter().position(|&b| b == b'\n');
        let chunk_len = newline.unwrap_or(avail.len());
        if !too_long {
            if buf.len().saturating_add(chunk_len) > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&avail[..chunk_len]);
            }
        }
        let used = newline.map_or(avail.len(), |i| i + 1);
        r.consume(used);
        if newline.is_some() {
            return Ok(if too_long { Line::TooLong } else { Line::Text });
        }
    }
}

/// Sorts by key, truncates overlong keys, merges duplicate keys (summing, since
/// each entry is a tree RSS) and keeps the [`MAX_SERVERS_PER_SAMPLE`] largest.
fn normalize_servers(servers: &mut Vec<(String, u64)>) {
    for (key, _) in servers.iter_mut() {
        truncate_key(key);
    }
    servers.sort_by(|a, b| a.0.cmp(&b.0));
    servers.dedup_by(|later, earlier| {
        if later.0 == earlier.0 {
            earlier.1 = earlier.1.saturating_add(later.1);
            true
        } else {
            false
        }
    });
    if servers.len() > MAX_SERVERS_PER_SAMPLE {
        // The biggest servers are the ones whose growth matters.
        servers.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        servers.truncate(MAX_SERVERS_PER_SAMPLE);
        servers.sort_by(|a, b| a.0.cmp(&b.0));
    }
    // Release any slack from the caller's Vec: it would live as long as the ring.
    servers.shrink_to_fit();
}

/// Truncates `key` to at most [`MAX_KEY_BYTES`], on a character boundary.
fn truncate_key(key: &mut String) {
    if key.len() <= MAX_KEY_BYTES {
        return;
    }
    let mut end = MAX_KEY_BYTES;
    while end > 0 && !key.is_char_boundary(end) {
        end -= 1;
    }
    key.truncate(end);
    key.shrink_to_fit();
}

/// A server's RSS in one sample; `servers` is sorted by key after [`History::push`].
fn server_rss(s: &Sample, server: &str) -> Option<u64> {
    s.servers
        .binary_search_by(|(k, _)| k.as_str().cmp(server))
        .ok()
        .and_then(|i| s.servers.get(i))
        .map(|(_, rss)| *rss)
}

/// Pure: least-squares slope of (t, bytes) in MB/hour and R²; `leak` when the
/// slope is at least 5 MB/h, R² at least 0.8, there are at least 6 samples
/// spanning at least 10 minutes, and the RSS grew overall by at least 20 MB.
///
/// "Grew overall" compares the newest point with the oldest (by `t`), so a
/// server that leaked and was then restarted within the window is not flagged.
/// Points need not be sorted. Returns `None` with fewer than 6 points, a span
/// under 10 minutes (which also covers all-equal timestamps), or if the
/// arithmetic is not finite.
pub fn trend_of(points: &[(u64, u64)]) -> Option<Trend> {
    let n = points.len();
    if n < TREND_MIN_SAMPLES {
        return None;
    }
    // Oldest and newest points by time; on ties the later slot wins for the newest.
    let mut first = points.first().copied()?;
    let mut last = first;
    for &p in points {
        if p.0 < first.0 {
            first = p;
        }
        if p.0 >= last.0 {
            last = p;
        }
    }
    let span_secs = last.0 - first.0;
    if span_secs < TREND_MIN_SPAN_SECS {
        return None;
    }

    // Times are taken relative to the oldest point and both means are removed
    // before multiplying (two-pass), avoiding catastrophic cancellation with
    // unix-epoch timestamps and byte counts in the billions.
    let nf = n as f64;
    let x = |t: u64| (t - first.0) as f64;
    let mean_x = points.iter().map(|&(t, _)| x(t)).sum::<f64>() / nf;
    let mean_y = points.iter().map(|&(_, y)| y as f64).sum::<f64>() / nf;
    let (mut sxx, mut sxy, mut syy) = (0.0_f64, 0.0_f64, 0.0_f64);
    for &(t, y) in points {
        let dx = x(t) - mean_x;
        let dy = y as f64 - mean_y;
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if !(sxx.is_finite() && sxx > 0.0 && sxy.is_finite() && syy.is_finite()) {
        return None;
    }
    let mb_per_hour = sxy / sxx * 3600.0 / MB;
    if !mb_per_hour.is_finite() {
        return None;
    }
    let r_squared = if syy > 0.0 {
        let r2 = (sxy * sxy) / (sxx * syy);
        // Rounding can push a perfect fit a hair over 1; sxx * syy can overflow to inf.
        if r2.is_finite() {
            r2.clamp(0.0, 1.0)
        } else {
            0.0
        }
    } else {
        0.0
    };
    let grew = last.1.saturating_sub(first.1);
    let leak = mb_per_hour >= LEAK_MIN_MB_PER_HOUR
        && r_squared >= LEAK_MIN_R_SQUARED
        && grew >= LEAK_MIN_GROWTH_BYTES;
    Some(Trend {
        mb_per_hour,
        r_squared,
        samples: n,
        span_secs,
        leak,
    })
}

/// A recommendation sentence for a leaking server, e.g. "fs grows 42 MB/hour
/// steadily (probable leak): set max_rss (it is 380 MB now) or restart it with
/// `mcpd restart fs`". For a key `name@session` the command is
/// `mcpd restart name --session session`; arguments are shell-quoted if needed.
/// For a trend that is not flagged as a leak the sentence says so instead of
/// "probable leak".
pub fn leak_recommendation(server: &str, t: &Trend, current_rss: u64) -> String {
    let rate = if t.mb_per_hour.abs() < 10.0 {
        format!("{:.1}", t.mb_per_hour)
    } else {
        format!("{:.0}", t.mb_per_hour)
    };
    let how = if t.leak {
        "steadily (probable leak)"
    } else {
        "(not a steady leak yet)"
    };
    let command = match server.split_once('@') {
        Some((name, session)) if !name.is_empty() && !session.is_empty() => format!(
            "mcpd restart {} --session {}",
            shell_quote(name),
            shell_quote(session)
        ),
        _ => format!("mcpd restart {}", shell_quote(server)),
    };
    format!(
        "{server} grows {rate} MB/hour {how}: set max_rss (it is {} now) or restart it with `{command}`",
        human_bytes(current_rss)
    )
}

/// Quotes `s` for a POSIX shell when it contains anything beyond a safe set, so
/// the suggested command can be pasted as-is.
fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.,:/+=%@".contains(&b));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MBU: u64 = 1_000_000;
    const T0: u64 = 1_700_000_000;

    fn sample(t: u64, servers: &[(&str, u64)]) -> Sample {
        Sample {
            t,
            processes: servers.len() as u32,
            rss_bytes: servers.iter().map(|s| s.1).sum(),
            servers: servers.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    /// A series sampled every `step` seconds for `count` points.
    fn series(count: u64, step: u64, f: impl Fn(u64) -> u64) -> Vec<(u64, u64)> {
        (0..count).map(|i| (T0 + i * step, f(i * step))).collect()
    }

    /// Deterministic noise in `-amp..=amp` (a tiny LCG; no rand dependency).
    fn noise(seed: &mut u64, amp: i64) -> i64 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((*seed >> 33) as i64 % (2 * amp + 1)) - amp
    }

    #[test]
    fn ring_drops_oldest_and_stays_at_capacity() {
        let mut h = History::new(100, 1 << 20);
        let allocated = h.samples.capacity();
        for i in 0..100_000u64 {
            h.push(sample(i, &[("fs", i)]));
            assert!(h.len() <= 100);
        }
        assert_eq!(h.len(), 100);
        assert_eq!(h.samples().next().map(|s| s.t), Some(99_900));
        assert_eq!(h.last().map(|s| s.t), Some(99_999));
        // Memory flat: the ring never reallocated past its initial allocation.
        assert_eq!(h.samples.capacity(), allocated);
        let ts: Vec<u64> = h.samples().map(|s| s.t).collect();
        assert!(ts.windows(2).all(|w| w[0] + 1 == w[1]));
    }

    #[test]
    fn capacity_is_clamped() {
        assert_eq!(History::new(0, 0).capacity(), 2);
        assert_eq!(History::new(usize::MAX, 0).capacity(), 100_000);
        let day = Duration::from_secs(86_400);
        assert_eq!(History::capacity_for(day, Duration::from_secs(60)), 1441);
        assert_eq!(History::capacity_for(day, Duration::ZERO), 100_000);
        assert_eq!(
            History::capacity_for(Duration::ZERO, Duration::from_secs(60)),
            2
        );
        assert_eq!(
            History::capacity_for(Duration::MAX, Duration::from_nanos(1)),
            100_000
        );
        assert_eq!(
            History::capacity_for(Duration::from_secs(90), Duration::from_secs(60)),
            3
        );
    }

    #[test]
    fn push_limits_and_normalises_servers() {
        let mut h = History::new(10, 1 << 20);
        let mut servers: Vec<(String, u64)> =
            (0..200u64).map(|i| (format!("s{i:03}"), i * MBU)).collect();
        servers.push(("s199".into(), 1)); // duplicate key: merged by summing
        servers.push(("x".repeat(1000), 0));
        servers.push(("é".repeat(200), 0)); // 400 bytes, 2-byte chars
        h.push(Sample {
            t: 1,
            processes: 3,
            rss_bytes: 4,
            servers,
        });
        let s = h.last().expect("pushed");
        assert_eq!(s.servers.len(), MAX_SERVERS_PER_SAMPLE);
        // The largest are kept, sorted by key.
        assert_eq!(s.servers.first().map(|x| x.0.as_str()), Some("s136"));
        assert_eq!(s.servers.last(), Some(&("s199".to_string(), 199 * MBU + 1)));
        assert!(s.servers.windows(2).all(|w| w[0].0 < w[1].0));

        let mut h = History::new(10, 1 << 20);
        h.push(sample(1, &[("b", 1), ("a", 2)]));
        let mut long = sample(2, &[]);
        long.servers = vec![("x".repeat(1000), 1), ("é".repeat(200), 2)];
        h.push(long);
        let s = h.last().expect("pushed");
        assert!(s.servers.iter().all(|(k, _)| k.len() <= MAX_KEY_BYTES));
        assert_eq!(
            s.servers
                .iter()
                .find(|(k, _)| k.starts_with('é'))
                .map(|k| k.0.len()),
            Some(256)
        );
        assert_eq!(
            h.samples().next().map(|s| s.servers[0].0.as_str()),
            Some("a")
        );
    }

    #[test]
    fn steady_linear_growth_is_a_leak_with_the_right_slope() {
        let mut h = History::new(1441, 1 << 20);
        // 30 MB/h from 200 MB, a sample a minute for 6 hours, plus a flat neighbour.
        for i in 0..361u64 {
            let rss = 200 * MBU + i * 60 * 30 * MBU / 3600;
            h.push(sample(T0 + i * 60, &[("fs", rss), ("git@work", 50 * MBU)]));
        }
        let t = h.trend("fs").expect("enough data");
        assert!((t.mb_per_hour - 30.0).abs() < 0.3, "{t:?}");
        assert!(t.r_squared > 0.999);
        assert_eq!(t.samples, 361);
        assert_eq!(t.span_secs, 6 * 3600);
        assert!(t.leak);

        let all = h.trends();
        let keys: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["fs", "git@work"]);
        assert!(!all[1].1.leak);
        assert_eq!(all[0].1, t);
        assert!(h.trend("nope").is_none());
    }

    #[test]
    fn noisy_linear_growth_is_still_a_leak() {
        let mut seed = 7;
        let pts: Vec<(u64, u64)> = series(240, 60, |s| 300 * MBU + s * 20 * MBU / 3600)
            .into_iter()
            .map(|(t, y)| (t, (y as i64 + noise(&mut seed, 2 * MBU as i64)) as u64))
            .collect();
        let t = trend_of(&pts).expect("enough data");
        assert!((t.mb_per_hour - 20.0).abs() < 1.0, "{t:?}");
        assert!(t.leak, "{t:?}");
    }

    #[test]
    fn flat_series_is_not_a_leak() {
        let t = trend_of(&series(100, 60, |_| 300 * MBU)).expect("enough data");
        assert_eq!(t.mb_per_hour, 0.0);
        assert_eq!(t.r_squared, 0.0);
        assert!(!t.leak);
    }

    #[test]
    fn noisy_flat_series_is_not_a_leak() {
        let mut seed = 42;
        let pts: Vec<(u64, u64)> = series(1440, 60, |_| 300 * MBU)
            .into_iter()
            .map(|(t, y)| (t, (y as i64 + noise(&mut seed, 50 * MBU as i64)) as u64))
            .collect();
        let t = trend_of(&pts).expect("enough data");
        assert!(t.mb_per_hour.abs() < 2.0, "{t:?}");
        assert!(!t.leak, "{t:?}");
    }

    #[test]
    fn sawtooth_from_restarts_is_not_a_leak() {
        // Grows 60 MB an hour, restarted every hour, for a day.
        let t = trend_of(&series(1440, 60, |s| {
            100 * MBU + (s % 3600) * 60 * MBU / 3600
        }))
        .expect("enough data");
        assert!(!t.leak, "{t:?}");
        assert!(t.r_squared < 0.1, "{t:?}");

        // Leaked steadily for 5 hours, restarted, and is back near where it began.
        let t = trend_of(&series(360, 60, |s| {
            let s = if s >= 5 * 3600 { s - 5 * 3600 } else { s };
            100 * MBU + s * 60 * MBU / 3600
        }))
        .expect("enough data");
        assert!(!t.leak, "{t:?}");
    }

    #[test]
    fn growth_below_thresholds_is_not_a_leak() {
        // Perfectly linear but slow: 3 MB/h.
        let t =
            trend_of(&series(360, 60, |s| 100 * MBU + s * 3 * MBU / 3600)).expect("enough data");
        assert!((t.mb_per_hour - 3.0).abs() < 0.05 && t.r_squared > 0.99 && !t.leak);
        // Fast but only 12 minutes: 60 MB/h grows just 12 MB.
        let t =
            trend_of(&series(13, 60, |s| 100 * MBU + s * 60 * MBU / 3600)).expect("enough data");
        assert!(t.mb_per_hour > 59.0 && !t.leak, "{t:?}");
        // Shrinking is never a leak.
        let t =
            trend_of(&series(360, 60, |s| 900 * MBU - s * 30 * MBU / 3600)).expect("enough data");
        assert!(t.mb_per_hour < -29.0 && !t.leak);
    }

    #[test]
    fn too_little_data_gives_no_trend() {
        assert!(trend_of(&[]).is_none());
        assert!(trend_of(&series(5, 3600, |s| s * MBU)).is_none());
        // Six samples but only 5 minutes.
        assert!(trend_of(&series(6, 60, |s| s * MBU)).is_none());
        // Exactly 10 minutes is enough.
        assert!(trend_of(&series(6, 120, |s| s * MBU)).is_some());
        // All at the same instant.
        assert!(trend_of(&[(T0, 1); 50]).is_none());

        let mut h = History::new(100, 1 << 20);
        for i in 0..5 {
            h.push(sample(T0 + i * 600, &[("fs", i * 100 * MBU)]));
        }
        assert!(h.trend("fs").is_none());
        assert!(h.trends().is_empty());
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let extreme = [
            (0, u64::MAX),
            (u64::MAX, 0),
            (u64::MAX, u64::MAX),
            (0, 0),
            (1, u64::MAX),
            (u64::MAX - 1, 1),
        ];
        let t = trend_of(&extreme).expect("wide span");
        assert!(t.mb_per_hour.is_finite() && (0.0..=1.0).contains(&t.r_squared));
        let t = trend_of(&series(100, 60, |_| u64::MAX)).expect("enough data");
        assert_eq!(t.mb_per_hour, 0.0);
        let t = trend_of(&series(
            100,
            60,
            |s| if s % 120 == 0 { u64::MAX } else { 0 },
        ))
        .expect("enough data");
        assert!(t.mb_per_hour.is_finite() && !t.leak);
        // Unsorted input gives the same fit as sorted.
        let mut pts = series(60, 60, |s| 100 * MBU + s * 30 * MBU / 3600);
        let sorted = trend_of(&pts);
        pts.reverse();
        assert_eq!(trend_of(&pts), sorted);
        let _ = leak_recommendation("", &t, u64::MAX);
        let _ = leak_recommendation("@", &t, 0);
    }

    #[test]
    fn recommendation_names_the_command() {
        let t = Trend {
            mb_per_hour: 42.3,
            r_squared: 0.97,
            samples: 100,
            span_secs: 7200,
            leak: true,
        };
        assert_eq!(
            leak_recommendation("fs", &t, 380 * MBU),
            "fs grows 42 MB/hour steadily (probable leak): set max_rss (it is 380 MB now) \
             or restart it with `mcpd restart fs`"
        );
        assert_eq!(
            leak_recommendation("fs@work", &t, 380 * MBU),
            "fs@work grows 42 MB/hour steadily (probable leak): set max_rss (it is 380 MB now) \
             or restart it with `mcpd restart fs --session work`"
        );
        let slow = Trend {
            mb_per_hour: 6.25,
            ..t
        };
        let text = leak_recommendation("fs@my session", &slow, 1_500 * MBU);
        assert!(
            text.contains("6.2 MB/hour") || text.contains("6.3 MB/hour"),
            "{text}"
        );
        assert!(text.contains("1.5 GB"), "{text}");
        assert!(
            text.ends_with("`mcpd restart fs --session 'my session'`"),
            "{text}"
        );
        let not_leak = Trend { leak: false, ..t };
        assert!(!leak_recommendation("fs", &not_leak, 0).contains("probable leak"));
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    fn filled(count: u64) -> History {
        let mut h = History::new(1000, 1 << 20);
        for i in 0..count {
            h.push(Sample {
                t: T0 + i * 60,
                processes: 7 + i as u32,
                rss_bytes: 500 * MBU + i,
                servers: vec![("fs".into(), 100 * MBU + i), ("git@work".into(), 9)],
            });
        }
        h
    }

    #[test]
    fn save_load_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("history.jsonl");
        let h = filled(50);
        h.save(&path).expect("save");
        let (loaded, skipped) = History::load(&path, 1000, 1 << 20).expect("load");
        assert_eq!(skipped, 0);
        assert!(loaded.samples().eq(h.samples()));
        // Saving again replaces the file, and no temp files are left behind.
        filled(10).save(&path).expect("save");
        let (loaded, _) = History::load(&path, 1000, 1 << 20).expect("load");
        assert_eq!(loaded.len(), 10);
        let names: Vec<_> = fs::read_dir(dir.path()).expect("read_dir").collect();
        assert_eq!(names.len(), 1);
        // Compact JSON Lines, newest last.
        let text = fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 10);
        assert!(!text.contains(": ") && text.ends_with('\n'));
        assert!(
            text.lines()
                .last()
                .is_some_and(|l| l.contains(&format!("{}", T0 + 9 * 60)))
        );
    }

    #[test]
    fn load_keeps_newest_capacity() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("h.jsonl");
        filled(50).save(&path).expect("save");
        let (loaded, skipped) = History::load(&path, 20, 1 << 20).expect("load");
        assert_eq!((loaded.len(), skipped, loaded.capacity()), (20, 0, 20));
        assert_eq!(loaded.samples().next().map(|s| s.t), Some(T0 + 30 * 60));
    }

    #[test]
    fn saved_file_stays_within_max_file_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("h.jsonl");
        let max = 4096;
        let mut h = History::new(10_000, max);
        for i in 0..10_000u64 {
            h.push(sample(T0 + i, &[("fs", i * 1000), ("git@work", 5)]));
            if i % 1000 == 999 {
                h.save(&path).expect("save");
                assert!(fs::metadata(&path).expect("meta").len() <= max);
            }
        }
        let (loaded, skipped) = History::load(&path, 10_000, max).expect("load");
        assert_eq!(skipped, 0);
        assert!(loaded.len() > 10 && loaded.len() < 100);
        // It is the newest samples that were kept.
        assert_eq!(loaded.last(), h.last());
        let kept: Vec<u64> = loaded.samples().map(|s| s.t).collect();
        assert!(kept.windows(2).all(|w| w[0] + 1 == w[1]));

        // A zero budget writes an empty file rather than failing.
        let mut h0 = History::new(10, 0);
        h0.push(sample(1, &[]));
        h0.save(&path).expect("save");
        assert_eq!(fs::metadata(&path).expect("meta").len(), 0);
    }

    #[test]
    fn load_skips_garbage_and_truncated_last_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("h.jsonl");
        let good = |t: u64| serde_json::to_string(&sample(t, &[("fs", t)])).expect("json");
        let mut text = String::new();
        text.push_str(&good(1));
        text.push_str("\nnot json at all\n\n   \n{\"t\":5}\n");
        text.push_str(&good(2));
        text.push('\n');
        text.push_str("\u{0}\u{7f}");
        text.push('\n');
        text.push_str(&good(3));
        text.push('\n');
        let last = good(4);
        text.push_str(&last[..last.len() / 2]); // crash mid-write, no newline
        fs::write(&path, text).expect("write");
        let (loaded, skipped) = History::load(&path, 100, 1 << 20).expect("load");
        assert_eq!(skipped, 4);
        assert_eq!(loaded.samples().map(|s| s.t).collect::<Vec<_>>(), [1, 2, 3]);

        // Invalid UTF-8 and an enormous newline-free line are skipped too.
        let mut bytes = vec![0xff, 0xfe, b'\n'];
        bytes.extend(std::iter::repeat_n(b'x', 3 << 20));
        bytes.push(b'\n');
        bytes.extend(good(9).bytes());
        fs::write(&path, bytes).expect("write");
        let (loaded, skipped) = History::load(&path, 100, 1 << 30).expect("load");
        assert_eq!(skipped, 2);
        assert_eq!(loaded.last().map(|s| s.t), Some(9));
    }

    #[test]
    fn load_reads_only_the_tail_of_an_oversized_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("h.jsonl");
        filled(100).save(&path).expect("save");
        let len = fs::metadata(&path).expect("meta").len();
        // Half the budget: roughly the newest half loads, and the partial line we
        // land in is dropped silently rather than counted as damage.
        let (loaded, skipped) = History::load(&path, 1000, len / 2).expect("load");
        assert_eq!(skipped, 0);
        assert!(loaded.len() >= 45 && loaded.len() <= 50, "{}", loaded.len());
        assert_eq!(loaded.last().map(|s| s.t), Some(T0 + 99 * 60));
        // A budget landing exactly on a line boundary keeps that whole line.
        let text = fs::read_to_string(&path).expect("read");
        let last_line_len = text.lines().last().map_or(0, |l| l.len() as u64 + 1);
        let (loaded, skipped) = History::load(&path, 1000, last_line_len).expect("load");
        assert_eq!((loaded.len(), skipped), (1, 0));
    }

    #[test]
    fn load_of_missing_file_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (h, skipped) =
            History::load(&dir.path().join("absent.jsonl"), 10, 1 << 20).expect("load");
        assert!(h.is_empty() && h.last().is_none());
        assert_eq!(skipped, 0);
        assert!(h.total_rss_series(10).is_empty());
        // Saving into a missing directory is an error, not a panic.
        assert!(h.save(&dir.path().join("no/such/dir/h.jsonl")).is_err());
        assert!(h.save(Path::new("/")).is_err());
    }

    #[test]
    fn total_rss_series_thins_evenly() {
        let h = filled(100);
        assert!(h.total_rss_series(0).is_empty());
        let all = h.total_rss_series(100);
        assert_eq!(all.len(), 100);
        assert_eq!(h.total_rss_series(1000), all);
        assert_eq!(h.total_rss_series(1), vec![all[99]]);
        let five = h.total_rss_series(5);
        assert_eq!(five.len(), 5);
        assert_eq!(five.first(), all.first());
        assert_eq!(five.last(), all.last());
        // Indices 0, 24, 49, 74, 99: evenly spaced, strictly increasing.
        let idx: Vec<u64> = five.iter().map(|p| (p.0 - T0) / 60).collect();
        assert_eq!(idx, [0, 24, 49, 74, 99]);
        let two = h.total_rss_series(2);
        assert_eq!(two, vec![all[0], all[99]]);
        let ninety_nine = h.total_rss_series(99);
        assert_eq!(ninety_nine.len(), 99);
        assert!(ninety_nine.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
