//! Key handling on the app's state: actions in, state and effects out; no terminal.

use super::*;
use crate::tui::fixtures::{self, TAKEN_AT};

fn app_with(d: Data) -> App {
    let mut app = App::new(false, (100, 40), TAKEN_AT);
    app.handle(Action::Data(Box::new(d)));
    app
}

fn selected_pid(app: &App) -> Option<i32> {
    match app.selected_row()? {
        ViewRow::Proc { index, .. } => Some(app.data.as_ref()?.rows[*index].pid),
        ViewRow::Group { .. } => None,
    }
}

#[test]
fn quit_and_escape() {
    let mut app = app_with(fixtures::normal());
    assert_eq!(app.handle(Action::Quit), None);
    assert_eq!(app.exit, Some(0));

    // Esc never quits: it says what does.
    let mut app = app_with(fixtures::normal());
    app.handle(Action::Back);
    assert_eq!(app.exit, None);
    assert!(app.message.as_ref().unwrap().text.starts_with("q quits"));

    let mut app = app_with(fixtures::normal());
    app.handle(Action::Signal(15));
    assert_eq!(app.exit, Some(143));
}

#[test]
fn escape_clears_an_applied_filter_before_quitting() {
    let mut app = app_with(fixtures::normal());
    for a in [
        Action::StartFilter,
        Action::FilterInput('a'),
        Action::FilterInput('p'),
        Action::FilterApply,
    ] {
        app.handle(a);
    }
    assert_eq!(app.filter(Panel::Sessions), "ap");
    app.handle(Action::Back);
    assert_eq!(app.filter(Panel::Sessions), "");
    assert_eq!(app.exit, None);
}

#[test]
fn tab_cycles_panels_both_ways() {
    let mut app = app_with(fixtures::normal());
    assert_eq!(app.focus, Panel::Sessions);
    app.handle(Action::NextPanel);
    assert_eq!(app.focus, Panel::Processes);
    app.handle(Action::NextPanel);
    app.handle(Action::NextPanel);
    assert_eq!(app.focus, Panel::Sessions);
    app.handle(Action::PrevPanel);
    assert_eq!(app.focus, Panel::Servers);
}

#[test]
fn moving_is_clamped_and_scrolls() {
    let mut app = app_with(fixtures::many_sessions(40));
    app.handle(Action::Up);
    assert_eq!(app.cursor(Panel::Sessions).selected, 0);
    app.handle(Action::Bottom);
    let c = app.cursor(Panel::Sessions);
    assert_eq!(c.selected, 39);
    let vis = table_rows(app.areas().unwrap().sessions);
    assert_eq!(c.offset, 40 - vis);
    app.handle(Action::PageUp);
    assert_eq!(app.cursor(Panel::Sessions).selected, 39 - vis);
    app.handle(Action::Top);
    assert_eq!(
        app.cursor(Panel::Sessions),
        Cursor {
            selected: 0,
            offset: 0
        }
    );
    // A smaller screen keeps the selection visible.
    app.handle(Action::Bottom);
    app.handle(Action::Resize(80, 24));
    let c = app.cursor(Panel::Sessions);
    assert!(
        c.selected >= c.offset && c.selected < c.offset + table_rows(app.areas().unwrap().sessions)
    );
}

#[test]
fn filter_applies_as_typed_to_the_focused_panel_only() {
    let mut app = app_with(fixtures::normal());
    let processes = app.view.len();
    app.handle(Action::StartFilter);
    assert_eq!(app.input_mode(), InputMode::Filter);
    for c in "docsx".chars() {
        app.handle(Action::FilterInput(c));
    }
    // Live: "docsx" matches nothing yet.
    assert!(app.sessions.is_empty());
    app.handle(Action::FilterBackspace);
    assert_eq!(app.sessions, vec![1]);
    // The other panels keep everything.
    assert_eq!(app.view.len(), processes);
    app.handle(Action::FilterApply);
    assert_eq!(app.filter(Panel::Sessions), "docs");
    assert_eq!(app.filter(Panel::Processes), "");

    app.handle(Action::StartFilter);
    app.handle(Action::FilterInput('z'));
    assert!(app.sessions.is_empty());
    app.handle(Action::FilterCancel);
    assert_eq!(app.filter(Panel::Sessions), "docs");
    assert_eq!(app.sessions, vec![1]);
    assert_eq!(app.input_mode(), InputMode::Normal);
}

