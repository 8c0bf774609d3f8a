//! [`Dur`] and [`Size`]: a duration and a byte count that (de)serialize as human strings.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::{format_duration_config, format_size_config, parse_duration, parse_size};
#[cfg(doc)]
use super::{human_bytes, human_duration};

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
