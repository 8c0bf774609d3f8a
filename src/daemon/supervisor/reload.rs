//! Live reload (`mcpd daemon reload`, SIGHUP, or a CLI that noticed the file changed): the new config
//! is read and validated first (a bad one is refused, naming file, line and column, and the running
//! one kept); then [`diff`], a pure function of the old and new config, says what to do, and
//! [`Sup::reload`] does it: servers whose process would differ are restarted, removed ones stopped,
//! added eager global ones started, and the rest left alone (same processes). Daemon settings
//! (thresholds, intervals, patterns) take effect at once; the supervisor loop re-arms its sweep timer.
//! The stops and starts are asked for like any other (`Sup::stop` with `Next::Start` for a restart,
//! `Next::Forget` for a removal; their OS work reports back as events): nothing waits on them in the
//! loop. `mcpd daemon reload` is answered from its own task once every one of them has settled
//! (a start after its settle window), with what each became; SIGHUP's answer goes nowhere.

use super::*;
use crate::config::{Config, ServerConfig};
use crate::daemon::protocol::ReloadReport;
use crate::daemon::stamp;

/// What a new config means for the running daemon.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Servers whose process would differ (command, args, env, cwd, scope, share, max_message):
    /// their running instances are restarted.
    pub changed: Vec<String>,
    /// Servers whose supervision settings alone changed (restart, start, max_rss, idle_timeout,
    /// max_instances): applied in place, processes untouched.
    pub updated: Vec<String>,
    /// Servers gone from the config: stopped and forgotten.
    pub removed: Vec<String>,
    /// New servers.
    pub added: Vec<String>,
    /// Servers to start now: eager global ones that are new, or changed with no instance.
    pub start: Vec<String>,
    pub unchanged: Vec<String>,
    /// Settings outside `[servers]` that changed, as dotted keys.
    pub settings: Vec<String>,
}

/// True when a server's process would be started differently.
fn process_differs(a: &ServerConfig, b: &ServerConfig) -> bool {
    a.command != b.command
        || a.args != b.args
        || a.env != b.env
        || a.cwd != b.cwd
        || a.scope != b.scope
        || a.share != b.share
        || a.max_message != b.max_message
}

fn eager_global(c: &ServerConfig) -> bool {
    c.scope == Scope::Global && c.start == StartMode::Eager
}

/// Pure: the actions that take the daemon from `old` to `new`.
pub fn diff(old: &Config, new: &Config) -> Plan {
    let mut plan = Plan::default();
    for (name, o) in &old.servers {
        match new.servers.get(name) {
            None => plan.removed.push(name.clone()),
            Some(n) if process_differs(o, n) => {
                plan.changed.push(name.clone());
                if eager_global(n) && !eager_global(o) {
                    plan.start.push(name.clone());
                }
            }
            Some(n) if o != n => {
                plan.updated.push(name.clone());
                if eager_global(n) && !eager_global(o) {
                    plan.start.push(name.clone());
                }
            }
            Some(_) => plan.unchanged.push(name.clone()),
        }
    }
    for (name, n) in &new.servers {
        if !old.servers.contains_key(name) {
            plan.added.push(name.clone());
            if eager_global(n) {
                plan.start.push(name.clone());
            }
        }
    }
    let (od, nd) = (&old.daemon, &new.daemon);
    let mut set = |differs: bool, key: &str| {
        if differs {
            plan.settings.push(key.to_string());
        }
    };
    set(
        od.sweep_interval != nd.sweep_interval,
        "daemon.sweep_interval",
    );
    set(od.stop_grace != nd.stop_grace, "daemon.stop_grace");
    set(
        od.orphan_min_age != nd.orphan_min_age,
        "daemon.orphan_min_age",
    );
    set(
        od.history_window != nd.history_window,
        "daemon.history_window (from the next daemon start)",
    );
    set(od.log_max_bytes != nd.log_max_bytes, "daemon.log_max_size");
    set(od.sweep_orphans != nd.sweep_orphans, "daemon.sweep_orphans");
    let (ot, nt) = (&old.thresholds, &new.thresholds);
    set(ot.processes != nt.processes, "thresholds.processes");
    set(ot.rss != nt.rss, "thresholds.rss");
    set(
        ot.detached_sessions != nt.detached_sessions,
        "thresholds.detached_sessions",
    );
    set(ot.orphans != nt.orphans, "thresholds.orphans");
    set(old.matching != new.matching, "match");
    set(old.sessions != new.sessions, "sessions");
    plan
}

/// A reload applied: its report so far, and the answers of the stops and starts it asked for.
pub(super) struct Reloaded {
    report: ReloadReport,
    /// One per instance stopped, restarted or started, answered when it has settled (a start
    /// after its settle window, see settle.rs); `restart`: its message says "restarted".
    pending: Vec<(oneshot::Receiver<Answer>, bool)>,
}

