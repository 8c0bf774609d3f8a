//! Rendering into ratatui's `TestBackend` with synthetic data: each panel alone, the whole screen at
//! each level, empty and crowded, at the smallest supported size and below it, with and without colour.

use ratatui::Terminal;
use ratatui::backend::{Backend, TestBackend};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;

use crate::tui::action::Action;
use crate::tui::app::{App, Panel};
use crate::tui::data::Data;
use crate::tui::fixtures::{self, TAKEN_AT};

use super::{draw, footer, header, history, processes, servers, sessions};

/// Draws the whole dashboard with any backend.
fn render<B: Backend>(terminal: &mut Terminal<B>, app: &App) {
    terminal
        .draw(|f| draw(f, app))
        .map(|_| ())
        .unwrap_or_else(|_| panic!("draw failed"));
}

fn app(d: Data, w: u16, h: u16, color: bool) -> App {
    let mut app = App::new(color, (w, h), TAKEN_AT + 3.0);
    app.handle(Action::Data(Box::new(d)));
    app
}

fn text(buf: &Buffer) -> String {
    fixtures::buffer_text(buf)
}

fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    render(&mut t, app);
    text(t.backend().buffer())
}

/// One panel alone, drawn over the whole of a `w` x `h` buffer.
fn panel(app: &App, w: u16, h: u16, f: fn(&mut ratatui::Frame, Rect, &App)) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|frame| f(frame, frame.area(), app)).unwrap();
    text(t.backend().buffer())
}

fn line_with<'a>(s: &'a str, needle: &str) -> &'a str {
    s.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{s}"))
}

#[test]
fn header_gauges_show_values_words_and_thresholds() {
    let normal = panel(
        &app(fixtures::normal(), 80, 4, false),
        80,
        4,
        header::render,
    );
    assert!(line_with(&normal, "processes").contains("3 ok"), "{normal}");
    assert!(line_with(&normal, "processes").contains("10/21"));
    assert!(line_with(&normal, "RSS").contains("108 MB ok"));
    assert!(line_with(&normal, "RSS").contains("300MB/1GB"));
    assert!(line_with(&normal, "mcpd").contains(" ok "));
    assert!(line_with(&normal, "mcpd").contains("updated 3s ago"));

    let warn = panel(
        &app(fixtures::warning(), 80, 4, false),
        80,
        4,
        header::render,
    );
    assert!(line_with(&warn, "processes").contains("12 WARN"), "{warn}");
    assert!(line_with(&warn, "orphans").contains("1 WARN"));
    assert!(line_with(&warn, "mcpd").contains("WARN"));

    let crit = panel(
        &app(fixtures::critical(), 80, 4, false),
        80,
        4,
        header::render,
    );
    assert!(line_with(&crit, "RSS").contains("1.5 GB CRIT"), "{crit}");
    assert!(line_with(&crit, "orphans").contains("9 CRIT"));
    assert!(line_with(&crit, "mcpd").contains("CRIT"));
    // The bar is full at or past critical.
    assert!(line_with(&crit, "orphans").contains("████"));
}

#[test]
fn header_without_tmux_says_so() {
    let mut d = fixtures::normal();
    d.report.tmux = false;
    let s = panel(&app(d, 80, 4, false), 80, 4, header::render);
    assert!(line_with(&s, "detached").contains("no tmux"), "{s}");
}

#[test]
fn sessions_panel_lists_state_idle_count_and_rss() {
    let s = panel(
        &app(fixtures::normal(), 40, 6, false),
        40,
        6,
        sessions::render,
    );
    assert!(s.contains("Sessions 2 (1 detached)"), "{s}");
    let api = line_with(&s, "api");
    assert!(
        api.contains("attached") && api.contains("12s") && api.contains("63 MB"),
        "{api}"
    );
    assert!(line_with(&s, "docs").contains("detached"));
    assert!(line_with(&s, "docs").contains("1h06m"));
}

#[test]
fn servers_panel_fits_its_columns_to_the_width() {
    let a = app(fixtures::normal(), 80, 24, false);
    let narrow = panel(&a, 40, 6, servers::render);
    let fs = line_with(&narrow, "filesystem");
    assert!(fs.contains("running") && fs.contains("45 MB"), "{narrow}");
    assert!(!narrow.contains("CLIENTS"));
    assert!(line_with(&narrow, "github").contains("stopped"));

    let wide = panel(&a, 90, 6, servers::render);
    assert!(
        line_with(&wide, "NAME").contains("CLIENTS") && line_with(&wide, "NAME").contains("TREND"),
        "{wide}"
    );
    let fs = line_with(&wide, "filesystem");
    assert!(fs.contains("global") && fs.contains(" 20 "), "{fs}");
    // No daemon: clients and trend are unknown, not zero.
    assert!(
        fs.trim_end()
            .trim_end_matches('│')
            .trim_end()
            .ends_with('-'),
        "{fs}"
    );
}

