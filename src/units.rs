//! Durations and sizes: parsing what users write in the config and on the command line
//! (`"30s"`, `"1h30m"`, `"300MB"`, `"2GiB"`), and formatting them back for humans
//! (`"3h05m"`, `"1.5 GB"`) or for a config file (`"10m"`, `"300MB"`).
//!
//! Parsing is strict and never panics: every error is a sentence that quotes the offending
//! value and says what was expected, so callers can show it as-is after a file/line prefix.
//! Arithmetic is done in integers (`u128`), so `"1.5GB"` is exactly 1 500 000 000 bytes and
//! anything that does not fit a [`Duration`] or a `u64` is reported as too large.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

const NANOS_PER_MS: u128 = 1_000_000;
const NANOS_PER_SEC: u128 = 1_000_000_000;
const NANOS_PER_MIN: u128 = 60 * NANOS_PER_SEC;
const NANOS_PER_HOUR: u128 = 60 * NANOS_PER_MIN;
const NANOS_PER_DAY: u128 = 24 * NANOS_PER_HOUR;

/// The largest duration `std::time::Duration` can hold, in nanoseconds.
const MAX_DURATION_NANOS: u128 = u64::MAX as u128 * NANOS_PER_SEC + (NANOS_PER_SEC - 1);

const DURATION_HINT: &str = "expected a number followed by ms, s, m, h or d (e.g. \"30s\", \"5m\")";
const SIZE_HINT: &str = "expected a number followed by B, KB, MB, GB, TB, KiB, MiB, GiB or TiB \
                         (e.g. \"300MB\", \"1GB\")";

/// Quotes a user value for an error message, escaping control characters and cutting very long
/// values short so that a garbage input cannot produce a megabyte-long message.
fn quote(s: &str) -> String {
    const MAX_CHARS: usize = 40;
    if s.chars().count() <= MAX_CHARS {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX_CHARS).collect();
        format!("{head:?}…")
    }
}

/// A decimal number as written: whole part and the digits after the point (possibly none).
struct Decimal<'a> {
    whole: u128,
    fraction: &'a str,
}

/// Reads a decimal number (`12`, `1.5`, `.5`) at the start of `s` and returns it with the
/// remaining text. `Ok(None)` means `s` does not start with a number; `Err(())` means the
/// number is too large to represent.
fn take_decimal(s: &str) -> Result<Option<(Decimal<'_>, &str)>, ()> {
    let whole_len = s.bytes().take_while(u8::is_ascii_digit).count();
    let (whole_str, rest) = s.split_at(whole_len);
    let (fraction, rest) = match rest.strip_prefix('.') {
        Some(after_point) => {
            let frac_len = after_point.bytes().take_while(u8::is_ascii_digit).count();
            after_point.split_at(frac_len)
        }
        None => ("", rest),
    };
    if whole_str.is_empty() && fraction.is_empty() {
        return Ok(None);
    }
    let whole = if whole_str.is_empty() {
        0
    } else {
        // 30+ digits would overflow u128 once multiplied by a unit; the caller reports "too large".
        if whole_str.trim_start_matches('0').len() > 30 {
            return Err(());
        }
        whole_str.parse::<u128>().map_err(|_| ())?
    };
    Ok(Some((Decimal { whole, fraction }, rest)))
}

impl Decimal<'_> {
    /// `self × unit`, rounded down, or `None` on overflow. Fraction digits beyond 18 are
    /// ignored: they are below the resolution of any unit we multiply by.
    fn times(&self, unit: u128) -> Option<u128> {
        let whole = self.whole.checked_mul(unit)?;
        let digits = &self.fraction[..self.fraction.len().min(18)];
        if digits.is_empty() {
            return Some(whole);
        }
        let numerator: u128 = digits.parse().ok()?;
        let denominator = 10u128.pow(digits.len() as u32);
        whole.checked_add(numerator.checked_mul(unit)? / denominator)
    }

    /// True when the number has a non-zero fractional part.
    fn has_fraction(&self) -> bool {
        self.fraction.bytes().any(|b| b != b'0')
    }
}

/// Splits off a run of ASCII letters (a unit) at the start of `s`.
fn take_unit(s: &str) -> (&str, &str) {
    let len = s.bytes().take_while(u8::is_ascii_alphabetic).count();
    s.split_at(len)
}

fn duration_unit(unit: &str) -> Option<u128> {
    match unit.to_ascii_lowercase().as_str() {
        "ms" => Some(NANOS_PER_MS),
        "s" => Some(NANOS_PER_SEC),
        "m" => Some(NANOS_PER_MIN),
        "h" => Some(NANOS_PER_HOUR),
        "d" => Some(NANOS_PER_DAY),
        _ => None,
    }
}

