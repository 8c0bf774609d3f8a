//! Client contracts: what in a client changes a server's behaviour toward it, read from the client's
//! first message. Clients with equal contracts may share one server process; any other client needs
//! an instance of its own, because a stdio server negotiates once per process (protocol version,
//! client capabilities) and keeps what it learnt (roots) for everyone on that process.
//!
//! - Handshake era (`initialize`): the protocol version asked for and the declared capabilities,
//!   and, for a client that declares `roots`, its roots: a server serves files from them, so a
//!   roots mix-up exposes one project's files to another. Roots are learnt only after the handshake
//!   (mcpd asks the client, see the router), so a client joins by the rest of its contract and is
//!   moved to another instance if its roots turn out to differ from the instance's.
//! - Stateless era (2026-07-28: `server/discover`, capabilities in each request's `_meta`): the
//!   version only; everything else travels per request and passes through untouched.
//! - A first message of neither kind (a lenient client that skips the handshake): its own group.

use serde_json::Value;

use crate::config::Share;

/// The `_meta` key that carries the protocol version of a stateless-era request.
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";

/// A protocol era: the two never share a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Era {
    /// `initialize` + `notifications/initialized`, then a session per connection.
    Handshake,
    /// 2026-07-28: no handshake, `server/discover`, per-request `_meta`.
    Stateless,
    /// The client's first message said neither.
    Unknown,
}

impl Era {
    pub fn word(self) -> &'static str {
        match self {
            Era::Handshake => "handshake",
            Era::Stateless => "stateless",
            Era::Unknown => "unknown",
        }
    }
}

/// What a client agreed with (or asked of) the server; see the module doc.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Contract {
    pub era: Era,
    /// The protocol version asked for (empty when none was given).
    pub version: String,
    /// The declared client capabilities as canonical JSON (sorted keys); `{}` when none.
    pub capabilities: String,
    /// Set when the client declared `roots`: its roots are its own.
    pub roots: bool,
    /// Its roots (canonical JSON of the `roots/list` result's `roots`), once known.
    pub known_roots: Option<String>,
}

impl Contract {
    /// The contract a client's first line implies (garbage gives the `Unknown` era).
    pub fn of_first_line(line: &str) -> Contract {
        let v: Value = serde_json::from_str(line).unwrap_or(Value::Null);
        let method = v.get("method").and_then(Value::as_str).unwrap_or("");
        let params = v.get("params");
        let str_at = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
        if method == "initialize" {
            let caps = params
                .and_then(|p| p.get("capabilities"))
                .cloned()
                .unwrap_or_else(|| Value::Object(Default::default()));
            return Contract {
                era: Era::Handshake,
                version: str_at(params.and_then(|p| p.get("protocolVersion"))),
                roots: caps.get("roots").is_some(),
                capabilities: canonical(&caps),
                known_roots: None,
            };
        }
        let meta_version = params
            .and_then(|p| p.get("_meta"))
            .and_then(|m| m.get(META_PROTOCOL_VERSION));
        if method == "server/discover" || meta_version.is_some() {
            return Contract {
                era: Era::Stateless,
                version: str_at(meta_version),
                capabilities: "{}".into(),
                roots: false,
                known_roots: None,
            };
        }
        Contract {
            era: Era::Unknown,
            version: String::new(),
            capabilities: "{}".into(),
            roots: false,
            known_roots: None,
        }
    }

    /// Equal but for the roots: the same handshake.
    pub fn same_handshake(&self, other: &Contract) -> bool {
        self.era == other.era
            && self.version == other.version
            && self.capabilities == other.capabilities
    }

