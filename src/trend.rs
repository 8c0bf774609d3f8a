//! Pure: the RSS trend of a server (a least-squares line, its slope in MB per hour and R²),
//! whether it looks like a leak, and the advice `status` gives about it. Fed by the daemon's
//! history ring (`daemon::history`); no I/O.
//!
//! Units: MB here is 1,000,000 bytes, matching [`crate::units::human_bytes`].

use serde::Serialize;

use crate::output::shell_quote;
use crate::units::human_bytes;

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

#[cfg(test)]
mod tests {
    use super::*;

    const MBU: u64 = 1_000_000;
    const T0: u64 = 1_700_000_000;

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
            text.ends_with(r"`mcpd restart fs --session my\ session`"),
            "{text}"
        );
        let not_leak = Trend { leak: false, ..t };
        assert!(!leak_recommendation("fs", &not_leak, 0).contains("probable leak"));
    }
}
