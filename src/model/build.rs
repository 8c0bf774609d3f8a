//! Building plain values by hand: the one way tests (unit, integration, benches) make synthetic
//! processes and records, so a new field is added here once and not in every test.
//!
//! ```
//! use mcpd::model::{Origin, Owner, ProcInfo, Record};
//! let p = ProcInfo::new(40, 1, &["node", "/x/mcp-server-fs"]).with_uid(1000).with_rss(5 << 20);
//! let r = Record::of(&p, Owner::Session("work".into()), Origin::Adopted);
//! assert_eq!((p.comm.as_str(), r.pid, r.command.as_str()), ("node", 40, "node /x/mcp-server-fs"));
//! ```

use super::{EnvTags, Identity, Origin, Owner, ProcInfo, Record};

impl ProcInfo {
    /// A sleeping process with this pid, parent and command line; its `comm` is the base name of
    /// `argv[0]`, cut to 15 bytes as the kernel does; process group and session are its own pid.
    pub fn new(pid: i32, ppid: i32, argv: &[&str]) -> ProcInfo {
        let comm: String = argv
            .first()
            .map_or("", |a| a.rsplit('/').next().unwrap_or(a))
            .chars()
            .take(15)
            .collect();
        ProcInfo {
            pid,
            ppid,
            pgid: pid,
            sid: pid,
            comm,
            cmdline: argv.iter().map(|s| s.to_string()).collect(),
            state: 'S',
            ..ProcInfo::default()
        }
    }

    pub fn with_uid(mut self, uid: u32) -> ProcInfo {
        self.uid = uid;
        self
    }

    /// Started at `ticks` clock ticks after boot (with `pid`, its identity).
    pub fn with_start(mut self, ticks: u64) -> ProcInfo {
        self.start_ticks = ticks;
        self
    }

    pub fn with_rss(mut self, bytes: u64) -> ProcInfo {
        self.rss_bytes = bytes;
        self
    }

    pub fn with_comm(mut self, comm: &str) -> ProcInfo {
        self.comm = comm.into();
        self
    }

    /// The state letter (`Z` for a zombie).
    pub fn with_state(mut self, state: char) -> ProcInfo {
        self.state = state;
        self
    }

    pub fn with_pgid(mut self, pgid: i32) -> ProcInfo {
        self.pgid = pgid;
        self
    }

    /// Environment tags as loaded.
    pub fn with_env(mut self, env: EnvTags) -> ProcInfo {
        self.env = Some(env);
        self
    }
}

impl Record {
    /// A record of `id` for `owner`: its own process group, no server, no tmux details, recorded at 0.
    pub fn new(id: Identity, owner: Owner, origin: Origin) -> Record {
        Record {
            pid: id.pid,
            start_ticks: id.start_ticks,
            pgid: id.pid,
            owner,
            origin,
            server: None,
            command: String::new(),
            recorded_at: 0,
            session_id: None,
            tmux_socket: None,
            tmux_server_pid: None,
        }
    }

    /// A record of process `p` (its identity, group and command line).
    pub fn of(p: &ProcInfo, owner: Owner, origin: Origin) -> Record {
        Record {
            pgid: p.pgid,
            command: p.command(),
            ..Record::new(Identity::of(p), owner, origin)
        }
    }

    pub fn with_command(mut self, command: &str) -> Record {
        self.command = command.into();
        self
    }

    pub fn with_pgid(mut self, pgid: i32) -> Record {
        self.pgid = pgid;
        self
    }

    /// The configured server it is (spawned records).
    pub fn with_server(mut self, server: &str) -> Record {
        self.server = Some(server.into());
        self
    }

    /// The tmux session id number it belongs to (`$3` -> 3).
    pub fn with_session_id(mut self, id: u32) -> Record {
        self.session_id = Some(id);
        self
    }

    pub fn recorded_at(mut self, secs: u64) -> Record {
        self.recorded_at = secs;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comm_is_the_kernels_short_name() {
        let p = ProcInfo::new(1, 0, &["/usr/lib/node_modules/.bin/mcp-server-filesystem"]);
        assert_eq!(p.comm, "mcp-server-file");
        assert_eq!(ProcInfo::new(2, 0, &[]).command(), "[]");
        let r = Record::of(
            &p.with_start(9).with_pgid(7),
            Owner::Global("fs".into()),
            Origin::Spawned,
        );
        assert_eq!((r.start_ticks, r.pgid), (9, 7));
    }
}
