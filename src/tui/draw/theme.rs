//! Colours and emphasis. With colour off (NO_COLOR, `--color never`) every style keeps only
//! modifiers (bold, reversed), and every level is also a word, so nothing depends on colour.

use ratatui::style::{Color, Modifier, Style};

use crate::health::Level;

/// The styles the panels use.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// A level's word: `ok`, `WARN`, `CRIT`.
    pub fn word(level: Level) -> &'static str {
        match level {
            Level::Normal => "ok",
            Level::Warning => "WARN",
            Level::Critical => "CRIT",
        }
    }

    /// A level's style: green, bold yellow, bold red (bold alone without colour, for the two alarms).
    pub fn level(self, level: Level) -> Style {
        match level {
            Level::Normal => self.fg(Color::Green),
            Level::Warning => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Level::Critical => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }

    /// The selected line of the focused panel.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// The border of the focused panel.
    pub fn focused(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Column headers.
    pub fn header(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// Secondary text.
    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    /// Orphans and errors.
    pub fn alarm(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// Young orphans (left alone for now) and notices.
    pub fn caution(self) -> Style {
        self.fg(Color::Yellow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monochrome_has_no_colours() {
        let t = Theme { color: false };
        for s in [
            t.level(Level::Critical),
            t.level(Level::Warning),
            t.alarm(),
            t.dim(),
            t.focused(),
            t.caution(),
        ] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
        assert!(
            t.level(Level::Critical)
                .add_modifier
                .contains(Modifier::BOLD)
        );
        assert_eq!(
            Theme { color: true }.level(Level::Critical).fg,
            Some(Color::Red)
        );
    }
}
