//! The imperative half of `status`, `ps` and `clean`: read the config, the records, the process table
//! and the tmux server once, then hand plain values to the pure `sweep` and `health` functions.

use std::path::PathBuf;

use crate::config::Config;
use crate::matcher::Matcher;
use crate::model::DaemonSeen;
use crate::paths::Paths;
use crate::procs::{self, Snapshot};
use crate::state::{Record, Registry};
use crate::sweep::{self, Classified, Inputs, Plan};
use crate::tmux::{Tmux, TmuxView};

/// Everything one command knows about the machine.
pub struct World {
    pub config: Config,
    pub paths: Paths,
    pub registry: Registry,
    pub records: Vec<Record>,
    pub snapshot: Snapshot,
    /// `Some` when tmux answered (an empty view when no server runs).
    pub tmux_view: Option<TmuxView>,
    pub tmux: Tmux,
    pub matcher: Matcher,
    pub classified: Vec<Classified>,
    /// The stdio evidence read for orphan candidates (empty when there were none).
    pub stdio: std::collections::HashMap<i32, crate::procs::peers::StdioView>,
    /// Non-fatal problems (corrupt state files, tmux errors), for the user to see.
    pub warnings: Vec<String>,
    /// `MCPD_STATE` as this mcpd's daemon sets it: the state directory.
    pub state_tag: String,
}

/// A tmux view being asked for on another thread (`tmux` takes milliseconds to start: the caller
/// reads /proc meanwhile).
pub struct PendingView(std::thread::JoinHandle<Result<TmuxView, crate::tmux::TmuxError>>);

impl PendingView {
    /// Starts asking `tmux` for its sessions and panes ([`Tmux::view_or_empty`]).
    pub fn start(tmux: &Tmux) -> PendingView {
        let tmux = tmux.clone();
        PendingView(std::thread::spawn(move || tmux.view_or_empty()))
    }

    /// The answer (waits for it).
    pub fn wait(self) -> Result<TmuxView, crate::tmux::TmuxError> {
        self.0.join().unwrap_or_else(|_| {
            Err(crate::tmux::TmuxError::Io(std::io::Error::other(
                "the tmux query failed",
            )))
        })
    }
}

/// The daemon being asked on another thread, while the caller reads /proc: first what runs (a
/// daemon of another version, a config it has not loaded: [`crate::commands::handshake::notes`]),
/// then its status. Each is a round trip to another process, mostly waiting.
pub struct PendingDaemon(Asking);

enum Asking {
    /// No daemon holds the lock: asked at once (a connect that fails), no thread needed.
    Done(DaemonSeen),
    Thread(std::thread::JoinHandle<(Vec<String>, DaemonSeen)>),
}

impl PendingDaemon {
    /// Starts asking the daemon of `paths` (what runs only `with_notes`).
    pub fn start(paths: &Paths, with_notes: bool) -> PendingDaemon {
        if crate::daemon::client::lock_holder(paths).is_none() {
            return PendingDaemon(Asking::Done(ask_daemon_at(paths)));
        }
        let paths = paths.clone();
        PendingDaemon(Asking::Thread(std::thread::spawn(move || {
            let notes = if with_notes {
                crate::commands::handshake::notes(&paths)
            } else {
                Vec::new()
            };
            (notes, ask_daemon_at(&paths))
        })))
    }

    /// The notes to show and what the daemon said (waits for them).
    pub fn wait(self) -> (Vec<String>, DaemonSeen) {
        match self.0 {
            Asking::Done(seen) => (Vec::new(), seen),
            Asking::Thread(t) => t.join().unwrap_or_else(|_| {
                (
                    vec!["warning: asking the daemon failed".to_string()],
                    DaemonSeen::Absent,
                )
            }),
        }
    }
}

/// Asks the daemon of `paths` for its status, once: answered, running but busy, or absent.
pub fn ask_daemon_at(paths: &Paths) -> DaemonSeen {
    if let Some(d) = crate::daemon::client::status(paths) {
        DaemonSeen::Answered(Box::new(d))
    } else if let Some(pid) = crate::daemon::client::lock_holder(paths) {
        DaemonSeen::Busy { pid }
    } else {
        DaemonSeen::Absent
    }
}

/// What the commands share: resolved paths, the config, the tmux server.
pub struct Env {
    pub paths: Paths,
    pub config: Config,
    pub tmux: Tmux,
}

impl Env {
    /// Resolves paths and loads the config (a missing file means built-in defaults).
    pub fn load(config: Option<PathBuf>, tmux_socket: Option<PathBuf>) -> anyhow::Result<Env> {
        let paths = Paths::resolve(config)?;
        let config = Config::load(&paths.config_file)?;
        Ok(Env {
            paths,
            config,
            tmux: Tmux::new(tmux_socket),
        })
    }

    pub fn registry(&self) -> anyhow::Result<Registry> {
        self.paths.ensure_state_dir()?;
        Ok(Registry::open(&self.paths.records_dir())?)
    }
}

