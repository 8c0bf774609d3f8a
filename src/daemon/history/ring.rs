//! The ring itself: pushing bounded samples, reading them back, and each server's series.

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;

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