/// Parses a duration such as `"30s"`, `"5m"`, `"2h"`, `"1d"`, `"500ms"`, `"1h30m"` or `"1.5h"`.
///
/// A bare number (`"90"`) means seconds. Units are case-insensitive and may be separated from
/// their number and from each other by spaces (`"1h 30m"`). Empty, negative and out-of-range
/// values are errors.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let invalid = |why: &str| format!("invalid duration {}: {why}", quote(s));
    let text = s.trim();
    if text.is_empty() {
        return Err(invalid(&format!("the value is empty; {DURATION_HINT}")));
    }
    if text.starts_with('-') {
        return Err(invalid("a duration must not be negative"));
    }

    let mut total: u128 = 0;
    let mut rest = text;
    let mut components = 0;
    while !rest.is_empty() {
        let (number, after_number) = match take_decimal(rest) {
            Ok(Some(found)) => found,
            Ok(None) => return Err(invalid(DURATION_HINT)),
            Err(()) => return Err(invalid("the value is too large")),
        };
        let (unit, after_unit) = take_unit(after_number.trim_start());
        let nanos_per_unit = if unit.is_empty() {
            // Only a lone number may omit its unit ("90" = 90 s); in "1h30" the 30 is ambiguous.
            if components > 0 || !after_unit.trim().is_empty() {
                return Err(invalid(&format!(
                    "a unit is missing after the last number; {DURATION_HINT}"
                )));
            }
            NANOS_PER_SEC
        } else {
            duration_unit(unit).ok_or_else(|| invalid(DURATION_HINT))?
        };
        let nanos = number
            .times(nanos_per_unit)
            .ok_or_else(|| invalid("the value is too large"))?;
        total = total
            .checked_add(nanos)
            .filter(|t| *t <= MAX_DURATION_NANOS)
            .ok_or_else(|| invalid("the value is too large"))?;
        components += 1;
        rest = after_unit.trim_start();
    }

    let secs = (total / NANOS_PER_SEC) as u64; // fits: total <= MAX_DURATION_NANOS
    let nanos = (total % NANOS_PER_SEC) as u32;
    Ok(Duration::new(secs, nanos))
}

fn size_unit(unit: &str) -> Option<u128> {
    const K: u128 = 1000;
    const KI: u128 = 1024;
    match unit.to_ascii_lowercase().as_str() {
        "" | "b" => Some(1),
        "k" | "kb" => Some(K),
        "m" | "mb" => Some(K.pow(2)),
        "g" | "gb" => Some(K.pow(3)),
        "t" | "tb" => Some(K.pow(4)),
        "kib" => Some(KI),
        "mib" => Some(KI.pow(2)),
        "gib" => Some(KI.pow(3)),
        "tib" => Some(KI.pow(4)),
        _ => None,
    }
}

/// Parses a size in bytes such as `"300MB"`, `"1GB"`, `"1.5GB"`, `"512KB"`, `"2GiB"` or `"1024"`.
///
/// A bare number means bytes. Units are case-insensitive: `B`, `KB`/`K`, `MB`/`M`, `GB`/`G`,
/// `TB`/`T` are powers of 1000; `KiB`, `MiB`, `GiB`, `TiB` are powers of 1024. Fractions are
/// allowed with a unit and rounded down to whole bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let invalid = |why: &str| format!("invalid size {}: {why}", quote(s));
    let text = s.trim();
    if text.is_empty() {
        return Err(invalid(&format!("the value is empty; {SIZE_HINT}")));
    }
    if text.starts_with('-') {
        return Err(invalid("a size must not be negative"));
    }
    let (number, rest) = match take_decimal(text) {
        Ok(Some(found)) => found,
        Ok(None) => return Err(invalid(SIZE_HINT)),
        Err(()) => return Err(invalid("the value is too large")),
    };
    let (unit, rest) = take_unit(rest.trim_start());
    if !rest.trim().is_empty() {
        return Err(invalid(SIZE_HINT));
    }
    let multiplier = size_unit(unit).ok_or_else(|| invalid(SIZE_HINT))?;
    if multiplier == 1 && number.has_fraction() {
        return Err(invalid("a number of bytes must be a whole number"));
    }
    number
        .times(multiplier)
        .and_then(|bytes| u64::try_from(bytes).ok())
        .ok_or_else(|| invalid("the value is too large"))
}

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

