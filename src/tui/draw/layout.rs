//! Where each panel goes, as a pure function of the screen size. The drawing and the app share it: the
//! app needs the panels' heights to scroll and their places to route mouse events.

use ratatui::layout::{Constraint, Layout, Position, Rect};

use crate::tui::app::Panel;

/// The smallest screen the dashboard draws on; below it, a "terminal too small" notice.
pub const MIN_WIDTH: u16 = 80;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 24;

/// Header (the four gauges), history (sparkline), the three panels and the footer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub history: Rect,
    pub sessions: Rect,
    pub servers: Rect,
    pub processes: Rect,
    pub footer: Rect,
}

/// Rows a table panel spends on its border and column header.
const TABLE_CHROME: u16 = 3;

impl Areas {
    /// The layout of `screen`, or `None` when it is smaller than [`MIN_WIDTH`] x [`MIN_HEIGHT`].
    /// `middle_rows` is how many lines the taller of the Sessions and Servers lists has: the middle
    /// band grows to fit it, up to half of the space the panels share.
    pub fn new(screen: Rect, middle_rows: usize) -> Option<Areas> {
        if screen.width < MIN_WIDTH || screen.height < MIN_HEIGHT {
            return None;
        }
        let history_h = if screen.height >= 40 { 3 } else { 1 };
        let [header, history, panels, footer] = Layout::vertical([
            Constraint::Length(4),
            Constraint::Length(history_h),
            Constraint::Fill(1),
            Constraint::Length(3),
        ])
        .areas(screen);
        let wanted = u16::try_from(middle_rows.max(1))
            .unwrap_or(u16::MAX)
            .saturating_add(TABLE_CHROME);
        let middle_h = wanted.clamp(5, (panels.height / 2).max(5));
        let [middle, processes] =
            Layout::vertical([Constraint::Length(middle_h), Constraint::Fill(1)]).areas(panels);
        let [sessions, servers] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(middle);
        Some(Areas {
            header,
            history,
            sessions,
            servers,
            processes,
            footer,
        })
    }

    /// The area of a panel.
    pub fn panel(&self, p: Panel) -> Rect {
        match p {
            Panel::Sessions => self.sessions,
            Panel::Processes => self.processes,
            Panel::Servers => self.servers,
        }
    }

    /// The panel under a screen position, if any.
    pub fn panel_at(&self, column: u16, row: u16) -> Option<Panel> {
        let pos = Position::new(column, row);
        Panel::ALL
            .into_iter()
            .find(|p| self.panel(*p).contains(pos))
    }
}

/// How many data lines a table panel of this area shows.
pub fn table_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(TABLE_CHROME))
}

/// A `width` x `height` rectangle in the middle of `area`, shrunk to fit.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_screen_fits_every_panel() {
        let a = Areas::new(Rect::new(0, 0, 80, 24), 2).unwrap();
        assert_eq!(a.header.height, 4);
        assert_eq!(a.footer, Rect::new(0, 21, 80, 3));
        assert_eq!(a.sessions.width + a.servers.width, 80);
        assert_eq!(table_rows(a.sessions), 2);
        assert!(table_rows(a.processes) >= 5, "{a:?}");
        assert_eq!(a.panel_at(1, a.processes.y + 1), Some(Panel::Processes));
        assert_eq!(a.panel_at(79, a.servers.y), Some(Panel::Servers));
        assert_eq!(a.panel_at(0, 0), None);
    }

    #[test]
    fn the_middle_band_grows_to_half() {
        let a = Areas::new(Rect::new(0, 0, 120, 50), 100).unwrap();
        assert!(a.sessions.height <= a.processes.height + 1, "{a:?}");
        assert_eq!(a.history.height, 3);
    }

    #[test]
    fn too_small_is_none() {
        assert!(Areas::new(Rect::new(0, 0, 79, 24), 1).is_none());
        assert!(Areas::new(Rect::new(0, 0, 80, 23), 1).is_none());
        assert!(Areas::new(Rect::new(0, 0, 0, 0), 1).is_none());
    }

    #[test]
    fn centered_shrinks() {
        assert_eq!(
            centered(Rect::new(0, 0, 10, 4), 20, 2),
            Rect::new(0, 1, 10, 2)
        );
    }
}
