//! Writing byte counts and durations back: compact for people, exact for config files.

use std::time::Duration;

#[cfg(doc)]
use super::{parse_duration, parse_size};

use super::{NANOS_PER_DAY, NANOS_PER_HOUR, NANOS_PER_MIN, NANOS_PER_MS, NANOS_PER_SEC};

/// Formats a byte count for humans with SI units: `"0 B"`, `"512 B"`, `"1.2 KB"`, `"9.8 MB"`,
/// `"12 MB"`, `"612 MB"`, `"1 GB"`, `"1.5 GB"`.
///
/// One decimal below 10 (dropped when it is `.0`), none from 10 up; values are rounded to the
/// nearest displayed digit, moving to the next unit when rounding reaches 1000.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KB", "MB", "GB", "TB", "PB", "EB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let n = u128::from(n);
    let mut base: u128 = 1;
    for (i, unit) in UNITS.iter().enumerate() {
        base *= 1000;
        let whole = (n + base / 2) / base;
        if whole >= 1000 && i + 1 < UNITS.len() {
            continue;
        }
        let tenths = (n * 10 + base / 2) / base;
        return if tenths < 100 && !tenths.is_multiple_of(10) {
            format!("{}.{} {unit}", tenths / 10, tenths % 10)
        } else if tenths < 100 {
            format!("{} {unit}", tenths / 10)
        } else {
            format!("{whole} {unit}")
        };
    }
    unreachable!("the last unit always returns")
}

/// Formats a duration compactly for humans, rounding down: `"45s"` under a minute, `"12m"`
/// under an hour, `"3h05m"` under a day, then `"2d04h"`. Under a second it shows
/// milliseconds (`"250ms"`), and zero is `"0s"`.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0 if d.subsec_millis() > 0 => format!("{}ms", d.subsec_millis()),
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d{:02}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

/// Formats a duration exactly, in a form [`parse_duration`] reads back to the same value:
/// the largest single unit that divides it (`"2h"`, `"10m"`, `"30s"`, `"1500ms"`), falling
/// back to fractional milliseconds for sub-millisecond precision (`"0.0015ms"`).
pub fn format_duration_config(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    for (unit, size) in [
        ("d", NANOS_PER_DAY),
        ("h", NANOS_PER_HOUR),
        ("m", NANOS_PER_MIN),
        ("s", NANOS_PER_SEC),
        ("ms", NANOS_PER_MS),
    ] {
        if nanos.is_multiple_of(size) {
            return format!("{}{unit}", nanos / size);
        }
    }
    let fraction = format!("{:06}", nanos % NANOS_PER_MS);
    format!(
        "{}.{}ms",
        nanos / NANOS_PER_MS,
        fraction.trim_end_matches('0')
    )
}

/// Formats a byte count exactly, in a form [`parse_size`] reads back to the same value: the
/// largest SI unit that divides it (`"300MB"`, `"1GB"`), else the largest binary unit
/// (`"2GiB"`), else plain bytes (`"1234B"`).
pub fn format_size_config(n: u64) -> String {
    const SI: [(&str, u64); 4] = [
        ("TB", 1_000_000_000_000),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
        ("KB", 1_000),
    ];
    const BINARY: [(&str, u64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    if n == 0 {
        return "0B".to_owned();
    }
    SI.iter()
        .chain(BINARY.iter())
        .find(|(_, size)| n.is_multiple_of(*size))
        .map(|(unit, size)| format!("{}{unit}", n / size))
        .unwrap_or_else(|| format!("{n}B"))
}
