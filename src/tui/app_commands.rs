//! The keys that act on the machine (`K`, `c`, `r`, Enter): each checks what is selected, asks first
//! when it would stop something, and hands the work to the event loop as an [`Effect`].

use crate::health::{ServerRow, SessionRow};
use crate::procs::{Identity, StopTarget};
use crate::units::human_bytes;

use super::{App, Effect, Mode, Panel, Pending, RESTART_NEEDS_DAEMON};
use crate::tui::tree::ViewRow;

impl App {
    /// The selected session, when the Sessions panel has one.
    pub fn selected_session(&self) -> Option<&SessionRow> {
        let d = self.data.as_ref()?;
        self.sessions
            .get(self.cursor(Panel::Sessions).selected)
            .map(|&i| &d.report.sessions[i])
    }

    /// The selected server, when the Servers panel has one.
    pub fn selected_server(&self) -> Option<&ServerRow> {
        let d = self.data.as_ref()?;
        self.servers
            .get(self.cursor(Panel::Servers).selected)
            .map(|&i| &d.report.servers[i])
    }

    /// The selected line of the Processes panel.
    pub fn selected_row(&self) -> Option<&ViewRow> {
        self.view.get(self.cursor(Panel::Processes).selected)
    }

    fn refuse_when_busy(&mut self) -> bool {
        if let Some(what) = &self.busy {
            let text = format!("busy: {what}");
            self.say(text, true);
            return true;
        }
        false
    }

    pub(super) fn ask_stop(&mut self) {
        if self.refuse_when_busy() {
            return;
        }
        if self.focus == Panel::Servers {
            let Some(s) = self.selected_server() else {
                return self.say("no server selected", true);
            };
            let (server, session) = (s.name.clone(), s.session.clone());
            return self.ask_stop_server(server, session);
        }
        if self.focus != Panel::Processes {
            return self.say(
                "K stops the selected process tree or server: pick one in the Processes or Servers panel (Tab)",
                true,
            );
        }
        // A process of a server the daemon runs: stopping it directly would only make the daemon
        // start it again.
        if let (Some(d), Some(ViewRow::Proc { index, .. })) = (&self.data, self.selected_row())
            && let Some(server) = d.rows[*index]
                .owner
                .as_deref()
                .and_then(|o| o.strip_prefix("global:"))
            && d.report.daemon.running
        {
            let server = server.to_owned();
            return self.ask_stop_server(server, None);
        }
        let (Some(d), Some(ViewRow::Proc { index, .. })) = (&self.data, self.selected_row()) else {
            return self.say(
                "K stops a process tree: select a process, not a group",
                true,
            );
        };
        let index = *index;
        let r = &d.rows[index];
        let below = d.subtree(index);
        let rss_bytes = r.rss_bytes
            + d.rows[below.clone()]
                .iter()
                .map(|c| c.rss_bytes)
                .sum::<u64>();
        let target = StopTarget {
            identity: Identity {
                pid: r.pid,
                start_ticks: r.start_time,
            },
            pgid: d.pgid_of(index),
            leader_exited: false,
        };
        self.mode = Mode::Confirm(Pending::Stop {
            target,
            command: r.command.clone(),
            owner: r.owner.clone(),
            rss_bytes,
            descendants: below.len(),
        });
    }

    fn ask_stop_server(&mut self, server: String, session: Option<String>) {
        if !self.data.as_ref().is_some_and(|d| d.report.daemon.running) {
            return self.say(
                format!(
                    "stop {server}: the daemon manages servers and is not running (D starts it)"
                ),
                true,
            );
        }
        self.mode = Mode::Confirm(Pending::StopServer { server, session });
    }

    /// `D`: starts the daemon unless it runs.
    pub(super) fn start_daemon(&mut self) -> Option<Effect> {
        if let Some(d) = self.data.as_ref().filter(|d| d.report.daemon.running) {
            let pid = d
                .report
                .daemon
                .pid
                .map_or_else(String::new, |p| format!(" (pid {p})"));
            self.say(format!("the daemon is already running{pid}"), false);
            return None;
        }
        if self.refuse_when_busy() {
            return None;
        }
        self.say("starting the daemon...", false);
        Some(Effect::StartDaemon)
    }

