//! What opens over the panels: the full help (keys, recommendations, warnings) and the questions asked
//! before anything is stopped (one tree for `K`, the whole plan for `c`).

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::tui::app::{App, Pending, RESTART_NEEDS_DAEMON};
use crate::units::{human_bytes, human_duration};

use super::layout::centered;
use super::theme::Theme;
use super::{clean, truncate};

/// Every key with what it does.
const HELP_KEYS: [(&str, &str); 16] = [
    ("q, Ctrl-C", "quit"),
    (
        "Esc",
        "close what is open; clear the panel's filter (never quits)",
    ),
    ("?", "this help"),
    ("↑ ↓, j k", "move (PgUp PgDn, g G or Home End: jump)"),
    ("Tab, Shift-Tab", "next / previous panel"),
    (
        "mouse wheel",
        "scroll the panel under the pointer; click selects",
    ),
    ("s", "sort processes: RSS, age, name"),
    (
        "/",
        "filter the focused panel as you type (Enter keeps, Esc cancels)",
    ),
    (
        "K",
        "stop the selected tree, or server through the daemon (asks)",
    ),
    ("c", "clean: stop orphans, drop stale records (asks)"),
    ("r", "restart the selected server"),
    (
        "l",
        "a server's state, last exit and log lines (also Enter)",
    ),
    ("D", "start the daemon"),
    ("Enter", "attach to the session (inside tmux: switch to it)"),
    ("", ""),
    ("levels", "ok < WARN < CRIT: a value at or over warn / crit"),
];

/// The help's lines (the app scrolls through them).
pub fn help_lines(app: &App) -> Vec<Line<'static>> {
    let theme = Theme { color: app.color };
    let mut lines: Vec<Line<'static>> = HELP_KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:>15}  "), theme.header()),
                Span::raw(*what),
            ])
        })
        .collect();
    let daemon = app.data.as_ref().map(|d| &d.report.daemon);
    lines.push(Line::from(match daemon {
        Some(d) if d.running => format!(
            "{:>15}  running{}: r, K on servers, clients and trend work",
            "daemon",
            d.pid.map_or_else(String::new, |p| format!(" (pid {p})"))
        ),
        Some(_) => format!(
            "{:>15}  not running: r, clients, trend {RESTART_NEEDS_DAEMON}; D starts it",
            "daemon"
        ),
        None => format!("{:>15}  (waiting for the first refresh)", "daemon"),
    }));
    lines.push(Line::default());
    let (recs, warns) = app.data.as_ref().map_or((&[][..], &[][..]), |d| {
        (
            d.report.recommendations.as_slice(),
            d.report.warnings.as_slice(),
        )
    });
    lines.push(Line::from(Span::styled("Recommendations", theme.header())));
    if recs.is_empty() {
        lines.push(Line::from(Span::styled("  none", theme.dim())));
    }
    lines.extend(recs.iter().map(|r| Line::from(format!("  → {}", clean(r)))));
    if !warns.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled("Warnings", theme.header())));
        lines.extend(warns.iter().map(|w| Line::from(format!("  {}", clean(w)))));
    }
    lines
}

fn help_popup(area: Rect) -> Rect {
    centered(
        area,
        84.min(area.width.saturating_sub(4)),
        area.height.saturating_sub(4),
    )
}

/// How far the help scrolls on a screen of `area`: until its last row shows. Long lines wrap; the
/// count errs on the long side (word wrapping may leave a row partly empty).
pub fn help_max_scroll(app: &App, area: Rect) -> u16 {
    let popup = help_popup(area);
    let inner = usize::from(popup.width.saturating_sub(2)).max(1);
    let rows: usize = help_lines(app)
        .iter()
        .map(|l| match l.width() {
            w if w <= inner => 1,
            w => w.div_ceil(inner) + 1,
        })
        .sum();
    u16::try_from(rows)
        .unwrap_or(u16::MAX)
        .saturating_sub(popup.height.saturating_sub(2))
}

/// Draws the help over `area`, scrolled by `scroll` lines.
pub fn help(frame: &mut Frame, area: Rect, app: &App, scroll: u16) {
    let popup = help_popup(area);
    let lines = help_lines(app);
    let max = help_max_scroll(app, area);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll.min(max), 0))
            .block(Block::bordered().title(" Help · ? or Esc closes ")),
        popup,
    );
}

