//! The dashboard's state and the one function that changes it, [`App::handle`]. It does no I/O: what
//! needs the outside world (stopping processes, attaching to tmux, refreshing now) comes back as an
//! [`Effect`] for the event loop to carry out, and the result comes back in as an action.

use ratatui::layout::Rect;

use crate::procs::{Identity, StopTarget};
use crate::state::Owner;
use crate::sweep::Plan;

use super::action::{Action, InputMode, Outcome};
use super::data::Data;
use super::draw::layout::{Areas, table_rows};
use super::history::History;
use super::tree::{self, RowKey, SortKey, ViewRow};

/// The three lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Sessions,
    Processes,
    Servers,
}

impl Panel {
    /// Tab order.
    pub const ALL: [Panel; 3] = [Panel::Sessions, Panel::Processes, Panel::Servers];

    fn index(self) -> usize {
        match self {
            Panel::Sessions => 0,
            Panel::Processes => 1,
            Panel::Servers => 2,
        }
    }

    fn step(self, by: isize) -> Panel {
        let n = Panel::ALL.len() as isize;
        Panel::ALL[(self.index() as isize + by).rem_euclid(n) as usize]
    }
}

/// A list's selected line and the first line shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

/// A question waiting for y/n.
#[derive(Clone, Debug)]
pub enum Pending {
    /// `K` on a process: its tree.
    Stop {
        target: StopTarget,
        command: String,
        owner: Option<String>,
        rss_bytes: u64,
        descendants: usize,
    },
    /// `c`: the clean plan as it was when asked.
    Clean { plan: Plan },
    /// `K` on a server the daemon manages: stopped through the daemon.
    StopServer {
        server: String,
        session: Option<String>,
    },
}

/// What the screen is showing on top of the panels.
#[derive(Clone, Debug)]
pub enum Mode {
    Normal,
    /// Typing a filter: the text so far.
    Filter(String),
    Confirm(Pending),
    /// The help overlay, scrolled by this many lines.
    Help(u16),
    /// A server's details (state, exit, last log lines): its index in the report's servers.
    Detail(usize),
}

/// Work for the event loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Gather again now instead of at the next tick.
    Refresh,
    /// Stop these trees (identity-checked), then report.
    Stop {
        targets: Vec<StopTarget>,
        what: String,
    },
    /// Stop these trees, then drop these records if their processes are gone.
    Clean {
        targets: Vec<StopTarget>,
        drops: Vec<(Owner, Identity)>,
        /// Each target's reason, for the event journal.
        reasons: Vec<(i32, String)>,
    },
    /// Switch to or attach to this tmux session.
    Attach(String),
    /// Ask the daemon to restart a server.
    Restart {
        server: String,
        session: Option<String>,
    },
    /// Ask the daemon to stop a server it manages (stopping its tree directly would only
    /// make the daemon start it again).
    StopServer {
        server: String,
        session: Option<String>,
    },
    /// Start the daemon in the background.
    StartDaemon,
}

/// A line for the message bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub text: String,
    pub error: bool,
    /// When it was set (seconds since the epoch): it fades after [`MESSAGE_SECONDS`].
    pub at: f64,
}

/// How long a message stays.
pub const MESSAGE_SECONDS: f64 = 10.0;

/// What `r` says until the daemon exists.
pub const RESTART_NEEDS_DAEMON: &str = "needs the daemon (not running)";

/// What each panel has selected, in terms that survive a refresh (the line numbers do not).
#[derive(Debug, Default)]
struct Selection {
    session: Option<String>,
    process: Option<RowKey>,
    /// A server's name and pid (a session-scoped server runs once per session).
    server: Option<(String, Option<i32>)>,
}

