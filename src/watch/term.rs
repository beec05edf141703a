//! The full-screen terminal: raw mode and the alternate screen, always
//! given back, whether `watch` ends, steps aside for a command, or panics.

use std::io::{self, Stdout};
use std::sync::Once;

use anyhow::Result;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::{cursor, execute, terminal};

pub type Screen = Terminal<CrosstermBackend<Stdout>>;

/// Takes the terminal; the panic hook installed once gives it back before
/// the panic message is printed.
pub fn enter() -> Result<Screen> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            leave();
            previous(info);
        }));
    });
    terminal::enable_raw_mode()?;
    execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
    let mut screen = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    screen.clear()?;
    Ok(screen)
}

/// Gives the terminal back as it was; harmless when it already is.
pub fn leave() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(io::stdout(), terminal::LeaveAlternateScreen, cursor::Show);
}

/// Leaves the terminal on drop, on every way out of `watch`.
pub struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        leave();
    }
}
