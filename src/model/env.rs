//! The environment tags that survive reparenting and `setsid`, as plain values:
//! `TMUX=<socket>,<server pid>,<session id>` (set by tmux in every pane) and
//! `MCPD_OWNER=global:NAME|session:NAME` (set by mcpd on what it spawns). Parsing is pure; reading them
//! from /proc/PID/environ lives in `procs::environ`.

/// The tags mcpd reads from a process's environment.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnvTags {
    pub tmux: Option<TmuxTag>,
    pub tmux_pane: Option<String>,
    pub mcpd_owner: Option<String>,
    /// `MCPD_STATE`: the state directory of the daemon that spawned the process (several daemons with
    /// different state directories can run side by side; each stops only its own).
    pub mcpd_state: Option<String>,
    /// `MCPD_SERVER`: the configured server a spawned process belongs to.
    pub mcpd_server: Option<String>,
    /// The systemd unit the process runs in (from /proc/PID/cgroup), read only for children of a
    /// systemd (PID 1 or a user manager): a `.service` there was started as a service, not orphaned
    /// into it.
    pub unit: Option<String>,
}

/// A parsed `TMUX` value: which tmux server and session a process was born in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TmuxTag {
    pub socket: String,
    pub server_pid: i32,
    /// The number of the session id (`$3` -> 3).
    pub session_id: u32,
}

impl TmuxTag {
    /// Parses `TMUX`; the socket path may itself contain commas, so the two numbers are taken from the end.
    pub fn parse(v: &str) -> Option<TmuxTag> {
        let (rest, sid) = v.rsplit_once(',')?;
        let (socket, spid) = rest.rsplit_once(',')?;
        Some(TmuxTag {
            socket: socket.to_string(),
            server_pid: spid.parse().ok()?,
            session_id: sid.parse().ok()?,
        })
    }
}

impl EnvTags {
    /// Parses a NUL-separated environment block.
    pub fn parse(raw: &[u8]) -> EnvTags {
        let mut tags = EnvTags::default();
        for var in raw.split(|b| *b == 0) {
            if let Some(v) = var.strip_prefix(b"TMUX=") {
                tags.tmux = TmuxTag::parse(&String::from_utf8_lossy(v));
            } else if let Some(v) = var.strip_prefix(b"TMUX_PANE=") {
                tags.tmux_pane = Some(String::from_utf8_lossy(v).into_owned());
            } else if let Some(v) = var.strip_prefix(b"MCPD_OWNER=") {
                tags.mcpd_owner = Some(String::from_utf8_lossy(v).into_owned());
            } else if let Some(v) = var.strip_prefix(b"MCPD_SERVER=") {
                tags.mcpd_server = Some(String::from_utf8_lossy(v).into_owned());
            } else if let Some(v) = var.strip_prefix(b"MCPD_STATE=") {
                tags.mcpd_state = Some(String::from_utf8_lossy(v).into_owned());
            }
        }
        tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags() {
        let t = EnvTags::parse(
            b"A=1\0TMUX=/tmp/tmux-0/default,4395,3\0TMUX_PANE=%7\0MCPD_OWNER=global:fs\0\0",
        );
        assert_eq!(
            t.tmux,
            Some(TmuxTag {
                socket: "/tmp/tmux-0/default".into(),
                server_pid: 4395,
                session_id: 3
            })
        );
        assert_eq!(t.tmux_pane.as_deref(), Some("%7"));
        assert_eq!(t.mcpd_owner.as_deref(), Some("global:fs"));
    }

    #[test]
    fn socket_with_commas_and_garbage() {
        assert_eq!(
            TmuxTag::parse("/tmp/a,b/sock,12,0").unwrap().socket,
            "/tmp/a,b/sock"
        );
        assert!(TmuxTag::parse("nonsense").is_none());
        assert!(TmuxTag::parse("/s,x,1").is_none());
        assert_eq!(EnvTags::parse(b"TMUX=garbage\0"), EnvTags::default());
    }
}
