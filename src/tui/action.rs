//! Input as values. Every key, mouse event, timer tick and background result becomes an [`Action`];
//! [`App::handle`](super::app::App::handle) is the only place that turns one into a change of state.
//! Which key means what depends on what is on screen ([`InputMode`]).

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind,
};

use super::data::Data;

/// What the keyboard is talking to at the moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputMode {
    /// The dashboard itself.
    Normal,
    /// Typing a filter after `/`.
    Filter,
    /// A yes/no question is open.
    Confirm,
    /// The help overlay is open.
    Help,
    /// A server's details are open.
    Detail,
}

/// How a background job (a stop, a clean, an attach) ended, as the user should read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// One line for the message bar.
    pub text: String,
    /// False when something went wrong (survivors, refusals, errors): shown as an error.
    pub ok: bool,
}

/// Everything that can happen to the dashboard.
#[derive(Debug)]
pub enum Action {
    /// `q`, Ctrl-C: leave.
    Quit,
    /// Esc: close what is open, clear the focused panel's filter (never leaves: q does).
    Back,
    /// `?`: open or close the help overlay.
    ToggleHelp,
    /// Up arrow or `k`.
    Up,
    /// Down arrow or `j`.
    Down,
    PageUp,
    PageDown,
    /// Home or `g`.
    Top,
    /// End or `G`.
    Bottom,
    /// Tab.
    NextPanel,
    /// Shift-Tab.
    PrevPanel,
    /// `s`: the next sort order of the process tree.
    CycleSort,
    /// `/`: start typing a filter.
    StartFilter,
    /// A character typed into the filter.
    FilterInput(char),
    /// Backspace in the filter.
    FilterBackspace,
    /// Enter in the filter: apply it.
    FilterApply,
    /// Esc in the filter: leave it as it was.
    FilterCancel,
    /// `K`: stop the selected process tree (asks first).
    StopSelected,
    /// `c`: stop every orphan and drop stale records (shows the plan and asks first).
    Clean,
    /// `r`: restart the selected server.
    Restart,
    /// `D`: start the daemon.
    StartDaemon,
    /// `l` (and Enter on a server): the selected server's details and last log lines.
    Details,
    /// Enter: attach to (or switch to) the selected session.
    Activate,
    /// The answer to an open question.
    Confirm(bool),
    /// The mouse wheel at a screen position.
    Scroll {
        up: bool,
        column: u16,
        row: u16,
    },
    /// A left click at a screen position.
    Click {
        column: u16,
        row: u16,
    },
    /// The terminal's new size (columns, rows).
    Resize(u16, u16),
    /// The clock, seconds since the epoch.
    Tick(f64),
    /// A fresh snapshot from the collector.
    Data(Box<Data>),
    /// The collector could not gather this time.
    DataError(String),
    /// A background job ended.
    Done(Outcome),
    /// A termination signal arrived (its number).
    Signal(i32),
}

/// The action a terminal event stands for in `mode`, if any.
pub fn from_event(event: &Event, mode: InputMode) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => from_key(key, mode),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Some(Action::Scroll {
                up: true,
                column: m.column,
                row: m.row,
            }),
            MouseEventKind::ScrollDown => Some(Action::Scroll {
                up: false,
                column: m.column,
                row: m.row,
            }),
            MouseEventKind::Down(ratatui::crossterm::event::MouseButton::Left)
                if mode == InputMode::Normal =>
            {
                Some(Action::Click {
                    column: m.column,
                    row: m.row,
                })
            }
            _ => None,
        },
        Event::Resize(w, h) => Some(Action::Resize(*w, *h)),
        _ => None,
    }
}

fn from_key(key: &KeyEvent, mode: InputMode) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c')) {
        return Some(Action::Quit);
    }
    match mode {
        InputMode::Filter => match key.code {
            // A terminal sends Esc and a quick next key as one Alt-key: that was an Esc.
            KeyCode::Char(_) if key.modifiers.contains(KeyModifiers::ALT) => {
                Some(Action::FilterCancel)
            }
            KeyCode::Enter => Some(Action::FilterApply),
            KeyCode::Esc => Some(Action::FilterCancel),
            KeyCode::Backspace => Some(Action::FilterBackspace),
            KeyCode::Char(c) if !ctrl => Some(Action::FilterInput(c)),
            _ => None,
        },
        InputMode::Confirm => match key.code {
            KeyCode::Char('y' | 'Y') => Some(Action::Confirm(true)),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => Some(Action::Confirm(false)),
            _ => None,
        },
        InputMode::Help => match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Char('?') | KeyCode::Esc => Some(Action::ToggleHelp),
            _ => movement(key.code),
        },
        InputMode::Detail => match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('l') => Some(Action::Back),
            _ => None,
        },
        InputMode::Normal => match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Esc => Some(Action::Back),
            KeyCode::Char('?') => Some(Action::ToggleHelp),
            KeyCode::Tab => Some(Action::NextPanel),
            KeyCode::BackTab => Some(Action::PrevPanel),
            KeyCode::Char('s') => Some(Action::CycleSort),
            KeyCode::Char('/') => Some(Action::StartFilter),
            KeyCode::Char('K') => Some(Action::StopSelected),
            KeyCode::Char('c') => Some(Action::Clean),
            KeyCode::Char('r') => Some(Action::Restart),
            KeyCode::Char('D') => Some(Action::StartDaemon),
            KeyCode::Char('l') => Some(Action::Details),
            KeyCode::Enter => Some(Action::Activate),
            code => movement(code),
        },
    }
}

