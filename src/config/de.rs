//! Deserialize helpers for the schema: units through `Dur`/`Size`, strings the OS will see
//! (no NUL), keyword enums, server and environment names, and partial threshold pairs.
//!
//! Their errors are sentences about the value; toml adds the span and `errors` adds the key.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, IntoDeserializer, Visitor};

use super::schema::{ServerConfig, Share, Threshold, Thresholds};
use crate::units::{Dur, Size};

/// The longest server name: the name becomes a file name.
pub(super) const MAX_SERVER_NAME_LEN: usize = 64;

pub(super) fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    Dur::deserialize(d).map(Duration::from)
}

pub(super) fn some_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

pub(super) fn size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Size::deserialize(d).map(u64::from)
}

pub(super) fn some_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    size(d).map(Some)
}

/// A string that will be handed to the OS (program, argument, path, environment), where a NUL
/// byte cannot be represented.
struct OsText(String);

impl<'de> Deserialize<'de> for OsText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Checked inside the visitor, so that toml puts the error at this very string (an
        // array item, say) rather than at whatever contains it.
        struct OsTextVisitor;
        impl Visitor<'_> for OsTextVisitor {
            type Value = OsText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<OsText, E> {
                if text.contains('\0') {
                    return Err(E::custom("must not contain a NUL character"));
                }
                Ok(OsText(text.to_owned()))
            }
        }
        d.deserialize_string(OsTextVisitor)
    }
}

pub(super) fn os_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    OsText::deserialize(d).map(|t| t.0)
}

pub(super) fn some_os_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    os_string(d).map(Some)
}

pub(super) fn os_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Vec::<OsText>::deserialize(d)?
        .into_iter()
        .map(|t| t.0)
        .collect())
}

/// An environment variable name. The kernel's environment block is `NAME=value\0`: neither may
/// hold NUL, and a name with `=` would be split differently by whoever reads it back.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct EnvName(String);

impl<'de> Deserialize<'de> for EnvName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        if name.is_empty() || name.contains(['=', '\0']) {
            return Err(de::Error::custom(
                "environment variable names must not be empty or contain `=` or NUL",
            ));
        }
        Ok(EnvName(name))
    }
}

pub(super) fn env<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let env = BTreeMap::<EnvName, OsText>::deserialize(d)?;
    Ok(env.into_iter().map(|(k, v)| (k.0, v.0)).collect())
}

/// A server name: `[A-Za-z0-9_.-]{1,64}`, and not `.` or `..`, because it becomes a file name.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct ServerName(String);

impl<'de> Deserialize<'de> for ServerName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        if !valid_server_name(&name) {
            return Err(de::Error::custom(format!(
                "invalid server name {}: use 1 to {MAX_SERVER_NAME_LEN} of the characters \
                 A-Z a-z 0-9 _ . - (the name becomes a file name)",
                super::errors::quote(&name)
            )));
        }
        Ok(ServerName(name))
    }
}

pub(super) fn valid_server_name(name: &str) -> bool {
    (1..=MAX_SERVER_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && name != "."
        && name != ".."
}

pub(super) fn servers<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, ServerConfig>, D::Error> {
    let servers = BTreeMap::<ServerName, ServerConfig>::deserialize(d)?;
    Ok(servers.into_iter().map(|(k, v)| (k.0, v)).collect())
}

/// One side of a threshold pair as written: `None` keeps that side's default.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Partial<T> {
    warn: Option<T>,
    crit: Option<T>,
}

/// `[thresholds]` as written; `From` completes it with the defaults.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct PartialThresholds {
    processes: Option<Partial<u64>>,
    rss: Option<Partial<Size>>,
    detached_sessions: Option<Partial<u64>>,
    orphans: Option<Partial<u64>>,
}

fn complete<T: Into<u64>>(given: Option<Partial<T>>, default: Threshold) -> Threshold {
    let Some(given) = given else { return default };
    Threshold {
        warn: given.warn.map_or(default.warn, Into::into),
        crit: given.crit.map_or(default.crit, Into::into),
    }
}

impl From<PartialThresholds> for Thresholds {
    fn from(p: PartialThresholds) -> Self {
        let d = Thresholds::default();
        Thresholds {
            processes: complete(p.processes, d.processes),
            rss: complete(p.rss, d.rss),
            detached_sessions: complete(p.detached_sessions, d.detached_sessions),
            orphans: complete(p.orphans, d.orphans),
        }
    }
}

/// The names serde knows for `T`: a struct's keys or an enum's variants, as spelled in the
/// file (after `rename`/`rename_all`). Asked of the derived code itself, so the spelling is
/// written down once, in the schema's serde attributes.
pub(super) fn names<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(NameProbe(&mut names));
    names
}

/// A deserializer that only records the names it is asked for and then fails.
struct NameProbe<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for NameProbe<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("only names are probed"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("only names are probed"))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = variants;
        Err(de::Error::custom("only names are probed"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// `"a", "b", "c"`: the spellings of a keyword enum, for messages.
pub(super) fn choices<T: for<'de> Deserialize<'de>>() -> String {
    names::<T>()
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A keyword enum from its string, with a message listing every spelling.
pub(super) fn keyword<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> Deserialize<'a>,
{
    d.deserialize_any(KeywordVisitor(PhantomData))
}

struct KeywordVisitor<T>(PhantomData<T>);

impl<T: for<'a> Deserialize<'a>> Visitor<'_> for KeywordVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "one of {}", choices::<T>())
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        let parsed: Result<T, de::value::Error> = T::deserialize(text.into_deserializer());
        parsed.map_err(|_| {
            E::custom(format!(
                "expected one of {}, found {}",
                choices::<T>(),
                super::errors::quote(text)
            ))
        })
    }
}

/// `share`: a keyword, or the older boolean (`false` is `"never"`, `true` is `"auto"`).
pub(super) fn share<'de, D: Deserializer<'de>>(d: D) -> Result<Share, D::Error> {
    struct ShareVisitor;
    impl Visitor<'_> for ShareVisitor {
        type Value = Share;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            KeywordVisitor::<Share>(PhantomData).expecting(f)
        }
        fn visit_bool<E: de::Error>(self, shared: bool) -> Result<Share, E> {
            Ok(if shared { Share::Auto } else { Share::Never })
        }
        fn visit_str<E: de::Error>(self, text: &str) -> Result<Share, E> {
            KeywordVisitor(PhantomData).visit_str(text)
        }
    }
    d.deserialize_any(ShareVisitor)
}

/// Gives keyword enums `as_str`, `Display` and `FromStr`, all from the serde spelling.
macro_rules! keywords {
    ($($ty:ident),+ $(,)?) => {$(
        impl $ty {
            /// The spelling used in the config file.
            pub fn as_str(self) -> &'static str {
                super::de::names::<$ty>()[self as usize]
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = String;
            /// Parses the config-file spelling.
            fn from_str(text: &str) -> Result<Self, String> {
                let parsed: Result<Self, serde::de::value::Error> =
                    serde::Deserialize::deserialize(
                        serde::de::IntoDeserializer::into_deserializer(text),
                    );
                parsed.map_err(|_| {
                    format!("expected one of {}, found {text:?}", super::de::choices::<$ty>())
                })
            }
        }
    )+};
}
pub(super) use keywords;