#[test]
fn processes_panel_draws_trees_under_owners() {
    let s = panel(
        &app(fixtures::critical(), 100, 20, false),
        100,
        20,
        processes::render,
    );
    assert!(
        line_with(&s, "session api (attached)").contains("2 processes"),
        "{s}"
    );
    assert!(line_with(&s, "mcp-server-git/dist").contains("└─"));
    let orphan_group = line_with(&s, "no owner");
    assert!(orphan_group.contains("9 orph"), "{orphan_group}");
    assert!(line_with(&s, " 100 ").contains("ORPHAN"));
    assert!(line_with(&s, "Processes 12").contains("sort RSS"));
}

#[test]
fn history_draws_a_sparkline_from_the_samples() {
    let mut a = app(fixtures::normal(), 80, 24, false);
    let empty = {
        let mut b = App::new(false, (80, 24), 0.0);
        b.color = false;
        panel(&b, 80, 1, history::render)
    };
    assert!(empty.contains("collecting samples"), "{empty}");
    for i in 1..20u32 {
        let mut d = fixtures::normal();
        d.taken_at += f64::from(i) * 2.0;
        d.report.rss_bytes.value = u64::from(i) * 10_000_000;
        a.handle(Action::Data(Box::new(d)));
    }
    let s = panel(&a, 80, 1, history::render);
    assert!(s.contains("total RSS 190 MB"), "{s}");
    assert!(s.contains('█'), "{s}");
    assert!(s.contains("over 38s"), "{s}");
}

#[test]
fn footer_shows_recommendations_messages_and_keys() {
    let mut a = app(fixtures::critical(), 80, 24, false);
    let s = panel(&a, 80, 3, footer::render);
    assert!(
        s.contains("→ 9 orphaned MCP processes (1.4 GB): run `mcpd clean`"),
        "{s}"
    );
    assert!(s.contains("(+1 more: ?)"));
    assert!(
        s.contains("q quit ? help Tab panel s sort / filter K stop c clean r restart ⏎ attach"),
        "{s}"
    );

    a.handle(Action::PrevPanel);
    a.handle(Action::Restart);
    let s = panel(&a, 80, 3, footer::render);
    assert!(
        s.contains("restart filesystem: needs the daemon (not running)"),
        "{s}"
    );
    // Messages fade.
    a.handle(Action::Tick(TAKEN_AT + 60.0));
    assert!(!panel(&a, 80, 3, footer::render).contains("needs the daemon"));

    a.handle(Action::StartFilter);
    for c in "api".chars() {
        a.handle(Action::FilterInput(c));
    }
    assert!(panel(&a, 80, 3, footer::render).contains("/api█"));
}

#[test]
fn whole_screen_at_80x24_normal() {
    let s = screen(&app(fixtures::normal(), 80, 24, false));
    for needle in [
        "mcpd",
        "processes",
        "RSS",
        "detached",
        "orphans",
        "Sessions 2",
        "Servers 2",
        "Processes 3",
        "filesystem",
        "q quit",
        "No recommendations.",
    ] {
        assert!(s.contains(needle), "{needle:?} missing:\n{s}");
    }
    assert!(!s.contains("WARN") && !s.contains("CRIT"), "{s}");
}

#[test]
fn whole_screen_warning_and_critical_words() {
    let s = screen(&app(fixtures::warning(), 80, 24, false));
    assert!(s.contains("WARN") && !s.contains("CRIT"), "{s}");
    let s = screen(&app(fixtures::critical(), 80, 24, false));
    assert!(s.contains("CRIT") && s.contains("ORPHAN"), "{s}");
}

#[test]
fn empty_machine_says_what_is_missing() {
    let s = screen(&app(fixtures::data(&[], vec![]), 80, 24, false));
    assert!(s.contains("No tmux sessions."), "{s}");
    assert!(s.contains("No servers configured"), "{s}");
    assert!(s.contains("No MCP processes found."), "{s}");
    let before = screen(&App::new(false, (80, 24), 0.0));
    assert!(before.contains("collecting…"), "{before}");
}

#[test]
fn many_sessions_scroll_to_the_last() {
    let mut a = app(fixtures::many_sessions(50), 80, 24, false);
    a.handle(Action::Bottom);
    let s = screen(&a);
    // The Sessions panel's lines start at its border; the process tree's groups say "session ...".
    assert!(s.contains("│project-49 "), "{s}");
    assert!(!s.contains("│project-00 "), "{s}");
    assert!(s.contains("Sessions 50 (25 detached)"));
    a.handle(Action::NextPanel);
    a.handle(Action::Bottom);
    assert!(screen(&a).contains("1049"));
}

#[test]
fn tiny_terminal_says_too_small() {
    let s = screen(&app(fixtures::critical(), 20, 5, false));
    assert!(s.contains("terminal too small"), "{s}");
    assert!(s.contains("20x5, need 80x24"), "{s}");
    let s = screen(&app(fixtures::critical(), 79, 30, false));
    assert!(s.contains("terminal too small"), "{s}");
}

