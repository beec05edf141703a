//! Drawing `watch`: the table of sessions, most urgent first, a footer of
//! keys (or the question, filter or message of the moment), and the
//! overlays for `?` and `d`.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row as TableRow, Table, Wrap};

use crate::output::age;
use crate::registry::AgentState;
use crate::session::watch::{Attention, Row};

/// What the bottom line is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing a filter.
    Filter,
    /// Asking whether to remove the named session.
    Confirm(String),
    Help,
    /// A text overlay (the diff stat), with its title.
    Overlay(String, Vec<String>),
}

pub const KEYS: &[(&str, &str)] = &[
    ("Enter", "open the session (tmux: its agent's pane)"),
    ("r", "resume its agent here; watch comes back when it exits"),
    ("s", "show the session"),
    ("d", "diff stat: files changed and uncommitted"),
    ("/", "filter by name (Esc clears)"),
    ("x", "remove, by the rules of `sessions rm`"),
    ("j k arrows", "move"),
    ("?", "these keys"),
    ("q", "quit (Ctrl-C: exit 130)"),
];

/// Everything one frame shows.
pub struct View<'a> {
    pub rows: &'a [&'a Row],
    pub selected: usize,
    pub mode: &'a Mode,
    pub filter: &'a str,
    pub message: &'a str,
    pub title: &'a str,
    pub all: bool,
    pub colour: bool,
    pub now: Timestamp,
}

pub fn draw(frame: &mut Frame, view: &View) {
    // A message (a refusal, with its reason) may take a few lines.
    let footer_lines = match view.mode {
        Mode::Normal if !view.message.is_empty() => 3,
        _ => 1,
    };
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(footer_lines),
    ])
    .areas(frame.area());
    frame.render_widget(Paragraph::new(title(view)), top);
    table(frame, body, view);
    frame.render_widget(
        Paragraph::new(footer(view)).wrap(Wrap { trim: true }),
        bottom,
    );
    match view.mode {
        Mode::Help => {
            let lines = KEYS.iter().map(|(k, what)| format!("{k:>10}  {what}"));
            overlay(frame, "keys", lines.collect());
        }
        Mode::Overlay(title, lines) => overlay(frame, title, lines.clone()),
        _ => {}
    }
}

fn title(view: &View) -> String {
    let waiting = view
        .rows
        .iter()
        .filter(|r| r.attention(view.now) == Attention::Waiting)
        .count();
    let mut title = format!("sessions watch: {}", view.title);
    let n = view.rows.len();
    title.push_str(&format!(" · {n} session{}", if n == 1 { "" } else { "s" }));
    if waiting > 0 {
        title.push_str(&format!(" · {waiting} waiting"));
    }
    if !view.filter.is_empty() {
        title.push_str(&format!(" · filter: {}", view.filter));
    }
    title
}

fn footer(view: &View) -> String {
    match view.mode {
        Mode::Filter => format!("/{}", view.filter),
        Mode::Confirm(name) => format!("Remove session '{name}'? [y/N]"),
        Mode::Help | Mode::Overlay(..) => "any key: back".into(),
        Mode::Normal if !view.message.is_empty() => view.message.to_string(),
        Mode::Normal => {
            "Enter open  r resume  s show  d diff  / filter  x remove  ? keys  q quit".into()
        }
    }
}

/// `waiting 2m`, `working 10s`, `exited`: the state and how long it holds.
fn agent_cell(row: &Row, now: Timestamp) -> String {
    let Some(agent) = row.summary.entry.agent.as_ref() else {
        return "-".into();
    };
    let state = agent.state.unwrap_or(AgentState::Exited);
    match agent.updated_at {
        Some(at) if state != AgentState::Exited => format!("{} {}", state.as_str(), age(at, now)),
        _ => state.as_str().into(),
    }
}

/// What the session waits for, else the radar's warnings.
fn note(row: &Row) -> String {
    let waiting_for = row
        .summary
        .entry
        .agent
        .as_ref()
        .filter(|a| a.state == Some(AgentState::Waiting))
        .and_then(|a| a.waiting_for.clone());
    waiting_for
        .into_iter()
        .chain(row.warnings.iter().cloned())
        .collect::<Vec<_>>()
        .join("; ")
}

/// `+3 ↑2 ↓1`: uncommitted changes, commits ahead of and behind the base.
fn counts(row: &Row) -> String {
    let s = &row.summary;
    let mut parts = Vec::new();
    if s.changes > 0 {
        parts.push(format!("+{}", s.changes));
    }
    if s.ahead > 0 {
        parts.push(format!("↑{}", s.ahead));
    }
    if s.behind > 0 {
        parts.push(format!("↓{}", s.behind));
    }
    parts.join(" ")
}

fn table(frame: &mut Frame, area: Rect, view: &View) {
    let mut header = vec!["NAME", "AGENT", "GIT", "CHANGES", "WAITS FOR / WARNINGS"];
    let mut widths = vec![
        Constraint::Length(16),
        Constraint::Length(13),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Fill(1),
    ];
    if view.all {
        header.insert(0, "REPO");
        widths.insert(0, Constraint::Length(12));
    }
    let rows = view.rows.iter().map(|row| {
        let mut cells = vec![
            row.name().to_string(),
            agent_cell(row, view.now),
            row.summary.state().to_string(),
            counts(row),
            note(row),
        ];
        if view.all {
            cells.insert(0, row.repo.clone());
        }
        TableRow::new(cells).style(style(row.attention(view.now), view.colour))
    });
    let table = Table::new(rows, widths)
        .header(TableRow::new(header).style(Style::new().add_modifier(Modifier::BOLD)))
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol("> ");
    let mut state = ratatui::widgets::TableState::default();
    if !view.rows.is_empty() {
        state.select(Some(view.selected));
    }
    frame.render_stateful_widget(table, area, &mut state);
    if view.rows.is_empty() {
        let empty = match view.filter.is_empty() {
            true => "No sessions yet; `sessions new NAME` creates one.",
            false => "No session matches the filter.",
        };
        let [_, line] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
        frame.render_widget(Paragraph::new(empty), line);
    }
}

/// Colour by attention, on a terminal without NO_COLOR only; waiting is
/// bold either way.
fn style(attention: Attention, colour: bool) -> Style {
    let style = Style::new();
    let style = match attention {
        Attention::Waiting => style.add_modifier(Modifier::BOLD),
        _ => style,
    };
    if !colour {
        return style;
    }
    match attention {
        Attention::Waiting => style.fg(Color::Yellow),
        Attention::Error => style.fg(Color::Red),
        Attention::Finished => style.fg(Color::Green),
        Attention::Working => style,
        Attention::Rest => style.add_modifier(Modifier::DIM),
    }
}

fn overlay(frame: &mut Frame, title: &str, lines: Vec<String>) {
    let area = frame.area();
    let height = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let width = area.width.saturating_sub(4).min(76);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let text: Vec<Line> = lines
        .into_iter()
        .map(|l| Line::from(Span::raw(l)))
        .collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(title.to_string()),
        ),
        rect,
    );
}