/// A [`Duration`] that (de)serializes as a human string such as `"30s"`.
///
/// Deserializes from a duration string (see [`parse_duration`]) or a bare non-negative integer
/// (seconds); serializes to [`format_duration_config`]. `Display` and `FromStr` use the same
/// exact forms, so they round-trip; use [`human_duration`] for display to people.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dur(pub Duration);

/// A size in bytes that (de)serializes as a human string such as `"300MB"`.
///
/// Deserializes from a size string (see [`parse_size`]) or a bare non-negative integer (bytes);
/// serializes to [`format_size_config`]. `Display` and `FromStr` use the same exact forms, so
/// they round-trip; use [`human_bytes`] for display to people.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Size(pub u64);

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration_config(self.0))
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_size_config(self.0))
    }
}

impl FromStr for Dur {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_duration(s).map(Dur)
    }
}

impl FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_size(s).map(Size)
    }
}

impl From<Duration> for Dur {
    fn from(d: Duration) -> Self {
        Dur(d)
    }
}

impl From<Dur> for Duration {
    fn from(d: Dur) -> Self {
        d.0
    }
}

impl From<u64> for Size {
    fn from(n: u64) -> Self {
        Size(n)
    }
}

impl From<Size> for u64 {
    fn from(s: Size) -> Self {
        s.0
    }
}

impl serde::Serialize for Dur {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_duration_config(self.0))
    }
}

impl serde::Serialize for Size {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_size_config(self.0))
    }
}

/// Visitor shared by [`Dur`] and [`Size`]: a string goes through `parse`, a non-negative
/// integer through `from_int`.
struct UnitVisitor<T> {
    expecting: &'static str,
    parse: fn(&str) -> Result<T, String>,
    from_int: fn(u64) -> T,
}

impl<T> serde::de::Visitor<'_> for UnitVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        Ok((self.from_int)(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        u64::try_from(v)
            .map(self.from_int)
            .map_err(|_| E::custom("must not be negative"))
    }

    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<T, E> {
        if v < 0 {
            return Err(E::custom("must not be negative"));
        }
        self.visit_u128(v as u128)
    }

    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<T, E> {
        u64::try_from(v)
            .map(self.from_int)
            .map_err(|_| E::custom("the number is too large"))
    }
}

impl<'de> serde::Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UnitVisitor {
            expecting: "a duration string like \"30s\" or a number of seconds",
            parse: |s| parse_duration(s).map(Dur),
            from_int: |secs| Dur(Duration::from_secs(secs)),
        })
    }
}