fn stop_lines(p: &Pending, app: &App, width: usize, room: usize) -> (String, Vec<Line<'static>>) {
    let theme = Theme { color: app.color };
    let grace = app
        .data
        .as_ref()
        .map_or(Duration::from_secs(3), |d| d.stop_grace);
    let sequence = format!(
        "SIGTERM, then SIGKILL after {} for what is left.",
        human_duration(grace)
    );
    match p {
        Pending::Stop {
            target,
            command,
            owner,
            rss_bytes,
            descendants,
        } => {
            let lines = vec![
                Line::from(vec![
                    Span::styled("pid      ", theme.header()),
                    Span::raw(target.identity.pid.to_string()),
                ]),
                Line::from(vec![
                    Span::styled("command  ", theme.header()),
                    Span::raw(truncate(&clean(command), width.saturating_sub(9))),
                ]),
                Line::from(vec![
                    Span::styled("owner    ", theme.header()),
                    Span::raw(owner.as_deref().map_or_else(|| "none".to_string(), clean)),
                ]),
                Line::from(vec![
                    Span::styled("memory   ", theme.header()),
                    Span::raw(format!(
                        "{} with {descendants} MCP-like descendant{}",
                        human_bytes(*rss_bytes),
                        if *descendants == 1 { "" } else { "s" }
                    )),
                ]),
                Line::default(),
                Line::from(format!("It and its descendants get {sequence}")),
                Line::from(Span::styled(
                    "Pid and start time are checked first: a reused pid is never hit.",
                    theme.dim(),
                )),
            ];
            ("Stop this process tree? y/n".to_string(), lines)
        }
        Pending::StopServer { server, session } => {
            let name = super::servers::server_label(server, session.as_deref());
            let lines = vec![
                Line::from(vec![
                    Span::styled("server   ", theme.header()),
                    Span::raw(name),
                ]),
                Line::default(),
                Line::from("The daemon stops it (and does not start it again until asked:"),
                Line::from("`mcpd start`, `r`, or an agent's `mcpd connect`)."),
                Line::from(format!("Its tree gets {sequence}")),
            ];
            ("Stop this server? y/n".to_string(), lines)
        }
        Pending::Clean { plan } => {
            let mut lines = Vec::new();
            if !plan.stop.is_empty() {
                lines.push(Line::from(Span::styled(
                    format!(
                        "Stop {} orphaned tree(s), {}:",
                        plan.stop.len(),
                        human_bytes(plan.rss_bytes())
                    ),
                    theme.header(),
                )));
            }
            let fixed = lines.len() + usize::from(!plan.drop.is_empty()) + 2;
            let avail = room.saturating_sub(fixed);
            let n = plan.stop.len();
            // Each tree with its reason when there is room; one line each when not; the tail
            // summed up last.
            let (shown, reasons) = if 2 * n <= avail {
                (n, true)
            } else if n <= avail {
                (n, false)
            } else {
                (avail.saturating_sub(1), false)
            };
            for s in &plan.stop[..shown] {
                let head = format!("{:>7} {:>7}  ", s.pid, human_bytes(s.rss_bytes));
                let cmd = truncate(
                    &clean(&s.command),
                    width.saturating_sub(crate::output::visible_width(&head)),
                );
                lines.push(Line::from(vec![Span::raw(head), Span::raw(cmd)]));
                if reasons {
                    lines.push(Line::from(Span::styled(
                        format!("{:17}orphan: {}", "", clean(&s.reason)),
                        theme.dim(),
                    )));
                }
            }
            if shown < n {
                let rest: u64 = plan.stop[shown..].iter().map(|s| s.rss_bytes).sum();
                lines.push(Line::from(format!(
                    "… and {} more tree(s), {}",
                    n - shown,
                    human_bytes(rest)
                )));
            }
            if !plan.drop.is_empty() {
                lines.push(Line::from(format!(
                    "Drop {} stale record(s) whose process is gone.",
                    plan.drop.len()
                )));
            }
            lines.push(Line::default());
            lines.push(Line::from(format!("Each tree gets {sequence}")));
            ("Clean? y/n".to_string(), lines)
        }
    }
}

/// Draws the open question over `area`.
pub fn confirm(frame: &mut Frame, area: Rect, app: &App, p: &Pending) {
    let width = 76.min(area.width.saturating_sub(4));
    // Room for the body: the popup's borders, the blank line and the y/n line, and a margin.
    let room = usize::from(area.height.saturating_sub(6));
    let (title, mut lines) = stop_lines(p, app, usize::from(width.saturating_sub(2)), room);
    lines.truncate(room);
    let theme = Theme { color: app.color };
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled(
            " y ",
            theme
                .alarm()
                .add_modifier(ratatui::style::Modifier::REVERSED),
        ),
        Span::raw(" yes   "),
        Span::styled(
            " n ",
            theme
                .header()
                .add_modifier(ratatui::style::Modifier::REVERSED),
        ),
        Span::raw(" no (Esc)"),
    ]));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(format!(" {title} "))
                .border_style(theme.alarm()),
        ),
        popup,
    );
}
