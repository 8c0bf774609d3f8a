//! The Servers panel: the configured servers with state, restarts and the memory of their trees.
//! A session server is named `name@session` at every width (one line per session); a failed one
//! is red (`l` or Enter shows its exit and last log lines); clients and the RSS trend come from
//! the daemon (`-` without it), the trend wide enough for `+5118MB/h LEAK`. A server shared by
//! contract or per session has one row per instance of its pool (`fs`, `fs#1`), each with its
//! own clients.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table};

use crate::tui::app::{App, Panel};
use crate::units::human_bytes;

use super::theme::Theme;
use super::{clean, panel_block, table_state};

/// From this inner width on, the clients and trend columns are shown.
const MEDIUM: u16 = 56;
/// From this inner width on, the scope and pid columns are shown too.
const WIDE: u16 = 74;
/// The trend column: `+5118MB/h LEAK`.
const TREND_WIDTH: u16 = 14;

/// `name@session` for a session's server, `name` for a global one.
pub fn server_label(name: &str, session: Option<&str>) -> String {
    match session {
        Some(s) => format!("{}@{}", clean(name), clean(s)),
        None => clean(name),
    }
}

/// Draws the Servers panel.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme { color: app.color };
    let Some(d) = &app.data else {
        frame.render_widget(panel_block(app, Panel::Servers, "Servers".into()), area);
        return;
    };
    let servers = &d.report.servers;
    let running = servers.iter().filter(|s| s.state == "running").count();
    let failed = servers.iter().filter(|s| s.state == "failed").count();
    let mut title = format!(
        "Servers {} ({running} running",
        super::count(app.servers.len(), servers.len(), app.filter(Panel::Servers))
    );
    if failed > 0 {
        title.push_str(&format!(", {failed} failed: l shows why"));
    }
    title.push(')');
    let block = panel_block(app, Panel::Servers, title);
    if app.servers.is_empty() {
        let text = if servers.is_empty() {
            "No servers configured ([servers.NAME] in the config).".to_string()
        } else {
            format!(
                "No server matches \"{}\".",
                clean(app.filter(Panel::Servers))
            )
        };
        return super::empty_panel(frame, area, block, text, theme);
    }
    let inner = area.width.saturating_sub(2);
    let (medium, wide) = (inner >= MEDIUM, inner >= WIDE);
    let rows = app.servers.iter().map(|&i| {
        let s = &servers[i];
        let state_style = match s.state.as_str() {
            "running" => theme.level(crate::health::Level::Normal),
            "failed" => theme.level(crate::health::Level::Critical),
            _ => theme.dim(),
        };
        let rss = if s.pid.is_some() {
            human_bytes(s.rss_bytes)
        } else {
            "-".to_string()
        };
        // The instance label (`fs#1`) names the process among its pool; it already carries the
        // session of a session server's instance.
        let name = match &s.instance {
            Some(i) => clean(i),
            None => server_label(&s.name, s.session.as_deref()),
        };
        let mut cells = vec![Cell::from(name)];
        if wide {
            cells.push(Cell::from(s.scope.clone()));
            cells.push(Cell::from(
                s.pid.map_or_else(|| "-".into(), |p| p.to_string()),
            ));
        }
        cells.extend([
            Cell::from(Span::styled(
                if s.state == "failed" {
                    "FAILED".to_owned()
                } else {
                    s.state.clone()
                },
                state_style,
            )),
            Cell::from(s.restarts.to_string()),
            Cell::from(rss),
        ]);
        if medium {
            // From the daemon: connected `mcpd connect` clients and the RSS trend of its history.
            let clients = if s.clients == 0 {
                "-".to_string()
            } else {
                s.clients.to_string()
            };
            let trend = match s.trend_mb_per_hour {
                Some(t) if s.leak => Span::styled(
                    format!("{t:+.0}MB/h LEAK"),
                    theme.level(crate::health::Level::Critical),
                ),
                Some(t) => Span::raw(format!("{t:+.1}MB/h")),
                None => Span::raw("-"),
            };
            cells.extend([Cell::from(clients), Cell::from(trend)]);
        }
        Row::new(cells)
    });
    let mut widths = vec![Constraint::Fill(1)];
    let mut header = vec!["NAME"];
    if wide {
        widths.extend([Constraint::Length(7), Constraint::Length(7)]);
        header.extend(["SCOPE", "PID"]);
    }
    widths.extend([
        Constraint::Length(8),
        Constraint::Length(3),
        Constraint::Length(6),
    ]);
    header.extend(["STATE", "RST", "RSS"]);
    if medium {
        widths.extend([Constraint::Length(7), Constraint::Length(TREND_WIDTH)]);
        header.extend(["CLIENTS", "TREND"]);
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.header()))
        .block(block)
        .column_spacing(1)
        .row_highlight_style(if app.focus == Panel::Servers {
            theme.selected()
        } else {
            Default::default()
        });
    frame.render_stateful_widget(table, area, &mut table_state(app, Panel::Servers));
}