impl Reloaded {
    /// Answers `tx` with the report once every stop and start has reported, in its own task: the
    /// supervisor goes on meanwhile (nothing in its loop waits on a stop).
    pub(super) fn answer_when_settled(self, tx: oneshot::Sender<Answer>) {
        let Reloaded {
            mut report,
            pending,
        } = self;
        tokio::spawn(async move {
            for (rx, restart) in pending {
                match rx.await {
                    Ok(Answer::Response(Response::Ok { message })) if restart => {
                        report
                            .actions
                            .push(message.replacen("started", "restarted", 1));
                    }
                    Ok(Answer::Response(Response::Ok { message })) => report.actions.push(message),
                    Ok(Answer::Response(Response::Error { message })) => {
                        report.errors.push(message);
                    }
                    _ => report
                        .errors
                        .push("a stop or start of this reload was not answered".into()),
                }
            }
            let _ = tx.send(Response::Reloaded(report).into());
        });
    }
}

impl Sup {
    /// Rereads the config file and applies the difference: stops and starts are asked for (they
    /// report later, see [`Reloaded::answer_when_settled`]); settings take effect at once. Err: the
    /// file's located error; nothing was changed.
    pub(super) fn reload(&mut self, why: &str) -> Result<Reloaded, String> {
        let path = self.env.paths.config_file.clone();
        let (new, stamp) = stamp::load(&path).map_err(|e| {
            tracing::warn!("reload ({why}) refused, the running config is kept: {e}");
            format!("{e}; the running config is kept")
        })?;
        let plan = diff(&self.env.config, &new);
        let old = std::mem::replace(&mut self.env.config, new);
        self.config_stamp = Some(stamp);
        let mut report = ReloadReport {
            path: path.display().to_string(),
            changed: plan.changed.clone(),
            removed: plan.removed.clone(),
            added: plan.added.clone(),
            unchanged: plan.unchanged.clone(),
            settings: plan.settings.clone(),
            ..Default::default()
        };
        report.updated.clone_from(&plan.updated);
        for name in &plan.updated {
            report
                .actions
                .push(format!("{name}: settings updated, process kept"));
        }
        let mut pending = Vec::new();
        for name in &plan.removed {
            for key in self.keys_of(name) {
                // Forgotten once its tree is gone (at once when it has no process); its clients
                // are told by the stop.
                pending.push((
                    self.stop_then(&key, "removed from the config", Next::Forget),
                    false,
                ));
            }
        }
        for name in &plan.changed {
            let new_cfg = self.env.config.servers.get(name);
            let scope = new_cfg.map(|c| c.scope);
            // The multiplexer was made for the old share policy and message cap: a new one is
            // needed (its clients are disconnected and reconnect).
            let remux = old
                .servers
                .get(name)
                .zip(new_cfg)
                .is_some_and(|(o, n)| o.share != n.share || o.max_message != n.max_message);
            for key in self.keys_of(name) {
                let live = self.instances.get(&key).is_some_and(|i| {
                    i.pid().is_some()
                        || matches!(i.state, State::Starting { .. } | State::Backoff { .. })
                });
                if !live || key.slot & Key::RETIRED != 0 {
                    continue;
                }
                let fits = match scope {
                    Some(Scope::Global) => key.session.is_none(),
                    Some(Scope::Session) => key.session.is_some(),
                    None => false,
                };
                if !fits {
                    // Its scope changed: the old instance goes; the new scope starts its own.
                    pending.push((
                        self.stop_then(&key, "its scope changed", Next::Forget),
                        false,
                    ));
                    continue;
                }
                if remux {
                    // Out of the way under a retired key while its tree is stopped; a fresh
                    // instance (with a new multiplexer) takes the key.
                    let retired = self.retire(&key);
                    pending.push((
                        self.stop_then(&retired, "its config changed", Next::Forget),
                        false,
                    ));
                    if key.slot != 0 {
                        // Pool instances beyond the first come back on demand.
                        continue;
                    }
                    pending.push((self.start_then(&key), true));
                    continue;
                }
                if let Some(i) = self.instances.get_mut(&key) {
                    i.restarts += 1;
                    i.failures.clear();
                }
                // Started again once its old tree is gone.
                let (tx, rx) = oneshot::channel();
                match self.stop(&key, "its config changed", Next::Start) {
                    Ok(m) => self.wait_for(&key, Until::Started, tx, m),
                    Err(e) => report.errors.push(format!("{}: {e}", key.label())),
                }
                pending.push((rx, true));
            }
        }
        for name in &plan.start {
            let key = Key::new(name, None);
            if self.instances.get(&key).is_some_and(|i| i.pid().is_some()) {
                continue;
            }
            pending.push((self.start_then(&key), false));
        }
        // Eager session servers start in the open sessions at a sweep (as when a session is found).
        let for_sessions = plan
            .added
            .iter()
            .chain(&plan.changed)
            .chain(&plan.updated)
            .any(|n| {
                self.env
                    .config
                    .servers
                    .get(n)
                    .is_some_and(|c| c.scope == Scope::Session && c.start == StartMode::Eager)
            });
        if for_sessions {
            self.start_sweep();
            report
                .actions
                .push("sweeping: eager session servers start in the open sessions".into());
        }
        if old.daemon.sweep_interval != self.env.config.daemon.sweep_interval {
            report.actions.push(format!(
                "sweeps every {}",
                crate::units::format_duration_config(self.env.config.daemon.sweep_interval)
            ));
        }
        tracing::info!(
            "reloaded {} ({why}): changed [{}], removed [{}], added [{}], settings [{}]{}",
            report.path,
            report.changed.join(", "),
            report.removed.join(", "),
            report.added.join(", "),
            report.settings.join(", "),
            if report.errors.is_empty() {
                String::new()
            } else {
                format!("; errors: {}", report.errors.join("; "))
            }
        );
        Ok(Reloaded { report, pending })
    }

