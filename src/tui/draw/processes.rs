//! The Processes panel: every MCP-like process as trees under their owner (a session, a global
//! server, or nobody), with pid, owner, RSS, age and the orphan mark. `s` changes the order, `/`
//! filters, `K` stops the selected tree.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use crate::health::Report;
use crate::tui::app::{App, Panel};
use crate::tui::tree::ViewRow;
use crate::units::{human_bytes, human_duration};

use super::theme::Theme;
use super::{clean, panel_block, table_state};

/// How a group of trees is titled: the owner and, for a session, whether it is attached or gone.
pub fn group_label(owner: Option<&str>, report: &Report) -> String {
    match owner {
        None => "no owner".to_string(),
        Some(o) => match o.strip_prefix("session:") {
            Some(name) => {
                let state = match report.sessions.iter().find(|s| s.name == name) {
                    Some(s) if s.attached => "attached",
                    Some(_) => "detached",
                    None if report.tmux => "gone",
                    None => "tmux unreachable",
                };
                format!("session {} ({state})", clean(name))
            }
            None => clean(&o.replacen(':', " ", 1)),
        },
    }
}

/// Draws the Processes panel.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme { color: app.color };
    let Some(d) = &app.data else {
        frame.render_widget(panel_block(app, Panel::Processes, "Processes".into()), area);
        return;
    };
    let filter = app.filter(Panel::Processes);
    let shown = app
        .view
        .iter()
        .filter(|v| matches!(v, crate::tui::tree::ViewRow::Proc { .. }))
        .count();
    let mut title = format!(
        "Processes {} · sort {} (s)",
        super::count(shown, d.rows.len(), filter),
        app.sort.label()
    );
    if !filter.is_empty() {
        title.push_str(&format!(" · \"{}\" (Esc clears)", clean(filter)));
    }
    let block = panel_block(app, Panel::Processes, title);
    if app.view.is_empty() {
        let text = if d.rows.is_empty() {
            "No MCP processes found.".to_string()
        } else {
            format!("No process matches \"{}\".", clean(filter))
        };
        return super::empty_panel(frame, area, block, text, theme);
    }
    let owner_w: u16 = if area.width >= 120 { 20 } else { 14 };
    // Borders, the fixed columns and the spaces between them.
    let command_w = usize::from(area.width.saturating_sub(2 + 7 + owner_w + 7 + 6 + 6 + 5));
    let rows = app.view.iter().map(|v| match v {
        ViewRow::Group {
            owner,
            processes,
            rss_bytes,
            orphans,
        } => {
            let name = group_label(owner.as_deref(), &d.report);
            let long = format!("{name} · {processes} process{}", plural(*processes));
            // The label has the command column only: the count shrinks to a number when it is tight.
            let label = if crate::output::visible_width(&long) <= command_w {
                long
            } else {
                format!("{name} · {processes}")
            };
            let mark = if *orphans > 0 {
                Span::styled(format!("{orphans} orph"), theme.alarm())
            } else {
                Span::raw("")
            };
            Row::new(vec![
                Cell::from(Span::styled(label, theme.header())),
                Cell::from(""),
                Cell::from(""),
                Cell::from(Span::styled(human_bytes(*rss_bytes), theme.header())),
                Cell::from(""),
                Cell::from(mark),
            ])
        }
        ViewRow::Proc { index, prefix } => {
            let r = &d.rows[*index];
            let mark = match (r.orphan, r.young) {
                (true, false) => Span::styled("ORPHAN", theme.alarm()),
                (true, true) => Span::styled("young", theme.caution()),
                (false, _) => Span::raw(""),
            };
            let command = Line::from(vec![
                Span::styled(format!("  {prefix}"), theme.dim()),
                Span::raw(clean(&r.command)),
            ]);
            Row::new(vec![
                Cell::from(command),
                Cell::from(r.pid.to_string()),
                Cell::from(r.owner.as_deref().map_or_else(|| "-".to_string(), clean)),
                Cell::from(human_bytes(r.rss_bytes)),
                Cell::from(human_duration(Duration::from_secs(r.age_seconds))),
                Cell::from(mark),
            ])
        }
    });
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(7),
        Constraint::Length(owner_w),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(6),
    ];
    let header =
        Row::new(["PROCESS", "PID", "OWNER", "RSS", "AGE", "ORPHAN"]).style(theme.header());
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(if app.focus == Panel::Processes {
            theme.selected()
        } else {
            Default::default()
        });
    frame.render_stateful_widget(table, area, &mut table_state(app, Panel::Processes));
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "es" }
}