fn movement(code: KeyCode) -> Option<Action> {
    match code {
        KeyCode::Up | KeyCode::Char('k') => Some(Action::Up),
        KeyCode::Down | KeyCode::Char('j') => Some(Action::Down),
        KeyCode::PageUp => Some(Action::PageUp),
        KeyCode::PageDown => Some(Action::PageDown),
        KeyCode::Home | KeyCode::Char('g') => Some(Action::Top),
        KeyCode::End | KeyCode::Char('G') => Some(Action::Bottom),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyEventState, MouseButton, MouseEvent};

    fn key(code: KeyCode) -> Event {
        Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn ch(c: char) -> Event {
        let mods = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        Event::Key(KeyEvent::new(KeyCode::Char(c), mods))
    }

    #[test]
    fn normal_keys() {
        let n = InputMode::Normal;
        assert!(matches!(from_event(&ch('q'), n), Some(Action::Quit)));
        assert!(matches!(
            from_event(&key(KeyCode::Esc), n),
            Some(Action::Back)
        ));
        assert!(matches!(from_event(&ch('?'), n), Some(Action::ToggleHelp)));
        assert!(matches!(from_event(&ch('j'), n), Some(Action::Down)));
        assert!(matches!(from_event(&key(KeyCode::Up), n), Some(Action::Up)));
        assert!(matches!(
            from_event(&key(KeyCode::Tab), n),
            Some(Action::NextPanel)
        ));
        assert!(matches!(from_event(&ch('s'), n), Some(Action::CycleSort)));
        assert!(matches!(from_event(&ch('/'), n), Some(Action::StartFilter)));
        assert!(matches!(
            from_event(&ch('K'), n),
            Some(Action::StopSelected)
        ));
        // `k` moves; only the capital stops something.
        assert!(matches!(from_event(&ch('k'), n), Some(Action::Up)));
        assert!(matches!(from_event(&ch('c'), n), Some(Action::Clean)));
        assert!(matches!(from_event(&ch('r'), n), Some(Action::Restart)));
        assert!(matches!(
            from_event(&key(KeyCode::Enter), n),
            Some(Action::Activate)
        ));
        assert!(from_event(&ch('y'), n).is_none());
    }

    #[test]
    fn filter_mode_takes_every_character() {
        let f = InputMode::Filter;
        assert!(matches!(
            from_event(&ch('q'), f),
            Some(Action::FilterInput('q'))
        ));
        assert!(matches!(
            from_event(&ch('K'), f),
            Some(Action::FilterInput('K'))
        ));
        assert!(matches!(
            from_event(&key(KeyCode::Enter), f),
            Some(Action::FilterApply)
        ));
        assert!(matches!(
            from_event(&key(KeyCode::Esc), f),
            Some(Action::FilterCancel)
        ));
        assert!(matches!(
            from_event(&key(KeyCode::Backspace), f),
            Some(Action::FilterBackspace)
        ));
    }

    #[test]
    fn esc_merged_with_the_next_key_cancels_the_filter() {
        let alt_q = Event::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::ALT));
        assert!(matches!(
            from_event(&alt_q, InputMode::Filter),
            Some(Action::FilterCancel)
        ));
        assert!(matches!(
            from_event(&key(KeyCode::Esc), InputMode::Detail),
            Some(Action::Back)
        ));
        assert!(matches!(
            from_event(&ch('D'), InputMode::Normal),
            Some(Action::StartDaemon)
        ));
        assert!(matches!(
            from_event(&ch('l'), InputMode::Normal),
            Some(Action::Details)
        ));
    }

    #[test]
    fn confirm_mode_only_answers() {
        let c = InputMode::Confirm;
        assert!(matches!(
            from_event(&ch('y'), c),
            Some(Action::Confirm(true))
        ));
        assert!(matches!(
            from_event(&ch('n'), c),
            Some(Action::Confirm(false))
        ));
        assert!(matches!(
            from_event(&key(KeyCode::Esc), c),
            Some(Action::Confirm(false))
        ));
        assert!(from_event(&ch('K'), c).is_none());
        assert!(from_event(&key(KeyCode::Enter), c).is_none());
    }

    #[test]
    fn ctrl_c_quits_everywhere_and_releases_are_ignored() {
        let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        for m in [
            InputMode::Normal,
            InputMode::Filter,
            InputMode::Confirm,
            InputMode::Help,
        ] {
            assert!(
                matches!(from_event(&ctrl_c, m), Some(Action::Quit)),
                "{m:?}"
            );
        }
        let release = Event::Key(KeyEvent {
            code: KeyCode::Char('q'),
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Release,
            state: KeyEventState::NONE,
        });
        assert!(from_event(&release, InputMode::Normal).is_none());
    }

    #[test]
    fn mouse_and_resize() {
        let wheel = Event::Mouse(MouseEvent {
            kind: MouseEventKind::ScrollDown,
            column: 3,
            row: 9,
            modifiers: KeyModifiers::NONE,
        });
        assert!(matches!(
            from_event(&wheel, InputMode::Normal),
            Some(Action::Scroll {
                up: false,
                column: 3,
                row: 9
            })
        ));
        let click = Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 1,
            row: 2,
            modifiers: KeyModifiers::NONE,
        });
        assert!(matches!(
            from_event(&click, InputMode::Normal),
            Some(Action::Click { column: 1, row: 2 })
        ));
        assert!(from_event(&click, InputMode::Confirm).is_none());
        assert!(matches!(
            from_event(&Event::Resize(80, 24), InputMode::Help),
            Some(Action::Resize(80, 24))
        ));
    }
}
