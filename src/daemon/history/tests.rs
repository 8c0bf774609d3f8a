//! Tests of the ring (bounds, normalised servers, per-server trends) and of the file.

use std::fs;
use std::path::Path;
use std::time::Duration;

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
fn a_history_with_too_few_samples_has_no_trends() {
    let mut h = History::new(100, 1 << 20);
    for i in 0..5 {
        h.push(sample(T0 + i * 600, &[("fs", i * 100 * MBU)]));
    }
    assert!(h.trend("fs").is_none());
    assert!(h.trends().is_empty());
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
    let (h, skipped) = History::load(&dir.path().join("absent.jsonl"), 10, 1 << 20).expect("load");
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