/// Everything the dashboard knows and shows.
#[derive(Debug)]
pub struct App {
    /// The latest snapshot (`None` until the first arrives).
    pub data: Option<Data>,
    pub history: History,
    pub focus: Panel,
    pub sort: SortKey,
    /// Each panel's filter, in [`Panel::ALL`] order ("" for none): applied as it is typed, to the
    /// panel that has the focus.
    pub filters: [String; 3],
    pub mode: Mode,
    /// Per panel, in [`Panel::ALL`] order.
    pub cursors: [Cursor; 3],
    /// The Processes panel's lines (derived from data, sort and filter).
    pub view: Vec<ViewRow>,
    /// Indexes into the report's sessions that pass the filter.
    pub sessions: Vec<usize>,
    /// Indexes into the report's servers that pass the filter.
    pub servers: Vec<usize>,
    pub message: Option<Message>,
    /// Why the last refresh failed, until one succeeds.
    pub refresh_error: Option<String>,
    /// A stop or clean is running (what it is).
    pub busy: Option<String>,
    /// The screen size (columns, rows).
    pub size: (u16, u16),
    /// The clock, seconds since the epoch.
    pub now: f64,
    /// Colours on (off: NO_COLOR or `--color never`; levels still read as words).
    pub color: bool,
    /// Set when the dashboard should end, with the exit code.
    pub exit: Option<i32>,
}

impl App {
    /// A dashboard with no data yet.
    pub fn new(color: bool, size: (u16, u16), now: f64) -> App {
        App {
            data: None,
            history: History::default(),
            focus: Panel::Sessions,
            sort: SortKey::default(),
            filters: Default::default(),
            mode: Mode::Normal,
            cursors: [Cursor::default(); 3],
            view: Vec::new(),
            sessions: Vec::new(),
            servers: Vec::new(),
            message: None,
            refresh_error: None,
            busy: None,
            size,
            now,
            color,
            exit: None,
        }
    }

    /// Which keys apply now.
    pub fn input_mode(&self) -> InputMode {
        match self.mode {
            Mode::Normal => InputMode::Normal,
            Mode::Filter(_) => InputMode::Filter,
            Mode::Confirm(_) => InputMode::Confirm,
            Mode::Help(_) => InputMode::Help,
            Mode::Detail(_) => InputMode::Detail,
        }
    }

    /// The filter of panel `p` ("" for none).
    pub fn filter(&self, p: Panel) -> &str {
        &self.filters[p.index()]
    }

    /// The panel layout for the current size and data.
    pub fn areas(&self) -> Option<Areas> {
        Areas::new(
            Rect::new(0, 0, self.size.0, self.size.1),
            self.sessions.len().max(self.servers.len()),
        )
    }

    /// How many lines `p` lists.
    pub fn len(&self, p: Panel) -> usize {
        match p {
            Panel::Sessions => self.sessions.len(),
            Panel::Processes => self.view.len(),
            Panel::Servers => self.servers.len(),
        }
    }

    /// A panel's selection and scroll position.
    pub fn cursor(&self, p: Panel) -> Cursor {
        self.cursors[p.index()]
    }

    fn visible(&self, p: Panel) -> usize {
        self.areas().map_or(1, |a| table_rows(a.panel(p)).max(1))
    }

