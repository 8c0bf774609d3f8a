//! The header: the four health metrics as gauges (value, level word, a bar towards the critical
//! threshold, the thresholds), under a title with the overall level and the age of the data.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::health::{Level, Metric};
use crate::tui::app::App;
use crate::units::human_bytes;

use super::theme::Theme;

/// Bytes without the space, for tight threshold labels (`300MB`).
fn compact_bytes(n: u64) -> String {
    human_bytes(n).replace(' ', "")
}

/// A bar of `width` cells filled in proportion to `value / crit` (full at or past critical).
pub fn bar(value: u64, crit: u64, width: usize) -> String {
    let filled = if crit == 0 {
        width
    } else {
        ((u128::from(value.min(crit)) * width as u128 + u128::from(crit) / 2) / u128::from(crit))
            as usize
    };
    let filled = if value > 0 { filled.max(1) } else { 0 }.min(width);
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

/// One gauge line: `label  value  WORD  bar  warn/crit`, fitted to `width` cells.
pub fn gauge(
    label: &str,
    m: &Metric,
    value: &str,
    thresholds: &str,
    width: usize,
    theme: Theme,
) -> Line<'static> {
    let word = Theme::word(m.level);
    let fixed = 9 + 1 + 7 + 1 + 4 + 1 + 1 + crate::output::visible_width(thresholds);
    let bar_w = width.saturating_sub(fixed).min(30);
    let style = theme.level(m.level);
    let mut spans = vec![
        Span::styled(format!("{label:<9} "), theme.header()),
        Span::styled(format!("{value:>7} "), style),
        Span::styled(format!("{word:<4} "), style),
    ];
    if bar_w >= 3 {
        spans.push(Span::styled(bar(m.value, m.crit, bar_w), style));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(thresholds.to_string(), theme.dim()));
    Line::from(spans)
}

fn age_text(app: &App) -> String {
    match &app.data {
        None => "collecting…".to_string(),
        Some(d) => {
            let age = (app.now - d.taken_at).max(0.0) as u64;
            format!("updated {age}s ago")
        }
    }
}

/// Draws the header.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme { color: app.color };
    let mut title = vec![Span::styled(" mcpd ", theme.header())];
    if let Some(d) = &app.data {
        let l = d.report.level;
        title.push(Span::styled(
            format!(" {} ", Theme::word(l)),
            theme.level(l).add_modifier(Modifier::REVERSED),
        ));
    }
    title.push(Span::styled(format!(" {} ", age_text(app)), theme.dim()));
    if let Some(d) = &app.data {
        let daemon = &d.report.daemon;
        title.push(match (daemon.running, daemon.pid) {
            (true, Some(pid)) => Span::styled(format!(" daemon running (pid {pid}) "), theme.dim()),
            (true, None) => Span::styled(" daemon running ".to_string(), theme.dim()),
            (false, _) => Span::styled(
                " daemon stopped: D starts it ".to_string(),
                theme.level(Level::Warning),
            ),
        });
    }
    if let Some(e) = &app.refresh_error {
        title.push(Span::styled(
            format!(" refresh failed: {e} "),
            theme.alarm(),
        ));
    }
    let block = Block::bordered().title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(d) = &app.data else {
        frame.render_widget(Paragraph::new("Reading the process table and tmux…"), inner);
        return;
    };
    let r = &d.report;
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
    let w = usize::from(left.width.saturating_sub(1));
    let count = |m: &Metric| (m.value.to_string(), format!("{}/{}", m.warn, m.crit));
    let (pv, pt) = count(&r.processes);
    let (ov, ot) = count(&r.orphans);
    let (dv, dt) = if r.tmux {
        count(&r.detached_sessions)
    } else {
        ("-".to_string(), "no tmux".to_string())
    };
    let detached = if r.tmux {
        r.detached_sessions
    } else {
        Metric {
            level: Level::Normal,
            ..r.detached_sessions
        }
    };
    let rss_v = human_bytes(r.rss_bytes.value);
    let rss_t = format!(
        "{}/{}",
        compact_bytes(r.rss_bytes.warn),
        compact_bytes(r.rss_bytes.crit)
    );
    let left_lines = vec![
        gauge("processes", &r.processes, &pv, &pt, w, theme),
        gauge("detached", &detached, &dv, &dt, w, theme),
    ];
    let w = usize::from(right.width.saturating_sub(2));
    let right_lines = vec![
        gauge("RSS", &r.rss_bytes, &rss_v, &rss_t, w, theme),
        gauge("orphans", &r.orphans, &ov, &ot, w, theme),
    ];
    frame.render_widget(Paragraph::new(left_lines), left);
    frame.render_widget(
        Paragraph::new(right_lines),
        right.inner(ratatui::layout::Margin::new(1, 0)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_towards_critical() {
        assert_eq!(bar(0, 21, 4), "░░░░");
        assert_eq!(bar(1, 100, 4), "█░░░");
        assert_eq!(bar(10, 20, 4), "██░░");
        assert_eq!(bar(99, 21, 4), "████");
        assert_eq!(bar(5, 0, 2), "██");
    }
}
