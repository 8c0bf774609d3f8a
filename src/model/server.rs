//! A supervised server as the daemon reports it, and the daemon's view of itself: one [`ServerRow`] is
//! what the daemon answers on its control socket, what `status` prints and `status --json` emits, and
//! what the dashboard draws (so its fields are never copied by hand between a wire type and a report type).

use serde::{Deserialize, Serialize, Serializer};

/// A configured or recorded server instance (from the daemon when it runs, else from the records).
/// Field names are those of `status --json`; on the control socket the uptime travels as `uptime_secs`
/// (see [`DaemonStatus`]), and either name is read. Missing fields default (an older daemon's answer).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerRow {
    pub name: String,
    pub scope: String,
    pub session: Option<String>,
    pub pid: Option<i32>,
    /// `starting`, `running`, `stopped`, `backoff`, `failed`, `exited`, `idle` (on-connect, not started).
    pub state: String,
    /// RSS of the server's whole tree.
    pub rss_bytes: u64,
    pub restarts: u32,
    #[serde(alias = "uptime_secs")]
    pub uptime_seconds: Option<u64>,
    pub last_exit: Option<String>,
    /// The last lines of its log, when it failed.
    pub last_log: Vec<String>,
    /// Connected `mcpd connect` clients.
    pub clients: u32,
    /// Their tmux sessions (`-`: outside tmux).
    pub client_sessions: Vec<String>,
    /// Which instance of the server's pool (`fs`, `fs#1`, `fs@session`): one per client contract.
    pub instance: Option<String>,
    /// The contract its clients share (`handshake 2025-06-18 [roots] roots [...]`), once one joined.
    pub contract: Option<String>,
    /// RSS trend over the daemon's history window, MB per hour.
    pub trend_mb_per_hour: Option<f64>,
    /// Steady linear growth: a probable leak.
    pub leak: bool,
    /// Restarts or stops for exceeding `max_rss`.
    pub rss_actions: u32,
}

/// The daemon's view of itself and its servers: its answer to a status request, and what the health
/// report merges in.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DaemonStatus {
    pub pid: i32,
    pub version: String,
    pub uptime_secs: u64,
    pub sweeps: u64,
    /// Duration of the last sweep.
    pub last_sweep_ms: u64,
    /// Passes over /proc the daemon has made (sweeps, stops without a sweep to start from): control
    /// requests leave it unchanged.
    #[serde(default)]
    pub proc_passes: u64,
    #[serde(serialize_with = "wire_rows")]
    pub servers: Vec<ServerRow>,
    /// Recommendations from the history (leaks).
    pub recommendations: Vec<String>,
    /// Total RSS over time, oldest first: (unix secs, bytes).
    pub rss_history: Vec<(u64, u64)>,
}

/// What asking the daemon found: a gathering asks once and hands this to the report and the rows.
#[derive(Clone, Debug, Default)]
pub enum DaemonSeen {
    /// It answered.
    Answered(Box<DaemonStatus>),
    /// It runs (holds its lock) but did not answer: busy, say stopping a server.
    Busy { pid: i32 },
    /// No daemon runs.
    #[default]
    Absent,
}

impl DaemonSeen {
    /// The servers it reported (none unless it answered).
    pub fn servers(&self) -> &[ServerRow] {
        match self {
            DaemonSeen::Answered(d) => &d.servers,
            _ => &[],
        }
    }
}

/// The rows as the control protocol has always carried them: the uptime as `uptime_secs`, so a client
/// of another mcpd version reads it.
fn wire_rows<S: Serializer>(rows: &[ServerRow], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::{Error, SerializeSeq};
    let mut seq = s.serialize_seq(Some(rows.len()))?;
    for row in rows {
        let mut v = serde_json::to_value(row).map_err(S::Error::custom)?;
        if let Some(obj) = v.as_object_mut()
            && let Some(up) = obj.remove("uptime_seconds")
        {
            obj.insert("uptime_secs".into(), up);
        }
        seq.serialize_element(&v)?;
    }
    seq.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_keeps_its_field_names_and_the_report_its_own() {
        let row = ServerRow {
            name: "fs".into(),
            uptime_seconds: Some(7),
            ..ServerRow::default()
        };
        let report = serde_json::to_value(&row).unwrap();
        assert_eq!(report["uptime_seconds"], 7);
        assert!(report.get("uptime_secs").is_none());
        let status = DaemonStatus {
            servers: vec![row.clone()],
            ..DaemonStatus::default()
        };
        let wire = serde_json::to_value(&status).unwrap();
        let keys: Vec<&str> = wire["servers"][0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = vec![
            "name",
            "scope",
            "session",
            "pid",
            "state",
            "restarts",
            "rss_bytes",
            "uptime_secs",
            "last_exit",
            "last_log",
            "rss_actions",
            "clients",
            "client_sessions",
            "instance",
            "contract",
            "trend_mb_per_hour",
            "leak",
        ];
        want.sort_unstable();
        assert_eq!(keys, want);
        let back: DaemonStatus = serde_json::from_value(wire).unwrap();
        assert_eq!(back.servers, [row]);
    }

    #[test]
    fn an_older_daemons_rows_still_read() {
        let old = r#"{"name":"fs","scope":"global","session":null,"pid":4,"state":"running",
            "restarts":1,"rss_bytes":9,"uptime_secs":3,"last_exit":null,"last_log":[],
            "rss_actions":0,"clients":2,"trend_mb_per_hour":null,"leak":false}"#;
        let row: ServerRow = serde_json::from_str(old).unwrap();
        assert_eq!(
            (row.pid, row.uptime_seconds, row.clients, row.instance),
            (Some(4), Some(3), 2, None)
        );
    }
}