    /// Applies one action; returns the work it asks of the event loop, if any.
    pub fn handle(&mut self, action: Action) -> Option<Effect> {
        match action {
            Action::Quit => self.exit = Some(0),
            Action::Signal(sig) => self.exit = Some(128 + sig),
            Action::Back => self.back(),
            Action::ToggleHelp => {
                self.mode = if matches!(self.mode, Mode::Help(_)) {
                    Mode::Normal
                } else {
                    Mode::Help(0)
                };
            }
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-(self.visible(self.focus) as isize)),
            Action::PageDown => self.move_by(self.visible(self.focus) as isize),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::NextPanel => self.focus = self.focus.step(1),
            Action::PrevPanel => self.focus = self.focus.step(-1),
            Action::CycleSort => {
                self.sort = self.sort.next();
                self.rebuild();
                self.say(format!("processes sorted by {}", self.sort.label()), false);
            }
            // The filter applies as it is typed; the mode keeps the text it had, for Esc.
            Action::StartFilter => self.mode = Mode::Filter(self.filter(self.focus).to_owned()),
            Action::FilterInput(c) => {
                self.filters[self.focus.index()].push(c);
                self.rebuild();
            }
            Action::FilterBackspace => {
                self.filters[self.focus.index()].pop();
                self.rebuild();
            }
            Action::FilterApply => {
                self.mode = Mode::Normal;
                let f = &mut self.filters[self.focus.index()];
                *f = f.trim().to_owned();
                self.rebuild();
            }
            Action::FilterCancel => {
                if let Mode::Filter(before) = std::mem::replace(&mut self.mode, Mode::Normal) {
                    self.filters[self.focus.index()] = before;
                    self.rebuild();
                }
            }
            Action::StartDaemon => return self.start_daemon(),
            Action::Details => self.details(),
            Action::StopSelected => self.ask_stop(),
            Action::Clean => self.ask_clean(),
            Action::Confirm(yes) => return self.answer(yes),
            Action::Restart => return self.restart(),
            Action::Activate => return self.activate(),
            Action::Scroll { up, column, row } => self.scroll(up, column, row),
            Action::Click { column, row } => self.click(column, row),
            Action::Resize(w, h) => {
                self.size = (w, h);
                self.clamp_all();
            }
            Action::Tick(now) => self.now = now,
            Action::Data(d) => self.set_data(*d),
            Action::DataError(e) => self.refresh_error = Some(e),
            Action::Done(Outcome { text, ok }) => {
                self.busy = None;
                self.say(text, !ok);
                return Some(Effect::Refresh);
            }
        }
        None
    }

    /// Sets the message bar.
    pub fn say(&mut self, text: impl Into<String>, error: bool) {
        self.message = Some(Message {
            text: text.into(),
            error,
            at: self.now,
        });
    }

    /// Esc: closes what is open, clears the focused panel's filter; never quits (q does).
    fn back(&mut self) {
        match self.mode {
            Mode::Normal if !self.filter(self.focus).is_empty() => {
                self.filters[self.focus.index()].clear();
                self.rebuild();
                self.say("filter cleared", false);
            }
            Mode::Normal => self.say("q quits (Esc only closes what is open)", false),
            Mode::Confirm(_) => return self.answer_no(),
            Mode::Filter(_) | Mode::Help(_) | Mode::Detail(_) => {}
        }
        self.mode = Mode::Normal;
    }

    fn move_by(&mut self, by: isize) {
        if let Mode::Help(scroll) = self.mode {
            // Until the help's last row shows, no further.
            let screen = Rect::new(0, 0, self.size.0, self.size.1);
            let max = super::draw::overlay::help_max_scroll(self, screen) as isize;
            self.mode = Mode::Help((scroll as isize).saturating_add(by).clamp(0, max) as u16);
            return;
        }
        let p = self.focus;
        let len = self.len(p);
        let c = &mut self.cursors[p.index()];
        c.selected = (c.selected as isize)
            .saturating_add(by)
            .clamp(0, len.saturating_sub(1) as isize) as usize;
        self.clamp(p);
    }

    /// Keeps a panel's selection inside its list and on screen.
    fn clamp(&mut self, p: Panel) {
        let (len, vis) = (self.len(p), self.visible(p));
        let c = &mut self.cursors[p.index()];
        c.selected = c.selected.min(len.saturating_sub(1));
        if c.selected < c.offset {
            c.offset = c.selected;
        } else if c.selected >= c.offset + vis {
            c.offset = c.selected + 1 - vis;
        }
        c.offset = c.offset.min(len.saturating_sub(vis));
    }

    fn clamp_all(&mut self) {
        for p in Panel::ALL {
            self.clamp(p);
        }
    }

    fn set_data(&mut self, d: Data) {
        // The daemon's history reaches back further than this dashboard has been open: when it
        // runs, the sparkline is drawn from it (plus the sample just taken).
        if !d.report.rss_history.is_empty() {
            self.history = History::default();
            for (t, rss) in &d.report.rss_history {
                self.history.push(*t as f64, *rss);
            }
        }
        self.history.push(d.taken_at, d.report.rss_bytes.value);
        self.refresh_error = None;
        let keys = self.selection_keys();
        self.data = Some(d);
        self.rebuild_keeping(keys);
    }

    /// What each panel has selected, in terms that survive a refresh.
    fn selection_keys(&self) -> Selection {
        let Some(d) = &self.data else {
            return Selection::default();
        };
        let s = self
            .sessions
            .get(self.cursor(Panel::Sessions).selected)
            .map(|&i| d.report.sessions[i].name.clone());
        let p = self
            .view
            .get(self.cursor(Panel::Processes).selected)
            .map(|v| v.key(d));
        let v = self
            .servers
            .get(self.cursor(Panel::Servers).selected)
            .map(|&i| {
                let s = &d.report.servers[i];
                (s.name.clone(), s.pid)
            });
        Selection {
            session: s,
            process: p,
            server: v,
        }
    }

    /// Recomputes the derived lists after data, sort or filter changed, keeping the selections.
    fn rebuild(&mut self) {
        let keys = self.selection_keys();
        self.rebuild_keeping(keys);
    }

    fn rebuild_keeping(&mut self, keys: Selection) {
        let Some(d) = &self.data else { return };
        let needle = |p: Panel| self.filters[p.index()].trim().to_lowercase();
        let hit = |n: &str, s: &str| n.is_empty() || s.to_lowercase().contains(n);
        let n = needle(Panel::Sessions);
        self.sessions = (0..d.report.sessions.len())
            .filter(|&i| hit(&n, &d.report.sessions[i].name))
            .collect();
        let n = needle(Panel::Servers);
        self.servers = (0..d.report.servers.len())
            .filter(|&i| {
                let s = &d.report.servers[i];
                hit(&n, &s.name)
                    || s.session.as_deref().is_some_and(|x| hit(&n, x))
                    || hit(&n, &s.state)
            })
            .collect();
        self.view = tree::build(d, self.sort, &self.filters[Panel::Processes.index()]);
        let Selection {
            session: s,
            process: p,
            server: v,
        } = keys;
        if let Some(at) = s.and_then(|k| {
            self.sessions
                .iter()
                .position(|&i| d.report.sessions[i].name == k)
        }) {
            self.cursors[Panel::Sessions.index()].selected = at;
        }
        if let Some(at) = p.and_then(|k| self.view.iter().position(|r| r.key(d) == k)) {
            self.cursors[Panel::Processes.index()].selected = at;
        }
        if let Some(at) = v.and_then(|(name, pid)| {
            self.servers
                .iter()
                .position(|&i| d.report.servers[i].name == name && d.report.servers[i].pid == pid)
        }) {
            self.cursors[Panel::Servers.index()].selected = at;
        }
        self.clamp_all();
    }

    fn scroll(&mut self, up: bool, column: u16, row: u16) {
        if matches!(self.mode, Mode::Help(_)) {
            return self.move_by(if up { -1 } else { 1 });
        }
        if !matches!(self.mode, Mode::Normal) {
            return;
        }
        if let Some(p) = self.areas().and_then(|a| a.panel_at(column, row)) {
            self.focus = p;
            self.move_by(if up { -1 } else { 1 });
        }
    }

    fn click(&mut self, column: u16, row: u16) {
        let Some(a) = self.areas() else { return };
        let Some(p) = a.panel_at(column, row) else {
            return;
        };
        self.focus = p;
        // Data lines start below the top border and the column header.
        let first = a.panel(p).y + 2;
        if row >= first && usize::from(row - first) < table_rows(a.panel(p)) {
            let at = self.cursor(p).offset + usize::from(row - first);
            if at < self.len(p) {
                self.cursors[p.index()].selected = at;
            }
        }
    }
}

#[path = "app_commands.rs"]
mod commands;

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