#[test]
fn sort_cycles_and_keeps_the_selected_process() {
    let mut app = app_with(fixtures::warning());
    app.handle(Action::NextPanel);
    app.handle(Action::Down);
    let before = selected_pid(&app);
    assert!(before.is_some());
    app.handle(Action::CycleSort);
    assert_eq!(app.sort, SortKey::Age);
    assert_eq!(selected_pid(&app), before);
    app.handle(Action::CycleSort);
    app.handle(Action::CycleSort);
    assert_eq!(app.sort, SortKey::Rss);
}

#[test]
fn refresh_keeps_the_selection_on_the_same_session() {
    let mut app = app_with(fixtures::normal());
    app.handle(Action::Down);
    assert_eq!(app.selected_session().unwrap().name, "docs");
    let mut d = fixtures::normal();
    d.report
        .sessions
        .insert(0, fixtures::session("aaa", false, 0, 0, 0));
    d.taken_at += 2.0;
    app.handle(Action::Data(Box::new(d)));
    assert_eq!(app.selected_session().unwrap().name, "docs");
    assert_eq!(app.history.len(), 2);
}

#[test]
fn stop_asks_then_stops_exactly_the_recorded_identity() {
    let mut d = fixtures::normal();
    d.pgids.insert(
        Identity {
            pid: 10,
            start_ticks: 1010,
        },
        10,
    );
    let mut app = app_with(d);
    app.handle(Action::NextPanel);
    // First line is the session's group: K refuses.
    assert!(matches!(app.selected_row(), Some(ViewRow::Group { .. })));
    app.handle(Action::StopSelected);
    assert!(matches!(app.mode, Mode::Normal));
    assert!(app.message.as_ref().unwrap().error);

    let pos = app.view.iter().position(|r| matches!(r, ViewRow::Proc { index, .. } if app.data.as_ref().unwrap().rows[*index].pid == 10));
    app.cursors[1].selected = pos.unwrap();
    app.handle(Action::StopSelected);
    let Mode::Confirm(Pending::Stop {
        target,
        descendants,
        rss_bytes,
        ..
    }) = &app.mode
    else {
        panic!("{:?}", app.mode)
    };
    assert_eq!(
        target,
        &StopTarget {
            identity: Identity {
                pid: 10,
                start_ticks: 1010
            },
            pgid: Some(10),
            leader_exited: false
        }
    );
    assert_eq!((*descendants, *rss_bytes), (1, 63_000_000));

    let effect = app.handle(Action::Confirm(true));
    let Some(Effect::Stop { targets, .. }) = effect else {
        panic!("{effect:?}")
    };
    assert_eq!(targets[0].identity.pid, 10);
    assert!(app.busy.is_some());
    // While it runs, a second stop is refused.
    app.handle(Action::StopSelected);
    assert!(matches!(app.mode, Mode::Normal));
    assert!(app.message.as_ref().unwrap().text.starts_with("busy"));
    // The result clears busy and asks for a refresh.
    let e = app.handle(Action::Done(Outcome {
        text: "stopped 2 processes".into(),
        ok: true,
    }));
    assert_eq!(e, Some(Effect::Refresh));
    assert!(app.busy.is_none());
}

#[test]
fn stop_can_be_declined() {
    let mut app = app_with(fixtures::normal());
    app.handle(Action::NextPanel);
    app.handle(Action::Down);
    app.handle(Action::StopSelected);
    assert_eq!(app.input_mode(), InputMode::Confirm);
    assert_eq!(app.handle(Action::Confirm(false)), None);
    assert_eq!(app.input_mode(), InputMode::Normal);
    assert!(app.busy.is_none());
    assert!(app.message.as_ref().unwrap().text.contains("cancelled"));
}

#[test]
fn stop_outside_the_process_panel_explains() {
    let mut app = app_with(fixtures::normal());
    app.handle(Action::StopSelected);
    assert!(matches!(app.mode, Mode::Normal));
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("Processes or Servers panel")
    );
}

#[test]
fn clean_shows_the_plan_then_stops_its_targets() {
    let mut app = app_with(fixtures::critical());
    app.handle(Action::Clean);
    let Mode::Confirm(Pending::Clean { plan }) = &app.mode else {
        panic!("{:?}", app.mode)
    };
    assert_eq!(plan.stop.len(), 9);
    let Some(Effect::Clean { targets, drops, .. }) = app.handle(Action::Confirm(true)) else {
        panic!()
    };
    assert_eq!(targets.len(), 9);
    assert!(drops.is_empty());
    assert!(
        targets
            .iter()
            .all(|t| t.identity.start_ticks == 1000 + t.identity.pid as u64)
    );
}

#[test]
fn clean_with_nothing_to_do_says_so() {
    let mut app = app_with(fixtures::normal());
    assert_eq!(app.handle(Action::Clean), None);
    assert!(matches!(app.mode, Mode::Normal));
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .starts_with("nothing to clean")
    );
    let mut empty = App::new(false, (80, 24), 0.0);
    empty.handle(Action::Clean);
    assert!(empty.message.as_ref().unwrap().text.contains("no data yet"));
}

