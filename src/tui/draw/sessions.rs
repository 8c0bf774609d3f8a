//! The Sessions panel: each tmux session with attached/detached, idle time, and the number and memory
//! of the MCP processes it owns. Enter attaches to (or switches to) the selected one.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table};

use crate::tui::app::{App, Panel};
use crate::units::{human_bytes, human_duration};

use super::theme::Theme;
use super::{clean, panel_block, table_state};

/// Draws the Sessions panel.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme { color: app.color };
    let Some(d) = &app.data else {
        frame.render_widget(panel_block(app, Panel::Sessions, "Sessions".into()), area);
        return;
    };
    let r = &d.report;
    let detached = r.sessions.iter().filter(|s| !s.attached).count();
    let filter = app.filter(Panel::Sessions);
    let title = format!(
        "Sessions {} ({} detached)",
        super::count(app.sessions.len(), r.sessions.len(), filter),
        detached
    );
    let block = panel_block(app, Panel::Sessions, title);
    if !r.tmux || app.sessions.is_empty() {
        let text = if !r.tmux {
            "tmux could not be reached: sessions are unknown (not gone)".to_string()
        } else if r.sessions.is_empty() {
            "No tmux sessions.".to_string()
        } else {
            format!("No session matches \"{}\".", clean(filter))
        };
        return super::empty_panel(frame, area, block, text, theme);
    }
    let rows = app.sessions.iter().map(|&i| {
        let s = &r.sessions[i];
        let state = if s.attached {
            Span::styled("attached", theme.level(crate::health::Level::Normal))
        } else {
            Span::styled("detached", theme.caution())
        };
        Row::new(vec![
            Cell::from(clean(&s.name)),
            Cell::from(state),
            Cell::from(human_duration(Duration::from_secs(s.idle_seconds))),
            Cell::from(s.processes.to_string()),
            Cell::from(human_bytes(s.rss_bytes)),
        ])
    });
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(8),
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Length(6),
    ];
    let header = Row::new(["NAME", "STATE", "IDLE", "PROCS", "RSS"]).style(theme.header());
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(if app.focus == Panel::Sessions {
            theme.selected()
        } else {
            Default::default()
        });
    frame.render_stateful_widget(table, area, &mut table_state(app, Panel::Sessions));
}
