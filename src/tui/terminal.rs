//! The terminal's state, and getting it back whatever happens: [`Screen`] enters raw mode, the
//! alternate screen and mouse capture, and restores them when dropped (quit, error); a panic hook
//! restores them before the panic is printed; [`Screen::suspend`] hands the terminal to a child
//! (`tmux attach-session`) and takes it back.

use std::io::{self, Stdout};
use std::panic::PanicHookInfo;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

type Hook = Arc<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>;

/// Set by the panic hook: the terminal was given back, so nothing may be drawn any more.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// True once a panic (on any thread) has restored the terminal.
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Leaves raw mode, mouse capture and the alternate screen, and shows the cursor. Safe to call twice.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        Show
    );
}

fn enter() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)
}

/// The dashboard's hold on the terminal.
pub struct Screen {
    /// The ratatui terminal the dashboard draws on.
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
    previous_hook: Hook,
}

impl Screen {
    /// Takes the terminal over and installs the restoring panic hook.
    pub fn enter() -> io::Result<Screen> {
        let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        let previous_hook: Hook = Arc::from(std::panic::take_hook());
        let chained = Arc::clone(&previous_hook);
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            restore();
            chained(info);
        }));
        // From here on, dropping the screen restores the terminal and the previous hook.
        let screen = Screen {
            terminal,
            previous_hook,
        };
        enter()?;
        Ok(screen)
    }

    /// Gives the terminal to `f` (the normal screen, cooked mode), then takes it back and redraws
    /// from scratch.
    pub fn suspend<T>(&mut self, f: impl FnOnce() -> T) -> io::Result<T> {
        restore();
        let out = f();
        enter()?;
        self.terminal.clear()?;
        Ok(out)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
        let previous = Arc::clone(&self.previous_hook);
        std::panic::set_hook(Box::new(move |info| previous(info)));
    }
}
