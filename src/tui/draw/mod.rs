//! Drawing: a pure function of the [`App`]. [`draw`] lays the screen out and calls one function per
//! panel, each in its own file; nothing here changes state or touches the terminal beyond the frame,
//! so tests render into ratatui's `TestBackend` and read the buffer.

pub mod detail;
pub mod footer;
pub mod header;
pub mod history;
pub mod layout;
pub mod overlay;
pub mod processes;
pub mod servers;
pub mod sessions;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, TableState, Wrap};

use super::app::{App, Mode, Panel};
use layout::{Areas, MIN_HEIGHT, MIN_WIDTH};
use theme::Theme;

/// Draws the whole dashboard into `frame`.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let Some(a) = Areas::new(area, app.sessions.len().max(app.servers.len())) else {
        return too_small(frame, area);
    };
    header::render(frame, a.header, app);
    history::render(frame, a.history, app);
    sessions::render(frame, a.sessions, app);
    servers::render(frame, a.servers, app);
    processes::render(frame, a.processes, app);
    footer::render(frame, a.footer, app);
    match &app.mode {
        Mode::Help(scroll) => overlay::help(frame, area, app, *scroll),
        Mode::Confirm(p) => overlay::confirm(frame, area, app, p),
        Mode::Detail(i) => detail::render(frame, area, app, *i),
        Mode::Normal | Mode::Filter(_) => {}
    }
}

fn too_small(frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::from("terminal too small"),
        Line::from(format!(
            "{}x{}, need {MIN_WIDTH}x{MIN_HEIGHT}",
            area.width, area.height
        )),
        Line::from("q quits"),
    ];
    let top = area.height.saturating_sub(3) / 2;
    let inner = Rect {
        y: area.y + top,
        height: area.height - top,
        ..area
    };
    frame.render_widget(
        Paragraph::new(text).centered().wrap(Wrap { trim: true }),
        inner,
    );
}

/// A panel's frame: the title, highlighted when the panel has the focus.
pub fn panel_block(app: &App, panel: Panel, title: String) -> Block<'static> {
    let theme = Theme { color: app.color };
    let focused = app.focus == panel;
    let mark = if focused { "▶ " } else { "" };
    let block = Block::bordered().title(Line::from(Span::styled(
        format!(" {mark}{} ", clean(&title)),
        if focused {
            theme.focused()
        } else {
            theme.header()
        },
    )));
    if focused {
        block.border_style(theme.focused())
    } else {
        block
    }
}

/// The table state for a panel: its scroll offset, and its selection when it has the focus.
/// A panel with nothing to list: a dim sentence in its block.
pub fn empty_panel(
    frame: &mut Frame,
    area: Rect,
    block: Block<'static>,
    text: String,
    theme: Theme,
) {
    frame.render_widget(
        Paragraph::new(Span::styled(text, theme.dim()))
            .wrap(Wrap { trim: true })
            .block(block),
        area,
    );
}

pub fn table_state(app: &App, panel: Panel) -> TableState {
    let c = app.cursor(panel);
    let selected = (app.focus == panel && app.len(panel) > 0).then_some(c.selected);
    TableState::new()
        .with_offset(c.offset)
        .with_selected(selected)
}

/// Text from the outside world (commands, session names) with control characters made visible, so
/// nothing can move the cursor or change the terminal's state.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '�' } else { c })
        .collect()
}

/// A panel's count for its title: `N`, or `n of N` while a filter hides some.
pub fn count(shown: usize, total: usize, filter: &str) -> String {
    if filter.is_empty() {
        total.to_string()
    } else {
        format!("{shown} of {total}")
    }
}

/// Shortens text to `max` characters with an ellipsis.
pub fn truncate(s: &str, max: usize) -> String {
    crate::output::truncate(s, max)
}

#[cfg(test)]
mod dashboard_tests;
#[cfg(test)]
mod tests;
