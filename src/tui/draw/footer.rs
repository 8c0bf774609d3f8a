//! The footer: the report's recommendations, the message bar (results, refusals, the selected
//! process's details) and the keys, or the filter being typed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, MESSAGE_SECONDS, Mode, Panel};
use crate::tui::tree::ViewRow;

use super::clean;
use super::theme::Theme;

/// The keys, as (key, what) pairs, most useful first.
pub const KEYS: [(&str, &str); 12] = [
    ("q", "quit"),
    ("?", "help"),
    ("Tab", "panel"),
    ("↑↓", "move"),
    ("s", "sort"),
    ("/", "filter"),
    ("K", "stop"),
    ("c", "clean"),
    ("r", "restart"),
    ("⏎", "attach"),
    ("l", "details"),
    ("D", "daemon"),
];

fn recommendation(app: &App, theme: Theme) -> Line<'static> {
    let Some(d) = &app.data else {
        return Line::default();
    };
    let r = &d.report;
    if let Some(first) = r.recommendations.first() {
        let more = r.recommendations.len() - 1;
        let mut spans = vec![Span::styled("→ ", theme.caution()), Span::raw(clean(first))];
        if more > 0 {
            spans.push(Span::styled(format!("  (+{more} more: ?)"), theme.dim()));
        }
        return Line::from(spans);
    }
    if let Some(w) = r.warnings.first() {
        return Line::from(vec![
            Span::styled("warning: ", theme.caution()),
            Span::raw(clean(w)),
        ]);
    }
    Line::from(Span::styled("No recommendations.", theme.dim()))
}

/// What the message bar says: a fresh message, the running job, or the selected process's details.
fn status(app: &App, theme: Theme) -> Line<'static> {
    if let Some(m) = app
        .message
        .as_ref()
        .filter(|m| app.now - m.at < MESSAGE_SECONDS)
    {
        let style = if m.error {
            theme.alarm()
        } else {
            theme.header()
        };
        return Line::from(Span::styled(clean(&m.text), style));
    }
    if let Some(b) = &app.busy {
        return Line::from(Span::styled(format!("{b}…"), theme.caution()));
    }
    if app.focus != Panel::Processes {
        return Line::default();
    }
    let (Some(d), Some(ViewRow::Proc { index, .. })) = (&app.data, app.selected_row()) else {
        return Line::default();
    };
    let r = &d.rows[*index];
    let mut text = format!("pid {} · parent {}", r.pid, r.ppid);
    if let Some(rec) = &r.recorded {
        text.push_str(&format!(" · recorded ({rec})"));
    }
    if let Some(why) = &r.orphan_reason {
        text.push_str(&format!(" · orphan: {why}"));
        if r.young {
            text.push_str(" (young: clean leaves it for now)");
        }
    } else if !r.reason.is_empty() {
        // The same one-line reason as `mcpd ps` (`mcpd ps --explain PID` has the evidence).
        text.push_str(&format!(" · {}", r.reason));
    }
    Line::from(Span::styled(text, theme.dim()))
}

fn keys(app: &App, width: u16, theme: Theme) -> Line<'static> {
    match &app.mode {
        Mode::Filter(_) => Line::from(vec![
            Span::styled("/", theme.header()),
            Span::raw(clean(app.filter(app.focus))),
            Span::styled("█", theme.dim()),
            Span::styled(
                format!(
                    "   filtering {} as you type · Enter keeps · Esc cancels",
                    panel_name(app.focus)
                ),
                theme.dim(),
            ),
        ]),
        Mode::Detail(_) => Line::from(vec![
            Span::styled("Esc l Enter", theme.header()),
            Span::raw(" close  "),
            Span::styled("q", theme.header()),
            Span::raw(" quit"),
        ]),
        Mode::Confirm(_) => Line::from(vec![
            Span::styled("y", theme.header()),
            Span::raw(" yes  "),
            Span::styled("n", theme.header()),
            Span::raw(" no"),
        ]),
        Mode::Help(_) => Line::from(vec![
            Span::styled("? Esc", theme.header()),
            Span::raw(" close help  "),
            Span::styled("↑↓", theme.header()),
            Span::raw(" scroll  "),
            Span::styled("q", theme.header()),
            Span::raw(" quit"),
        ]),
        Mode::Normal => {
            let wide = width >= 100;
            let mut spans = Vec::new();
            for (k, what) in KEYS {
                if !wide && k == "↑↓" {
                    continue;
                }
                spans.push(Span::styled(
                    k,
                    theme
                        .header()
                        .add_modifier(ratatui::style::Modifier::REVERSED),
                ));
                spans.push(Span::raw(format!(
                    " {what}{}",
                    if wide { "  " } else { " " }
                )));
            }
            Line::from(spans)
        }
    }
}

/// Draws the footer (three lines).
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme { color: app.color };
    let lines = vec![
        recommendation(app, theme),
        status(app, theme),
        keys(app, area.width, theme),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

fn panel_name(p: crate::tui::app::Panel) -> &'static str {
    match p {
        crate::tui::app::Panel::Sessions => "sessions",
        crate::tui::app::Panel::Processes => "processes",
        crate::tui::app::Panel::Servers => "servers",
    }
}
