//! A state or runtime directory deleted under the running daemon. Checked every second and before each
//! control request: while the lock path still names the file this daemon locked, all is well (three
//! `stat`s). Otherwise the daemon takes the lock again, recreates its directories, rewrites the
//! records of its running servers and listens again; if another daemon locked the new file first,
//! this one stops only its own servers (by identity, never by tag: the tags now name the other
//! daemon's servers too) and exits, saying so in its log and the journal. Never two daemons for one
//! state directory.

use super::*;
use crate::daemon::LockKeeper;
use crate::state::Record;

/// What the supervisor loop must do after a check.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Dirs {
    Fine,
    /// The control socket is gone: listen again.
    Rebind,
    /// Another daemon owns the state directory now: this one shuts down.
    Lost,
}

/// The answer to requests that reach a daemon which has just given way to another.
pub(super) const GAVE_WAY: &str = "this daemon is exiting: another daemon took its state directory \
     over (it was deleted); run the command again to reach that one";

/// A tag no process carries: after a takeover, this daemon's `MCPD_STATE` tag also names the other
/// daemon's processes, so stops go by identity and process group only.
const NO_TAG: &str = "\0(state directory taken over)";

impl Sup {
    pub(super) fn check_dirs(&mut self, keeper: &mut LockKeeper) -> Dirs {
        let paths = self.env.paths.clone();
        let socket = crate::daemon::client::socket_path(&paths);
        if keeper.still_held(&paths) {
            if socket.exists() {
                return Dirs::Fine;
            }
            tracing::warn!(
                "the control socket {} was deleted: listening again",
                socket.display()
            );
            return match paths.ensure_runtime_dir() {
                Ok(_) => Dirs::Rebind,
                Err(e) => {
                    tracing::warn!("{e}");
                    Dirs::Fine
                }
            };
        }
        match LockKeeper::take(&paths) {
            Ok(new) => {
                *keeper = new;
                let rewritten = self.rewrite_records();
                let msg = format!(
                    "the state directory {} was deleted (or its lock replaced) under the running daemon: \
                     recreated it and the records of {rewritten} running server(s)",
                    paths.state_dir.display()
                );
                tracing::warn!("{msg}");
                self.journal(&msg, "running");
                if let Err(e) = paths.ensure_runtime_dir() {
                    tracing::warn!("{e}");
                }
                if socket.exists() {
                    Dirs::Fine
                } else {
                    Dirs::Rebind
                }
            }
            Err(e) => {
                keeper.lost = true;
                self.state_tag = NO_TAG.to_string();
                let msg = format!(
                    "the state directory {} was deleted and another daemon took it over ({e}): \
                     this daemon (pid {}) stops its own servers and exits",
                    paths.state_dir.display(),
                    std::process::id()
                );
                tracing::warn!("{msg}");
                self.journal(&msg, "exited");
                self.begin_shutdown();
                Dirs::Lost
            }
        }
    }

    /// Records every running instance again (the records directory went with the state directory).
    fn rewrite_records(&mut self) -> usize {
        let registry = match crate::state::Registry::open(&self.env.paths.records_dir()) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("{e}");
                return 0;
            }
        };
        self.registry = registry;
        let now = crate::procs::snapshot::now_epoch() as u64;
        let records: Vec<Record> = self
            .instances
            .values()
            .filter_map(|i| {
                let State::Running {
                    pid, start_ticks, ..
                } = i.state
                else {
                    return None;
                };
                let cfg = self.env.config.servers.get(&i.key.server);
                Some(Record {
                    pid,
                    start_ticks,
                    pgid: pid,
                    owner: i.key.owner(),
                    origin: Origin::Spawned,
                    server: Some(i.key.server.clone()),
                    command: cfg.map_or_else(String::new, |c| {
                        std::iter::once(c.command.clone())
                            .chain(c.args.iter().cloned())
                            .collect::<Vec<_>>()
                            .join(" ")
                    }),
                    recorded_at: now,
                    session_id: i.session_id,
                    tmux_socket: None,
                    tmux_server_pid: None,
                })
            })
            .collect();
        let n = records.len();
        if let Err(e) = self.registry.add(records) {
            tracing::warn!("cannot rewrite the records: {e}");
        }
        n
    }

    /// One line in the event journal about the daemon itself.
    fn journal(&self, reason: &str, ending: &str) {
        let ev = crate::journal::Event {
            t: crate::procs::snapshot::now_epoch() as u64,
            actor: "daemon".into(),
            pid: std::process::id() as i32,
            command: "mcpd daemon run".into(),
            rss_bytes: 0,
            ending: ending.into(),
            reason: reason.to_string(),
        };
        if let Err(e) = crate::journal::append(&self.env.paths.state_dir, &[ev]) {
            tracing::warn!("cannot write the journal: {e}");
        }
    }
}

/// Listens again on a control socket that was deleted; the old listener's task ends.
pub(super) fn rebind(
    sup: &Sup,
    old: tokio::task::JoinHandle<()>,
    ctl_tx: &mpsc::Sender<Incoming>,
) -> tokio::task::JoinHandle<()> {
    match crate::daemon::bind(&crate::daemon::client::socket_path(&sup.env.paths)) {
        Ok(l) => {
            old.abort();
            tokio::spawn(control::serve(l, ctl_tx.clone()))
        }
        Err(e) => {
            tracing::warn!("{e:#}");
            old
        }
    }
}