    /// `l`, or Enter on a server: its details.
    pub(super) fn details(&mut self) {
        let index = (self.focus == Panel::Servers)
            .then(|| self.servers.get(self.cursor(Panel::Servers).selected))
            .flatten()
            .copied();
        match index {
            Some(i) => self.mode = Mode::Detail(i),
            None => self.say(
                "l shows a server's state, exit and last log lines: pick one in the Servers panel (Tab)",
                true,
            ),
        }
    }

    pub(super) fn ask_clean(&mut self) {
        if self.refuse_when_busy() {
            return;
        }
        let Some(d) = &self.data else {
            return self.say("no data yet: wait for the first refresh", true);
        };
        if d.plan.is_empty() {
            return self.say(
                "nothing to clean: no orphaned MCP processes, no stale records",
                false,
            );
        }
        self.mode = Mode::Confirm(Pending::Clean {
            plan: d.plan.clone(),
        });
    }

    /// The answer to the open question.
    pub(super) fn answer(&mut self, yes: bool) -> Option<Effect> {
        if !yes {
            self.answer_no();
            return None;
        }
        let Mode::Confirm(pending) = std::mem::replace(&mut self.mode, Mode::Normal) else {
            return None;
        };
        match pending {
            Pending::Stop {
                target,
                command,
                rss_bytes,
                ..
            } => {
                let what = format!(
                    "stopping pid {} ({})",
                    target.identity.pid,
                    human_bytes(rss_bytes)
                );
                self.busy = Some(what.clone());
                self.say(format!("{what}: {command}"), false);
                Some(Effect::Stop {
                    targets: vec![target],
                    what,
                })
            }
            Pending::StopServer { server, session } => {
                self.say(format!("stopping {server} through the daemon..."), false);
                Some(Effect::StopServer { server, session })
            }
            Pending::Clean { plan } => {
                let targets: Vec<StopTarget> = plan.stop.iter().map(|s| s.target.clone()).collect();
                let drops = plan
                    .drop
                    .iter()
                    .map(|d| {
                        (
                            d.owner.clone(),
                            Identity {
                                pid: d.pid,
                                start_ticks: d.start_time,
                            },
                        )
                    })
                    .collect();
                let what = format!(
                    "cleaning: stopping {} tree(s), {}",
                    targets.len(),
                    human_bytes(plan.rss_bytes())
                );
                self.busy = Some(what.clone());
                self.say(what, false);
                let reasons = plan
                    .stop
                    .iter()
                    .map(|s| (s.pid, s.reason.clone()))
                    .collect();
                Some(Effect::Clean {
                    targets,
                    drops,
                    reasons,
                })
            }
        }
    }

    pub(super) fn answer_no(&mut self) {
        if matches!(self.mode, Mode::Confirm(_)) {
            self.mode = Mode::Normal;
            self.say("cancelled: nothing was stopped", false);
        }
    }

    pub(super) fn restart(&mut self) -> Option<Effect> {
        if self.focus != Panel::Servers {
            self.say(
                "r restarts the selected server: pick one in the Servers panel (Tab)",
                true,
            );
            return None;
        }
        let Some((name, session)) = self
            .selected_server()
            .map(|s| (s.name.clone(), s.session.clone()))
        else {
            self.say(
                "no server selected (configure servers under [servers.NAME])",
                true,
            );
            return None;
        };
        if !self.data.as_ref().is_some_and(|d| d.report.daemon.running) {
            self.say(format!("restart {name}: {RESTART_NEEDS_DAEMON}"), true);
            return None;
        }
        if self.refuse_when_busy() {
            return None;
        }
        self.say(format!("restarting {name}..."), false);
        Some(Effect::Restart {
            server: name,
            session,
        })
    }

    pub(super) fn activate(&mut self) -> Option<Effect> {
        let session = match self.focus {
            Panel::Sessions => self.selected_session().map(|s| s.name.clone()),
            // A session's group in the process tree leads to the session too, while it exists.
            Panel::Processes => match self.selected_row() {
                Some(ViewRow::Group { owner: Some(o), .. }) => o
                    .strip_prefix("session:")
                    .filter(|n| {
                        self.data
                            .as_ref()
                            .is_some_and(|d| d.report.sessions.iter().any(|s| s.name == *n))
                    })
                    .map(str::to_string),
                _ => None,
            },
            Panel::Servers => {
                self.details();
                return None;
            }
        };
        match session {
            Some(name) => Some(Effect::Attach(name)),
            None => {
                self.say(
                    "Enter attaches to the selected session: pick one in the Sessions panel",
                    true,
                );
                None
            }
        }
    }
}
