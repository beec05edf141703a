//! How things look: tables for people, JSON for scripts, short paths and ages.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use comfy_table::{ContentArrangement, presets};
use jiff::Timestamp;
use serde::Serialize;

mod table;
pub use table::{Cell, Column, Keep, Style, Table, cut, width};

/// A borderless comfy-table sized to the terminal, with a header row
/// (`conflicts`; `list` and `config` use the fitting `Table`).
pub fn table<I, S>(header: I) -> comfy_table::Table
where
    I: IntoIterator<Item = S>,
    S: Into<comfy_table::Cell>,
{
    let mut table = comfy_table::Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    if !colour_on_stdout() {
        table.force_no_tty();
    }
    table
}

/// Prints a table's rows without the padding comfy-table puts at line ends.
pub fn print_table(table: &comfy_table::Table) -> Result<()> {
    let mut out = io::stdout().lock();
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

pub fn print_json(value: &impl Serialize) -> Result<()> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Colour only on a terminal, and never with `NO_COLOR` set.
pub fn colour_on_stdout() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

static QUIET: AtomicBool = AtomicBool::new(false);

/// `--quiet`: no progress and no informational messages; warnings and
/// errors still show.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// An informational message on stderr, unless `--quiet`.
pub fn note(message: impl std::fmt::Display) {
    if !quiet() {
        eprintln!("{message}");
    }
}

/// A warning on stderr, shown even with `--quiet`.
pub fn warn(message: impl std::fmt::Display) {
    eprintln!("sessions: warning: {message}");
}

/// A progress bar on stderr that appears only on a terminal, without
/// `--quiet`, and once the work has taken more than half a second.
pub struct Progress {
    bar: indicatif::ProgressBar,
    start: Instant,
    state: ProgressState,
}

#[derive(PartialEq)]
enum ProgressState {
    Off,
    Waiting,
    Shown,
}

impl Progress {
    pub fn new(len: u64, message: &'static str) -> Progress {
        let bar = indicatif::ProgressBar::hidden();
        bar.set_length(len);
        bar.set_message(message);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        let on = !quiet() && io::stderr().is_terminal();
        Progress {
            bar,
            start: Instant::now(),
            state: if on {
                ProgressState::Waiting
            } else {
                ProgressState::Off
            },
        }
    }

    pub fn inc(&mut self) {
        self.bar.inc(1);
        if self.state == ProgressState::Waiting && self.start.elapsed() > Duration::from_millis(500)
        {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
            self.state = ProgressState::Shown;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.state == ProgressState::Shown {
            self.bar.finish_and_clear();
        }
    }
}

/// TEXT from a repository (a commit subject, a file name) as it may go to
/// a terminal: every control character spelled out (`\u{1b}`), so that
/// what a clone ships cannot move the cursor, retitle the window or clear
/// the screen.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// PATH with the home folder written as `~`.
pub fn tilde(path: &Path) -> String {
    if let Some(home) = dirs::home_dir()
        && let Ok(rest) = path.strip_prefix(&home)
    {
        return if rest.as_os_str().is_empty() {
            "~".into()
        } else {
            format!("~/{}", rest.display())
        };
    }
    path.display().to_string()
}

/// BYTES for people, in binary units: `0 B`, `812 KiB`, `1.4 GiB`.
pub fn bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ if value < 10.0 => format!("{value:.1} {}", UNITS[unit]),
        _ => format!("{value:.0} {}", UNITS[unit]),
    }
}

/// How long ago THEN was, in the largest whole unit: `40s`, `5m`, `3h`, `2d`.
pub fn age(then: Timestamp, now: Timestamp) -> String {
    let seconds = now.as_second().saturating_sub(then.as_second()).max(0);
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_use_the_largest_whole_unit() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let ago = |s: i64| age(Timestamp::from_second(1_000_000 - s).unwrap(), now);
        assert_eq!(ago(0), "0s");
        assert_eq!(ago(59), "59s");
        assert_eq!(ago(60), "1m");
        assert_eq!(ago(3599), "59m");
        assert_eq!(ago(7200), "2h");
        assert_eq!(ago(3 * 86_400 + 5), "3d");
        assert_eq!(ago(-30), "0s");
    }
}