    /// The capability names declared, for display (`roots,sampling`).
    pub fn capability_names(&self) -> Vec<String> {
        match serde_json::from_str::<Value>(&self.capabilities) {
            Ok(Value::Object(m)) => m.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// True when the client declared `name` (`sampling`, `elicitation`, `roots`, ...).
    pub fn declares(&self, name: &str) -> bool {
        self.capability_names().iter().any(|n| n == name)
    }

    /// A short description: `handshake 2025-06-18 [roots,sampling]`.
    pub fn describe(&self) -> String {
        let mut s = self.era.word().to_string();
        if !self.version.is_empty() {
            s.push(' ');
            s.push_str(&self.version);
        }
        let caps = self.capability_names();
        if !caps.is_empty() {
            s.push_str(&format!(" [{}]", caps.join(",")));
        }
        if let Some(r) = &self.known_roots {
            s.push_str(&format!(" roots {r}"));
        }
        s
    }

    /// Whether a client with contract `other` may join an instance bound to `self`, under `share`.
    /// `Never` is decided by the caller (one instance per connection).
    pub fn admits(&self, other: &Contract, share: Share) -> bool {
        // Eras and versions never mix: nobody may receive another client's negotiated version.
        if self.era != other.era || self.version != other.version {
            return false;
        }
        match share {
            Share::Always => true,
            // A client with its own roots must not be served another's files; unknown roots are
            // checked once known (the client is moved if they differ).
            Share::Auto | Share::Session => {
                self.capabilities == other.capabilities
                    && match (&self.known_roots, &other.known_roots) {
                        (Some(a), Some(b)) => a == b,
                        _ => true,
                    }
            }
            Share::Never => false,
        }
    }
}

/// JSON with object keys sorted at every level, so equal capabilities compare equal as text.
pub fn canonical(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&m[k]));
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(v).to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn init(version: &str, caps: Value) -> Contract {
        let line = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": caps,
                       "clientInfo": {"name": "c", "version": "1"}}});
        Contract::of_first_line(&line.to_string())
    }

    #[test]
    fn initialize_gives_version_and_capabilities() {
        let c = init(
            "2025-06-18",
            json!({"sampling": {}, "elicitation": {"form": {}}}),
        );
        assert_eq!(c.era, Era::Handshake);
        assert_eq!(c.version, "2025-06-18");
        assert_eq!(c.capability_names(), ["elicitation", "sampling"]);
        assert!(c.declares("sampling") && !c.declares("roots") && !c.roots);
        assert_eq!(c.describe(), "handshake 2025-06-18 [elicitation,sampling]");
        // Key order does not matter; client info does not count.
        let d = init(
            "2025-06-18",
            json!({"elicitation": {"form": {}}, "sampling": {}}),
        );
        assert_eq!(c, d);
    }

    #[test]
    fn discover_and_meta_are_the_stateless_era() {
        let line = json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover",
            "params": {"_meta": {META_PROTOCOL_VERSION: "2026-07-28"}}});
        let c = Contract::of_first_line(&line.to_string());
        assert_eq!((c.era, c.version.as_str()), (Era::Stateless, "2026-07-28"));
        let line = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
            "params": {"_meta": {META_PROTOCOL_VERSION: "2026-07-28"}}});
        assert_eq!(Contract::of_first_line(&line.to_string()), c);
        assert_eq!(Contract::of_first_line("garbage").era, Era::Unknown);
        let line = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
        assert_eq!(Contract::of_first_line(&line.to_string()).era, Era::Unknown);
    }

    #[test]
    fn who_may_share() {
        let plain = init("2025-11-25", json!({}));
        let old = init("2025-06-18", json!({}));
        let sampling = init("2025-11-25", json!({"sampling": {}}));
        let roots = init("2025-11-25", json!({"roots": {"listChanged": true}}));
        let line = json!({"id": 1, "method": "server/discover",
            "params": {"_meta": {META_PROTOCOL_VERSION: "2025-11-25"}}});
        let modern = Contract::of_first_line(&line.to_string());
        assert!(plain.admits(&plain.clone(), Share::Auto));
        assert!(!plain.admits(&old, Share::Auto));
        assert!(!plain.admits(&old, Share::Always), "versions never mix");
        assert!(!plain.admits(&modern, Share::Always), "eras never mix");
        assert!(!plain.admits(&sampling, Share::Auto));
        assert!(plain.admits(&sampling, Share::Always));
        let with = |r: &str| Contract {
            known_roots: Some(r.into()),
            ..roots.clone()
        };
        assert!(
            roots.admits(&roots.clone(), Share::Auto),
            "checked once known"
        );
        assert!(with("[a]").admits(&with("[a]"), Share::Auto));
        assert!(
            !with("[a]").admits(&with("[b]"), Share::Auto),
            "roots are per client"
        );
        assert!(with("[a]").admits(&with("[b]"), Share::Always));
        assert!(!plain.admits(&plain.clone(), Share::Never));
    }
}
