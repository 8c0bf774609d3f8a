//! Who a process belongs to: a global server, or a tmux session. Written as `global:NAME` /
//! `session:NAME` in records, in `MCPD_OWNER`, and in `ps --json`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The owner of a recorded process.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    /// A `scope = "global"` server, by name.
    Global(String),
    /// A tmux session, by name.
    Session(String),
}

impl Owner {
    /// Parses `global:NAME` or `session:NAME` (NAME non-empty; a session name may contain `:`).
    pub fn parse(s: &str) -> Result<Owner, String> {
        match s.split_once(':') {
            Some(("global", n)) if !n.is_empty() => Ok(Owner::Global(n.to_string())),
            Some(("session", n)) if !n.is_empty() => Ok(Owner::Session(n.to_string())),
            _ => Err(format!(
                "invalid owner {s:?}: expected \"global:NAME\" or \"session:NAME\""
            )),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Owner::Global(n) | Owner::Session(n) => n,
        }
    }

    pub fn session(&self) -> Option<&str> {
        match self {
            Owner::Session(n) => Some(n),
            Owner::Global(_) => None,
        }
    }

    /// The record file's name: `global-NAME.json` or `session-NAME.json`, with every byte outside
    /// `[A-Za-z0-9_-]` percent-encoded so hostile session names (`/`, `..`, newlines) stay one plain
    /// file. Very long names are shortened and made unique with a hash.
    pub fn file_name(&self) -> String {
        let (kind, name) = match self {
            Owner::Global(n) => ("global", n),
            Owner::Session(n) => ("session", n),
        };
        let mut enc = String::with_capacity(name.len());
        for b in name.bytes() {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                enc.push(b as char);
            } else {
                enc.push_str(&format!("%{b:02X}"));
            }
        }
        if enc.len() > 160 {
            let mut cut = 120;
            while !enc.is_char_boundary(cut) {
                cut -= 1;
            }
            enc = format!("{}~{:016x}", &enc[..cut], fnv1a(name.as_bytes()));
        }
        format!("{kind}-{enc}.json")
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Global(n) => write!(f, "global:{n}"),
            Owner::Session(n) => write!(f, "session:{n}"),
        }
    }
}

impl Serialize for Owner {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Owner {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Owner, D::Error> {
        let s = String::deserialize(d)?;
        Owner::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in ["global:fs", "session:my_proj", "session:a:b"] {
            assert_eq!(Owner::parse(s).unwrap().to_string(), s);
        }
        for bad in ["", "global:", "x:y", "session", ":a"] {
            assert!(Owner::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_names_are_flat_and_distinct() {
        let names = [
            "../../etc/passwd",
            "a/b",
            ".hidden",
            "a b",
            "a%20b",
            "$(touch x)",
            "日本",
            "\n",
        ];
        let files: Vec<String> = names
            .iter()
            .map(|n| Owner::Session(n.to_string()).file_name())
            .collect();
        for f in &files {
            assert!(
                !f.contains('/') && !f.starts_with('.') && f.is_ascii(),
                "{f}"
            );
        }
        let unique: std::collections::HashSet<_> = files.iter().collect();
        assert_eq!(unique.len(), files.len());
        let long = Owner::Session("x".repeat(5000)).file_name();
        let long2 = Owner::Session(format!("{}y", "x".repeat(4999))).file_name();
        assert!(long.len() < 200 && long != long2);
        assert_ne!(
            Owner::Global("a".into()).file_name(),
            Owner::Session("a".into()).file_name()
        );
    }
}