    /// Stops `key` with `next`; the receiver is answered once it has stopped.
    fn stop_then(&mut self, key: &Key, why: &str, next: Next) -> oneshot::Receiver<Answer> {
        let (tx, rx) = oneshot::channel();
        match self.stop(key, why, next) {
            // Answered now when there was nothing to stop.
            Ok(m) => self.wait_for(key, Until::Stopped, tx, m),
            Err(e) => {
                let _ = tx.send(err(e).into());
            }
        }
        rx
    }

    /// Starts `key`; the receiver is answered once it has started and settled (or did not).
    fn start_then(&mut self, key: &Key) -> oneshot::Receiver<Answer> {
        let (tx, rx) = oneshot::channel();
        match self.start(key, None, None) {
            Ok(m) => self.wait_for(key, Until::Started, tx, m),
            Err(e) => {
                let _ = tx.send(err(format!("{}: {e}", key.label())).into());
            }
        }
        rx
    }

    /// Every instance key of a server (all sessions and pool slots).
    fn keys_of(&self, server: &str) -> Vec<Key> {
        self.instances
            .keys()
            .filter(|k| k.server == server)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Config {
        Config::parse(text, std::path::Path::new("t.toml")).unwrap()
    }

    #[test]
    fn servers_are_sorted_by_what_happens_to_them() {
        let old = cfg("[servers.same]\ncommand = \"a\"\n\
             [servers.cmd]\ncommand = \"a\"\n\
             [servers.args]\ncommand = \"a\"\nargs = [\"1\"]\n\
             [servers.envs]\ncommand = \"a\"\nenv = { X = \"1\" }\n\
             [servers.limit]\ncommand = \"a\"\nmax_rss = \"100MB\"\n\
             [servers.gone]\ncommand = \"a\"\n");
        let new = cfg("[servers.same]\ncommand = \"a\"\n\
             [servers.cmd]\ncommand = \"b\"\n\
             [servers.args]\ncommand = \"a\"\nargs = [\"2\"]\n\
             [servers.envs]\ncommand = \"a\"\nenv = { X = \"2\" }\n\
             [servers.limit]\ncommand = \"a\"\nmax_rss = \"200MB\"\n\
             [servers.fresh]\ncommand = \"a\"\n\
             [servers.lazy]\ncommand = \"a\"\nstart = \"on-connect\"\n\
             [servers.per]\ncommand = \"a\"\nscope = \"session\"\n");
        let p = diff(&old, &new);
        assert_eq!(p.changed, ["args", "cmd", "envs"]);
        assert_eq!(p.updated, ["limit"]);
        assert_eq!(p.removed, ["gone"]);
        assert_eq!(p.added, ["fresh", "lazy", "per"]);
        // Only the eager global one starts on its own; the others wait for a connect or a session.
        assert_eq!(p.start, ["fresh"]);
        assert_eq!(p.unchanged, ["same"]);
        assert!(p.settings.is_empty());
    }

    #[test]
    fn scope_and_start_changes() {
        let old = cfg("[servers.a]\ncommand = \"x\"\nstart = \"on-connect\"\n\
             [servers.b]\ncommand = \"x\"\n");
        let new = cfg("[servers.a]\ncommand = \"x\"\n\
             [servers.b]\ncommand = \"x\"\nscope = \"session\"\n");
        let p = diff(&old, &new);
        // `a` became eager: started now, its process definition is the same.
        assert_eq!(p.updated, ["a"]);
        assert_eq!(p.start, ["a"]);
        // `b` changed scope: its global instance goes, sessions start their own.
        assert_eq!(p.changed, ["b"]);
        assert!(!p.start.contains(&"b".to_string()));
    }

    #[test]
    fn daemon_settings_are_named() {
        let old = cfg("[daemon]\nsweep_interval = \"30s\"\n");
        let new = cfg("[daemon]\nsweep_interval = \"5s\"\nstop_grace = \"1s\"\n\
             [thresholds]\nprocesses = { warn = 2, crit = 3 }\n[match]\npatterns = [\"x\"]\n");
        let p = diff(&old, &new);
        assert_eq!(
            p.settings,
            [
                "daemon.sweep_interval",
                "daemon.stop_grace",
                "thresholds.processes",
                "match"
            ]
        );
        assert_eq!(diff(&new, &new), Plan::default());
    }
}
