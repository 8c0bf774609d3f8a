//! Total MCP RSS over time for the sparkline, in a bounded ring: the daemon's history when it runs
//! (see `App::set_data`), else the dashboard's own samples, one per refresh, from when it started.

use std::collections::VecDeque;

/// How many samples are kept (at one refresh every 2 s, ten minutes).
pub const CAPACITY: usize = 300;

/// A bounded ring of (time, total RSS) samples, oldest first.
#[derive(Clone, Debug)]
pub struct History {
    samples: VecDeque<(f64, u64)>,
    capacity: usize,
}

impl Default for History {
    fn default() -> Self {
        History::with_capacity(CAPACITY)
    }
}

impl History {
    /// An empty history that keeps at most `capacity` samples (at least one).
    pub fn with_capacity(capacity: usize) -> History {
        let capacity = capacity.max(1);
        History {
            samples: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// Adds a sample taken at `at` (seconds since the epoch), dropping the oldest when full. A sample
    /// that is not newer than the last one replaces it (the same snapshot delivered twice).
    pub fn push(&mut self, at: f64, rss_bytes: u64) {
        if let Some(last) = self.samples.back_mut()
            && at <= last.0
        {
            *last = (at, rss_bytes);
            return;
        }
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back((at, rss_bytes));
    }

    /// How many samples are kept now.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True before the first sample.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The newest `n` values, oldest first.
    pub fn last(&self, n: usize) -> Vec<u64> {
        let skip = self.samples.len().saturating_sub(n);
        self.samples.iter().skip(skip).map(|s| s.1).collect()
    }

    /// The newest value.
    pub fn latest(&self) -> Option<u64> {
        self.samples.back().map(|s| s.1)
    }

    /// The smallest and largest value kept.
    pub fn range(&self) -> Option<(u64, u64)> {
        let min = self.samples.iter().map(|s| s.1).min()?;
        let max = self.samples.iter().map(|s| s.1).max()?;
        Some((min, max))
    }

    /// Seconds between the oldest and the newest sample.
    pub fn span_seconds(&self) -> u64 {
        match (self.samples.front(), self.samples.back()) {
            (Some(a), Some(b)) => (b.0 - a.0).max(0.0) as u64,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_ordered() {
        let mut h = History::with_capacity(3);
        assert!(h.is_empty());
        for i in 0..5u64 {
            h.push(i as f64, i * 10);
        }
        assert_eq!(h.len(), 3);
        assert_eq!(h.last(10), vec![20, 30, 40]);
        assert_eq!(h.last(2), vec![30, 40]);
        assert_eq!(h.latest(), Some(40));
        assert_eq!(h.range(), Some((20, 40)));
        assert_eq!(h.span_seconds(), 2);
    }

    #[test]
    fn default_keeps_three_hundred() {
        let mut h = History::default();
        for i in 0..1000 {
            h.push(f64::from(i), 1);
        }
        assert_eq!(h.len(), CAPACITY);
    }

    #[test]
    fn a_repeated_snapshot_replaces_the_last_sample() {
        let mut h = History::default();
        h.push(5.0, 1);
        h.push(5.0, 2);
        h.push(4.0, 3);
        assert_eq!(h.last(10), vec![3]);
    }
}
