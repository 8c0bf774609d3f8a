//! Reading durations (`"1h30m"`) and sizes (`"300MB"`) as users write them.

use std::time::Duration;

use super::{NANOS_PER_DAY, NANOS_PER_HOUR, NANOS_PER_MIN, NANOS_PER_MS, NANOS_PER_SEC};

/// The largest duration `std::time::Duration` can hold, in nanoseconds.
const MAX_DURATION_NANOS: u128 = u64::MAX as u128 * NANOS_PER_SEC + (NANOS_PER_SEC - 1);

const DURATION_HINT: &str = "expected a number followed by ms, s, m, h or d (e.g. \"30s\", \"5m\")";
const SIZE_HINT: &str = "expected a number followed by B, KB, MB, GB, TB, KiB, MiB, GiB or TiB \
                         (e.g. \"300MB\", \"1GB\")";

/// Quotes a user value for an error message, escaping control characters and cutting very long
/// values short so that a garbage input cannot produce a megabyte-long message.
pub fn quote(s: &str) -> String {
    const MAX_CHARS: usize = 64;
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