impl World {
    /// Gathers the world: records, one process snapshot (with environment tags of our processes), and
    /// the tmux server's sessions.
    pub fn gather(env: Env) -> anyhow::Result<World> {
        let registry = env.registry()?;
        let (records, state_warnings) = registry.load_all();
        let mut warnings: Vec<String> = state_warnings.iter().map(ToString::to_string).collect();
        warnings.extend(crate::state::health::writability_warnings(
            &env.paths.state_dir,
        ));
        // tmux starts up while /proc is read: the two overlap instead of adding up.
        let asking = PendingView::start(&env.tmux);
        // Owners are settled with the tag cache below (`procs::owners`): one system call per process
        // fewer.
        let mut snapshot = Snapshot::take_owners_later()?;
        let uid = procs::my_uid();
        let me = std::process::id() as i32;
        procs::envcache::load_through_file(
            &mut snapshot,
            env.paths.env_cache_file().as_deref(),
            |p| wants_env(p, uid, me),
        );
        let tmux_view = match asking.wait() {
            Ok(v) => Some(v),
            Err(crate::tmux::TmuxError::Missing) => None,
            Err(e) => {
                warnings.push(format!("tmux: {e}"));
                None
            }
        };
        let matcher = Matcher::from_config(&env.config);
        let mut w = World {
            config: env.config,
            paths: env.paths,
            registry,
            records,
            snapshot,
            tmux_view,
            tmux: env.tmux,
            matcher,
            classified: Vec::new(),
            stdio: Default::default(),
            warnings,
            state_tag: String::new(),
        };
        w.state_tag = w.paths.state_dir.display().to_string();
        w.reclassify();
        Ok(w)
    }

    /// Classifies again (after adoptions changed the records), reading stdio evidence as needed.
    pub fn reclassify(&mut self) {
        let (classified, stdio) = crate::judge::classify(&self.inputs());
        self.classified = classified;
        self.stdio = stdio;
    }

    pub fn inputs(&self) -> Inputs<'_> {
        Inputs {
            snapshot: &self.snapshot,
            records: &self.records,
            tmux: self.tmux_view.as_ref(),
            matcher: &self.matcher,
            my_uid: procs::my_uid(),
            orphan_min_age: self.config.daemon.orphan_min_age,
            state_tag: Some(&self.state_tag),
            stdio: Some(&self.stdio),
        }
    }

    pub fn plan(&self) -> Plan {
        sweep::plan(&self.inputs(), &self.classified)
    }

    /// Asks the daemon for its status, once: its answer feeds both [`World::report_with`] and the
    /// `ps` rows (each status request costs the daemon nothing, but a round trip).
    pub fn ask_daemon(&self) -> DaemonSeen {
        ask_daemon_at(&self.paths)
    }

    /// The health report, with the daemon asked now.
    pub fn report(&self) -> crate::health::Report {
        self.report_with(&self.ask_daemon())
    }

    /// The health report, with what the daemon said.
    pub fn report_with(&self, daemon: &DaemonSeen) -> crate::health::Report {
        let mut r = crate::health::report(&crate::health::ReportInputs {
            snapshot: &self.snapshot,
            classified: &self.classified,
            records: &self.records,
            tmux: self.tmux_view.as_ref(),
            config: &self.config,
            now: self.snapshot.taken_at as u64,
        });
        r.warnings.extend(self.warnings.iter().cloned());
        // Servers running once per session that could be shared (`mcpd link`): this advice, per
        // server and with the agent to link, supersedes the report's generic "copies" line.
        let dups = crate::duplicates::find(&self.snapshot, &self.classified);
        if !dups.is_empty() {
            r.recommendations
                .retain(|rec| !rec.contains("are running: make it a shared server"));
        }
        r.recommendations.extend(dups.iter().map(|d| d.advice()));
        match daemon {
            DaemonSeen::Answered(d) => crate::health::merge_daemon(&mut r, (**d).clone()),
            DaemonSeen::Busy { pid } => {
                // Running, but busy (stopping a server): its servers are shown from the records.
                r.daemon.running = true;
                r.daemon.pid = Some(*pid);
            }
            DaemonSeen::Absent => {}
        }
        r
    }
}

/// Whose environment tags a command reads: this user's processes with a command line, except PID 1,
/// this very command and its children (the tmux client it runs). Those two are known without reading:
/// they are this command, gone when it ends, and reading them would make every run write the shared
/// tag cache again (a new pid read, the last run's dropped) for nothing.
fn wants_env(p: &procs::ProcInfo, uid: u32, me: i32) -> bool {
    p.uid == uid && !p.cmdline.is_empty() && p.pid > 1 && p.pid != me && p.ppid != me
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_no_environment_of_itself_nor_of_its_children() {
        let p = |pid, ppid, uid, cmd: &[&str]| procs::ProcInfo {
            pid,
            ppid,
            uid,
            cmdline: cmd.iter().map(|s| s.to_string()).collect(),
            ..procs::ProcInfo::default()
        };
        assert!(wants_env(&p(50, 1, 7, &["node", "x"]), 7, 40));
        assert!(!wants_env(&p(40, 30, 7, &["mcpd", "status"]), 7, 40));
        assert!(!wants_env(&p(41, 40, 7, &["tmux", "list-sessions"]), 7, 40));
        assert!(!wants_env(&p(50, 1, 8, &["node", "x"]), 7, 40));
        assert!(!wants_env(&p(1, 0, 7, &["init"]), 7, 40));
        assert!(!wants_env(&p(51, 2, 7, &[]), 7, 40));
    }
}