#[test]
fn restart_says_it_needs_the_daemon() {
    let mut app = app_with(fixtures::normal());
    app.handle(Action::PrevPanel);
    assert_eq!(app.focus, Panel::Servers);
    assert_eq!(app.handle(Action::Restart), None);
    let m = app.message.as_ref().unwrap();
    assert_eq!(m.text, "restart filesystem: needs the daemon (not running)");
}

#[test]
fn restart_asks_the_daemon_when_it_runs() {
    let mut data = fixtures::normal();
    data.report.daemon.running = true;
    let mut app = app_with(data);
    app.handle(Action::PrevPanel);
    assert_eq!(
        app.handle(Action::Restart),
        Some(Effect::Restart {
            server: "filesystem".into(),
            session: None
        })
    );
}

#[test]
fn enter_attaches_to_the_selected_session() {
    let mut app = app_with(fixtures::normal());
    app.handle(Action::Down);
    assert_eq!(
        app.handle(Action::Activate),
        Some(Effect::Attach("docs".into()))
    );
    // From the process tree, a session's group leads to it too.
    app.handle(Action::NextPanel);
    app.handle(Action::Top);
    assert_eq!(
        app.handle(Action::Activate),
        Some(Effect::Attach("api".into()))
    );
    app.handle(Action::NextPanel);
    assert_eq!(app.handle(Action::Activate), None);
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut app = app_with(fixtures::critical());
    app.handle(Action::Resize(80, 24));
    app.handle(Action::ToggleHelp);
    assert_eq!(app.input_mode(), InputMode::Help);
    app.handle(Action::Down);
    assert!(matches!(app.mode, Mode::Help(1)), "{:?}", app.mode);
    // No further than the last line.
    app.handle(Action::Bottom);
    let Mode::Help(bottom) = app.mode else {
        panic!()
    };
    app.handle(Action::Up);
    assert!(
        matches!(app.mode, Mode::Help(n) if n + 1 == bottom),
        "{:?}",
        app.mode
    );
    assert_eq!(app.cursor(Panel::Sessions).selected, 0);
    app.handle(Action::Back);
    assert_eq!(app.input_mode(), InputMode::Normal);
    assert_eq!(app.exit, None);
}

#[test]
fn the_wheel_scrolls_the_panel_under_the_pointer() {
    let mut app = app_with(fixtures::many_sessions(30));
    let a = app.areas().unwrap();
    app.handle(Action::Scroll {
        up: false,
        column: a.processes.x + 5,
        row: a.processes.y + 3,
    });
    assert_eq!(app.focus, Panel::Processes);
    assert_eq!(app.cursor(Panel::Processes).selected, 1);
    app.handle(Action::Click {
        column: a.sessions.x + 2,
        row: a.sessions.y + 3,
    });
    assert_eq!(app.focus, Panel::Sessions);
    assert_eq!(app.cursor(Panel::Sessions).selected, 1);
}

#[test]
fn refresh_errors_are_kept_until_data_arrives() {
    let mut app = app_with(fixtures::normal());
    app.handle(Action::DataError("cannot read the process table".into()));
    assert!(app.refresh_error.is_some());
    assert!(app.data.is_some());
    app.handle(Action::Data(Box::new(fixtures::normal())));
    assert!(app.refresh_error.is_none());
}

#[test]
fn no_data_and_tiny_screens_do_not_panic() {
    let mut app = App::new(true, (0, 0), 0.0);
    for a in [
        Action::Down,
        Action::PageDown,
        Action::Bottom,
        Action::NextPanel,
        Action::StopSelected,
        Action::Activate,
        Action::Restart,
        Action::Scroll {
            up: true,
            column: 0,
            row: 0,
        },
        Action::Click { column: 3, row: 3 },
        Action::Resize(1, 1),
    ] {
        app.handle(a);
    }
    app.handle(Action::Data(Box::new(fixtures::critical())));
    app.handle(Action::Bottom);
    assert!(app.exit.is_none());
}

#[test]
fn the_daemons_history_feeds_the_sparkline() {
    let mut data = fixtures::normal();
    data.report.rss_history = (0..50)
        .map(|i| (1_000 + i * 30, 100_000_000 + i * 1_000_000))
        .collect();
    data.taken_at = 5_000.0;
    let app = app_with(data);
    assert_eq!(app.history.len(), 51);
    assert_eq!(
        app.history.latest(),
        Some(app.data.as_ref().unwrap().report.rss_bytes.value)
    );
}