#[test]
fn no_size_and_no_mode_panics() {
    let modes: [fn(&mut App); 4] = [
        |_| {},
        |a| {
            a.handle(Action::ToggleHelp);
        },
        |a| {
            a.handle(Action::Clean);
        },
        |a| {
            a.focus = Panel::Processes;
            a.handle(Action::Down);
            a.handle(Action::StopSelected);
        },
    ];
    for w in (0..=130).step_by(7).chain([80, 81]) {
        for h in (0..=50).step_by(3).chain([24, 25]) {
            for m in modes {
                let mut a = app(fixtures::critical(), w, h, true);
                m(&mut a);
                screen(&a);
            }
        }
    }
}

#[test]
fn help_overlay_lists_keys_and_recommendations() {
    let mut a = app(fixtures::critical(), 100, 40, false);
    a.handle(Action::ToggleHelp);
    let s = screen(&a);
    assert!(s.contains("Help"), "{s}");
    assert!(s.contains("stop the selected tree, or server through the daemon"));
    assert!(s.contains("Recommendations"));
    assert!(s.contains("→ 9 copies of `node mcp-server-memory`"));
    assert!(s.contains("needs the daemon (not running)"));
}

#[test]
fn stop_question_names_the_process_and_the_sequence() {
    let mut a = app(fixtures::normal(), 80, 24, false);
    a.handle(Action::NextPanel);
    a.handle(Action::Down);
    a.handle(Action::StopSelected);
    let s = screen(&a);
    assert!(s.contains("Stop this process tree? y/n"), "{s}");
    assert!(line_with(&s, "pid ").contains("10"));
    assert!(s.contains("63 MB with 1 MCP-like descendant"));
    assert!(s.contains("SIGKILL after 3s"));
}

#[test]
fn clean_question_shows_the_plan_and_fits() {
    let mut a = app(fixtures::critical(), 80, 24, false);
    a.handle(Action::Clean);
    let s = screen(&a);
    assert!(s.contains("Clean? y/n"), "{s}");
    assert!(s.contains("Stop 9 orphaned tree(s), 1.4 GB"), "{s}");
    // Nine trees fit at 80x24 on one line each, without their reasons.
    assert!(s.contains("    108  150 MB  node mcp-server-memory"), "{s}");
    assert!(!s.contains("orphan: reparented"), "{s}");
    let mut d = fixtures::critical();
    let more: Vec<_> = (0..31).map(|_| d.plan.stop[0].clone()).collect();
    d.plan.stop.extend(more);
    let mut crowded = app(d, 80, 24, false);
    crowded.handle(Action::Clean);
    let c = screen(&crowded);
    assert!(c.contains("Stop 40 orphaned tree(s), 6 GB"), "{c}");
    assert!(c.contains("… and 26 more tree(s), 3.9 GB"), "{c}");
    assert!(
        c.contains("Each tree gets SIGTERM") && c.contains(" y  yes"),
        "{c}"
    );
    assert!(s.contains("Each tree gets SIGTERM"), "{s}");
    let tall = screen(&{
        let mut b = app(fixtures::critical(), 100, 50, false);
        b.handle(Action::Clean);
        b
    });
    assert!(
        tall.contains("108") && !tall.contains("more line(s)"),
        "{tall}"
    );
}

#[test]
fn monochrome_uses_no_colour_but_keeps_the_words() {
    let a = app(fixtures::critical(), 80, 24, false);
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    render(&mut t, &a);
    let buf = t.backend().buffer();
    assert!(
        buf.content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
    );
    assert!(text(buf).contains("CRIT"));

    let a = app(fixtures::critical(), 80, 24, true);
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    render(&mut t, &a);
    let buf = t.backend().buffer();
    assert!(
        buf.content()
            .iter()
            .any(|c| c.fg == Color::Red && c.symbol() == "C")
    );
}

#[test]
fn hostile_names_cannot_reach_the_terminal() {
    let mut d = fixtures::normal();
    d.report.sessions[0].name = "evil\x1b[2J\x07".into();
    d.rows[0].command = "node \x1b]0;pwned\x07 mcp-server".into();
    let s = screen(&app(d, 100, 30, false));
    assert!(!s.contains('\x1b') && !s.contains('\x07'), "{s:?}");
    assert!(s.contains("evil�[2J�"), "{s}");
}

/// Whole screens, kept under `src/tui/snapshots/` for review.
fn snapshot(name: &str, screen: &str) {
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, screen);
    });
}

#[test]
fn snapshot_normal_80x24() {
    snapshot(
        "normal_80x24",
        &screen(&app(fixtures::normal(), 80, 24, false)),
    );
}

#[test]
fn snapshot_critical_100x30() {
    let mut a = app(fixtures::critical(), 100, 30, false);
    a.handle(Action::NextPanel);
    snapshot("critical_100x30", &screen(&a));
}

#[test]
fn snapshot_clean_question_80x24() {
    let mut a = app(fixtures::critical(), 80, 24, false);
    a.handle(Action::Clean);
    snapshot("clean_question_80x24", &screen(&a));
}
