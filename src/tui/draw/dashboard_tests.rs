//! The dashboard's first-hour behaviour as `TestBackend` buffers: session servers named
//! `name@session` at every width, a readable LEAK trend, failed servers in red with their reason
//! one key away, live per-panel filters counted in the titles, the daemon's state in the header,
//! and `K` on a managed server going through the daemon.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use crate::model::ServerRow;
use crate::tui::action::Action;
use crate::tui::app::{App, Effect, Mode, Panel, Pending};
use crate::tui::data::Data;
use crate::tui::fixtures::{self, TAKEN_AT};

use super::draw;

fn app(d: Data, w: u16, h: u16) -> App {
    let mut app = App::new(true, (w, h), TAKEN_AT + 3.0);
    app.handle(Action::Data(Box::new(d)));
    app
}

/// The screen as text, and the buffer for colours.
fn screen(app: &App) -> (String, ratatui::buffer::Buffer) {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    t.draw(|f| draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    (fixtures::buffer_text(&buf), buf)
}

fn session_server(name: &str, session: &str, state: &str) -> ServerRow {
    let mut s = fixtures::server(name, "session", state, Some(7), 30 << 20);
    s.session = Some(session.into());
    s
}

fn servers_data() -> Data {
    let mut leaky = fixtures::server("memory", "global", "running", Some(9), 900 << 20);
    leaky.trend_mb_per_hour = Some(5118.0);
    leaky.leak = true;
    let mut failed = fixtures::server("broken", "global", "failed", None, 0);
    failed.last_exit = Some("exit status 1".into());
    failed.last_log = vec![
        "npm ERR! code E404".into(),
        "npm ERR! 404 Not Found - @acme/mcp-brokn".into(),
    ];
    fixtures::data(
        &[("api", true), ("docs", false)],
        vec![
            session_server("notes", "api", "running"),
            session_server("notes", "docs", "running"),
            leaky,
            failed,
        ],
    )
}

#[test]
fn session_servers_are_name_at_session_at_every_width() {
    for (w, h) in [(80, 24), (120, 30), (200, 40)] {
        let (s, _) = screen(&app(servers_data(), w, h));
        assert!(
            s.contains("notes@api") && s.contains("notes@docs"),
            "{w}x{h}:\n{s}"
        );
    }
}

#[test]
fn trend_reads_with_the_word_leak() {
    let (s, _) = screen(&app(servers_data(), 200, 40));
    assert!(s.contains("+5118MB/h LEAK"), "{s}");
}

#[test]
fn failed_is_red_and_its_exit_and_log_are_one_key_away() {
    let mut a = app(servers_data(), 160, 40);
    let (s, buf) = screen(&a);
    let y = s
        .lines()
        .position(|l| l.contains("FAILED"))
        .expect("no FAILED");
    let x = s.lines().nth(y).unwrap().find("FAILED").unwrap();
    // `find` counts bytes: the line's box-drawing characters are wider, so look around.
    let red = (0..buf.area.width).any(|x2| {
        let c = &buf[(x2, y as u16)];
        c.symbol() == "F" && c.fg == Color::Red
    });
    assert!(red, "FAILED not red near column {x}:\n{s}");
    assert!(s.contains("1 failed: l shows why"), "{s}");
    // Select the failed server and open its details.
    a.handle(Action::NextPanel);
    a.handle(Action::NextPanel);
    assert_eq!(a.focus, Panel::Servers);
    a.handle(Action::Bottom);
    a.handle(Action::Details);
    assert!(matches!(a.mode, Mode::Detail(_)));
    let (s, _) = screen(&a);
    assert!(s.contains("exit status 1"), "{s}");
    assert!(s.contains("npm ERR! 404 Not Found"), "{s}");
    // Esc closes it and does not quit; Enter opens it too.
    a.handle(Action::Back);
    assert!(matches!(a.mode, Mode::Normal) && a.exit.is_none());
    a.handle(Action::Activate);
    assert!(matches!(a.mode, Mode::Detail(_)));
}

#[test]
fn the_filter_is_live_scoped_and_counted_in_the_title() {
    let mut a = app(servers_data(), 160, 40);
    a.handle(Action::NextPanel);
    a.handle(Action::NextPanel);
    a.handle(Action::StartFilter);
    for c in "notes".chars() {
        a.handle(Action::FilterInput(c));
    }
    let (s, _) = screen(&a);
    assert!(s.contains("Servers 2 of 4"), "{s}");
    // The sessions panel is not filtered by what was typed for servers.
    assert!(s.contains("Sessions 2 ("), "{s}");
    assert!(!s.contains("Sessions 0 of"), "{s}");
}

#[test]
fn the_header_shows_the_daemon_and_d_starts_it() {
    let mut a = app(servers_data(), 120, 30);
    let (s, _) = screen(&a);
    assert!(s.contains("daemon stopped: D starts it"), "{s}");
    assert_eq!(a.handle(Action::StartDaemon), Some(Effect::StartDaemon));
    let mut d = servers_data();
    d.report.daemon.running = true;
    d.report.daemon.pid = Some(4242);
    a.handle(Action::Data(Box::new(d)));
    let (s, _) = screen(&a);
    assert!(s.contains("daemon running (pid 4242)"), "{s}");
    assert_eq!(a.handle(Action::StartDaemon), None);
}

#[test]
fn k_on_a_managed_server_stops_it_through_the_daemon() {
    let mut d = servers_data();
    d.report.daemon.running = true;
    let mut a = app(d, 160, 40);
    a.handle(Action::PrevPanel);
    assert_eq!(a.focus, Panel::Servers);
    a.handle(Action::StopSelected);
    assert!(
        matches!(&a.mode, Mode::Confirm(Pending::StopServer { server, session }) if server == "notes" && session.as_deref() == Some("api")),
        "{:?}",
        a.mode
    );
    let (s, _) = screen(&a);
    assert!(
        s.contains("Stop this server?") && s.contains("notes@api"),
        "{s}"
    );
    assert_eq!(
        a.handle(Action::Confirm(true)),
        Some(Effect::StopServer {
            server: "notes".into(),
            session: Some("api".into())
        })
    );
    // Without the daemon, K says so instead of stopping a tree the daemon would restart.
    let mut a = app(servers_data(), 160, 40);
    a.handle(Action::PrevPanel);
    a.handle(Action::StopSelected);
    assert!(matches!(a.mode, Mode::Normal));
    assert!(a.message.unwrap().text.contains("D starts it"));
}

#[test]
fn unreachable_tmux_is_not_shown_as_sessions_gone() {
    let mut d = fixtures::normal();
    d.report.tmux = false;
    d.report.sessions.clear();
    let (s, _) = screen(&app(d, 120, 30));
    assert!(s.contains("tmux could not be reached"), "{s}");
    assert!(s.contains("session api (tmux unreachable)"), "{s}");
    assert!(!s.contains("(gone)"), "{s}");
}

#[test]
fn each_instance_of_a_shared_server_is_a_row_with_its_own_clients() {
    // `fs` serves two clients of one contract, `fs#1` one of another: two processes, two rows.
    let instance = |label: &str, pid: i32, clients: u32| {
        let mut s = fixtures::server("fs", "global", "running", Some(pid), 40 << 20);
        s.instance = Some(label.into());
        s.clients = clients;
        s.client_sessions = vec!["api".into(); clients as usize];
        s
    };
    let data = || {
        fixtures::data(
            &[("api", true)],
            vec![instance("fs", 4101, 2), instance("fs#1", 4102, 1)],
        )
    };
    // Narrow: the instance labels alone.
    let (s, _) = screen(&app(data(), 120, 30));
    assert!(s.contains("│fs#1 ") && s.contains("│fs "), "{s}");
    for (w, h) in [(180, 40), (200, 40)] {
        let (s, _) = screen(&app(data(), w, h));
        // NAME SCOPE PID STATE RST RSS (`42 MB`) CLIENTS: the cells around the pid.
        let row = |pid: &str| {
            let line = s.lines().find(|l| l.contains(pid));
            let line = line.unwrap_or_else(|| panic!("no row with pid {pid} at {w}x{h}:\n{s}"));
            let cells: Vec<&str> = line.split_whitespace().collect();
            let at = cells.iter().position(|c| *c == pid).unwrap();
            let name = cells[at - 2].trim_start_matches('│');
            (name.to_string(), cells[at + 5].to_string())
        };
        assert_eq!(row("4101"), ("fs".into(), "2".into()), "{w}x{h}:\n{s}");
        assert_eq!(row("4102"), ("fs#1".into(), "1".into()), "{w}x{h}:\n{s}");
    }
}

/// Whole screens, kept under `src/tui/snapshots/` for review (as in `tests.rs`).
fn snapshot(name: &str, screen: &str) {
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, screen);
    });
}

#[test]
fn snapshot_session_servers_80x24() {
    let mut a = app(servers_data(), 80, 24);
    a.handle(Action::NextPanel);
    a.handle(Action::NextPanel);
    snapshot("session_servers_80x24", &screen(&a).0);
}

#[test]
fn snapshot_failed_server_detail_100x30() {
    let mut a = app(servers_data(), 100, 30);
    a.handle(Action::NextPanel);
    a.handle(Action::NextPanel);
    a.handle(Action::Bottom);
    a.handle(Action::Details);
    snapshot("failed_server_detail_100x30", &screen(&a).0);
}