impl<'de> serde::Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UnitVisitor {
            expecting: "a size string like \"300MB\" or a number of bytes",
            parse: |s| parse_size(s).map(Size),
            from_int: Size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("30s"), Ok(secs(30)));
        assert_eq!(parse_duration("5m"), Ok(secs(300)));
        assert_eq!(parse_duration("2h"), Ok(secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(secs(86_400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn durations_compound_bare_and_spaced() {
        assert_eq!(parse_duration("1h30m"), Ok(secs(5400)));
        assert_eq!(
            parse_duration("1d2h3m4s5ms"),
            Ok(Duration::new(93_784, 5_000_000))
        );
        assert_eq!(parse_duration("90"), Ok(secs(90)));
        assert_eq!(parse_duration("  45s \n"), Ok(secs(45)));
        assert_eq!(parse_duration("1h 30m"), Ok(secs(5400)));
        assert_eq!(parse_duration("30 s"), Ok(secs(30)));
        assert_eq!(parse_duration("5M"), Ok(secs(300)));
        assert_eq!(parse_duration("250MS"), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn durations_with_fractions() {
        assert_eq!(parse_duration("1.5h"), Ok(secs(5400)));
        assert_eq!(parse_duration("0.5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration(".25s"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0.0015ms"), Ok(Duration::from_nanos(1500)));
    }

    #[test]
    fn bad_durations_are_explained() {
        assert_eq!(
            parse_duration("5x").unwrap_err(),
            "invalid duration \"5x\": expected a number followed by ms, s, m, h or d \
             (e.g. \"30s\", \"5m\")"
        );
        for bad in [
            "",
            "   ",
            "s",
            "abc",
            "5 x",
            "1h30",
            "1h 30",
            "5s garbage",
            "1..5s",
            "+5s",
        ] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.starts_with("invalid duration "), "{bad:?}: {err}");
            assert!(err.contains(&format!("{:?}", bad)), "{bad:?}: {err}");
        }
        assert!(parse_duration("").unwrap_err().contains("empty"));
        assert!(
            parse_duration("1h30")
                .unwrap_err()
                .contains("unit is missing")
        );
    }

    #[test]
    fn negative_and_overflowing_durations_are_rejected() {
        assert!(parse_duration("-5s").unwrap_err().contains("negative"));
        assert!(parse_duration(" -1").unwrap_err().contains("negative"));
        let huge = "99999999999999999999999999999999999999999999999999d";
        assert!(parse_duration(huge).unwrap_err().contains("too large"));
        assert!(
            parse_duration("18446744073709551615d")
                .unwrap_err()
                .contains("too large")
        );
        // Each part fits, but their sum does not.
        let sum = format!("{}s{}s", u64::MAX, u64::MAX);
        assert!(parse_duration(&sum).unwrap_err().contains("too large"));
        // The largest representable whole-second duration still parses.
        assert_eq!(parse_duration(&u64::MAX.to_string()), Ok(secs(u64::MAX)));
    }

    #[test]
    fn long_garbage_is_cut_short_in_messages() {
        let garbage = "x".repeat(10_000);
        let err = parse_duration(&garbage).unwrap_err();
        assert!(err.len() < 200, "{err}");
        assert!(err.contains('…'));
        let err = parse_size("\u{0}\u{7f}\u{1b}[31m").unwrap_err();
        assert!(err.contains("\\0"), "{err}");
    }

    #[test]
    fn sizes_in_every_unit() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("12B"), Ok(12));
        assert_eq!(parse_size("512KB"), Ok(512_000));
        assert_eq!(parse_size("512k"), Ok(512_000));
        assert_eq!(parse_size("300MB"), Ok(300_000_000));
        assert_eq!(parse_size("300m"), Ok(300_000_000));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("1g"), Ok(1_000_000_000));
        assert_eq!(parse_size("2TB"), Ok(2_000_000_000_000));
        assert_eq!(parse_size("2t"), Ok(2_000_000_000_000));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size("100MiB"), Ok(100 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1TiB"), Ok(1 << 40));
    }

    #[test]
    fn sizes_case_spaces_and_fractions() {
        assert_eq!(parse_size("1gib"), Ok(1 << 30));
        assert_eq!(parse_size("1GIB"), Ok(1 << 30));
        assert_eq!(parse_size("300mb"), Ok(300_000_000));
        assert_eq!(parse_size(" 300 MB "), Ok(300_000_000));
        assert_eq!(parse_size("1.5GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("0.5KiB"), Ok(512));
        assert_eq!(parse_size("1.0B"), Ok(1));
        // Below one byte of resolution rounds down.
        assert_eq!(parse_size("1.0001KB"), Ok(1000));
    }

    #[test]
    fn bad_sizes_are_explained() {
        assert_eq!(
            parse_size("300XB").unwrap_err(),
            "invalid size \"300XB\": expected a number followed by B, KB, MB, GB, TB, KiB, \
             MiB, GiB or TiB (e.g. \"300MB\", \"1GB\")"
        );
        for bad in [
            "", "MB", "1 2MB", "1MB2", "1MBB", "lots", "1e9", "0x10", "1,5GB",
        ] {
            let err = parse_size(bad).unwrap_err();
            assert!(err.starts_with("invalid size "), "{bad:?}: {err}");
        }
        assert!(parse_size("-1MB").unwrap_err().contains("negative"));
        assert!(parse_size("1.5").unwrap_err().contains("whole number"));
        assert!(parse_size("1.5B").unwrap_err().contains("whole number"));
        assert!(
            parse_size("18446744073709551616")
                .unwrap_err()
                .contains("too large")
        );
        assert!(parse_size("20000000TB").unwrap_err().contains("too large"));
        assert!(
            parse_size(&"9".repeat(500))
                .unwrap_err()
                .contains("too large")
        );
        assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn human_bytes_examples() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1000), "1 KB");
        assert_eq!(human_bytes(1_234), "1.2 KB");
        assert_eq!(human_bytes(9_800_000), "9.8 MB");
        assert_eq!(human_bytes(9_960_000), "10 MB");
        assert_eq!(human_bytes(12_300_000), "12 MB");
        assert_eq!(human_bytes(612_000_000), "612 MB");
        assert_eq!(human_bytes(999_600), "1 MB");
        assert_eq!(human_bytes(300_000_000), "300 MB");
        assert_eq!(human_bytes(1_000_000_000), "1 GB");
        assert_eq!(human_bytes(1_500_000_000), "1.5 GB");
        assert_eq!(human_bytes(u64::MAX), "18 EB");
    }

    #[test]
    fn human_duration_examples() {
        assert_eq!(human_duration(Duration::ZERO), "0s");
        assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(human_duration(secs(45)), "45s");
        assert_eq!(human_duration(secs(59)), "59s");
        assert_eq!(human_duration(secs(60)), "1m");
        assert_eq!(human_duration(secs(12 * 60 + 59)), "12m");
        assert_eq!(human_duration(secs(3 * 3600 + 5 * 60 + 7)), "3h05m");
        assert_eq!(human_duration(secs(2 * 86_400 + 4 * 3600 + 59)), "2d04h");
        assert_eq!(human_duration(Duration::MAX), "213503982334601d07h");
    }

    #[test]
    fn format_duration_config_round_trips() {
        assert_eq!(format_duration_config(secs(30)), "30s");
        assert_eq!(format_duration_config(secs(600)), "10m");
        assert_eq!(format_duration_config(secs(7200)), "2h");
        assert_eq!(format_duration_config(secs(86_400)), "1d");
        assert_eq!(format_duration_config(secs(90)), "90s");
        assert_eq!(
            format_duration_config(Duration::from_millis(1500)),
            "1500ms"
        );
        assert_eq!(format_duration_config(Duration::ZERO), "0s");
        assert_eq!(
            format_duration_config(Duration::from_nanos(1500)),
            "0.0015ms"
        );
        for d in [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_nanos(1_234_567_891),
            Duration::from_millis(1),
            secs(3 * 3600 + 1),
            Duration::MAX,
            Duration::new(u64::MAX, 0),
        ] {
            let text = format_duration_config(d);
            assert_eq!(parse_duration(&text), Ok(d), "{text}");
        }
    }

    #[test]
    fn format_size_config_round_trips() {
        assert_eq!(format_size_config(0), "0B");
        assert_eq!(format_size_config(300_000_000), "300MB");
        assert_eq!(format_size_config(1_000_000_000), "1GB");
        assert_eq!(format_size_config(2 << 30), "2GiB");
        assert_eq!(format_size_config(1024), "1KiB");
        assert_eq!(format_size_config(1234), "1234B");
        for n in [0, 1, 999, 1000, 1024, 1536, 123_456_789, 5 << 40, u64::MAX] {
            let text = format_size_config(n);
            assert_eq!(parse_size(&text), Ok(n), "{text}");
        }
    }

    #[test]
    fn newtypes_display_and_from_str() {
        assert_eq!(Dur(secs(30)).to_string(), "30s");
        assert_eq!(Size(300_000_000).to_string(), "300MB");
        assert_eq!("1h30m".parse::<Dur>(), Ok(Dur(secs(5400))));
        assert_eq!("2GiB".parse::<Size>(), Ok(Size(2 << 30)));
        assert!("nope".parse::<Dur>().is_err());
        assert!(Dur(secs(1)) < Dur(secs(2)));
        assert_eq!(Duration::from(Dur::from(secs(3))), secs(3));
        assert_eq!(u64::from(Size::from(7)), 7);
    }

    #[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
    struct Sample {
        d: Dur,
        s: Size,
    }

    #[test]
    fn newtypes_deserialize_strings_and_integers() {
        let v: Sample = toml::from_str("d = \"1h30m\"\ns = \"1.5GB\"").unwrap();
        assert_eq!(
            v,
            Sample {
                d: Dur(secs(5400)),
                s: Size(1_500_000_000)
            }
        );
        let v: Sample = toml::from_str("d = 90\ns = 1024").unwrap();
        assert_eq!(
            v,
            Sample {
                d: Dur(secs(90)),
                s: Size(1024)
            }
        );
    }

    #[test]
    fn newtypes_reject_bad_values() {
        for bad in [
            "d = \"5x\"\ns = 1",
            "d = -5\ns = 1",
            "d = 1\ns = -1",
            "d = true\ns = 1",
            "d = 1\ns = \"300XB\"",
            "d = 1\ns = 1.5",
            "d = [1]\ns = 1",
        ] {
            assert!(toml::from_str::<Sample>(bad).is_err(), "{bad}");
        }
        let err = toml::from_str::<Sample>("d = \"5x\"\ns = 1").unwrap_err();
        assert!(err.message().contains("invalid duration \"5x\""), "{err}");
        let err = toml::from_str::<Sample>("d = -5\ns = 1").unwrap_err();
        assert!(err.message().contains("negative"), "{err}");
    }

    #[test]
    fn newtypes_serialize_to_strings_that_read_back() {
        let sample = Sample {
            d: Dur(Duration::from_millis(1500)),
            s: Size(2 << 30),
        };
        let text = toml::to_string(&sample).unwrap();
        assert_eq!(text, "d = \"1500ms\"\ns = \"2GiB\"\n");
        assert_eq!(toml::from_str::<Sample>(&text).unwrap(), sample);
    }
}
