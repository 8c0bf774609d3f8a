//! A server's details over the panels (`l`, or Enter in the Servers panel): what it is, its state,
//! how it last ended and the last lines of its log, so that a failed server says why.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::tui::app::App;
use crate::units::{human_bytes, human_duration};

use super::layout::centered;
use super::servers::server_label;
use super::theme::Theme;
use super::{clean, truncate};

/// The detail lines of server `index` of the report.
pub fn lines(app: &App, index: usize, width: usize) -> Vec<Line<'static>> {
    let theme = Theme { color: app.color };
    let Some(s) = app.data.as_ref().and_then(|d| d.report.servers.get(index)) else {
        return vec![Line::from("this server is no longer reported")];
    };
    let field = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<10}"), theme.header()),
            Span::raw(v),
        ])
    };
    let state_style = match s.state.as_str() {
        "failed" => theme.level(crate::health::Level::Critical),
        "running" => theme.level(crate::health::Level::Normal),
        _ => theme.dim(),
    };
    let mut out = vec![
        Line::from(vec![
            Span::styled(format!("{:<10}", "state"), theme.header()),
            Span::styled(s.state.to_uppercase(), state_style),
        ]),
        field("scope", s.scope.clone()),
        field("pid", s.pid.map_or_else(|| "-".into(), |p| p.to_string())),
        field(
            "uptime",
            s.uptime_seconds.map_or_else(
                || "-".into(),
                |u| human_duration(std::time::Duration::from_secs(u)),
            ),
        ),
        field("memory", human_bytes(s.rss_bytes)),
        field("restarts", s.restarts.to_string()),
        field(
            "last exit",
            s.last_exit.as_deref().map_or_else(|| "-".into(), clean),
        ),
    ];
    if s.clients > 0 {
        out.push(field("clients", s.clients.to_string()));
    }
    out.push(Line::default());
    if s.last_log.is_empty() {
        out.push(Line::from(Span::styled(
            "no log lines reported (the daemon reports them for failed servers)",
            theme.dim(),
        )));
    } else {
        out.push(Line::from(Span::styled("last log lines", theme.header())));
        out.extend(s.last_log.iter().map(|l| {
            Line::from(format!(
                "  {}",
                truncate(&clean(l), width.saturating_sub(2))
            ))
        }));
    }
    out
}

/// Draws the details of server `index` over `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, index: usize) {
    let width = 90.min(area.width.saturating_sub(4));
    let body = lines(app, index, usize::from(width.saturating_sub(2)));
    let height = u16::try_from(body.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2));
    let name = app
        .data
        .as_ref()
        .and_then(|d| d.report.servers.get(index))
        .map_or_else(String::new, |s| server_label(&s.name, s.session.as_deref()));
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(format!(" {name} · Esc closes "))),
        popup,
    );
}
