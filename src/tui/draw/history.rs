//! Total MCP RSS over time, as a sparkline of the dashboard's own samples (one per refresh).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use crate::tui::app::App;
use crate::units::{human_bytes, human_duration};

use super::theme::Theme;

/// Draws the history line(s).
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme { color: app.color };
    let h = &app.history;
    let [label, spark, range] = Layout::horizontal([
        Constraint::Length(20),
        Constraint::Fill(1),
        Constraint::Length(24),
    ])
    .areas(area);
    let now = h.latest().map_or_else(|| "-".to_string(), human_bytes);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" total RSS ", theme.header()),
            Span::raw(now),
        ])),
        label,
    );
    let Some((min, max)) = h.range() else {
        frame.render_widget(
            Paragraph::new(Span::styled("collecting samples…", theme.dim())),
            spark,
        );
        return;
    };
    let values = h.last(usize::from(spark.width));
    let style = app
        .data
        .as_ref()
        .map_or(theme.dim(), |d| theme.level(d.report.rss_bytes.level));
    // Scale to the largest sample kept, so a flat line reads as flat and not as full.
    frame.render_widget(
        Sparkline::default()
            .data(&values)
            .max(max.max(1))
            .style(style),
        spark,
    );
    let span = human_duration(std::time::Duration::from_secs(h.span_seconds()));
    let text = format!(" {}–{} over {span}", human_bytes(min), human_bytes(max));
    frame.render_widget(Paragraph::new(Span::styled(text, theme.dim())), range);
}
