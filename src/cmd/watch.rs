//! `sessions watch`: the live view on a terminal (src/watch/ draws it),
//! else one JSON line per change. Actions go through the same domain calls
//! as their commands: `x` is `session::remove` with `rm`'s options, `s` and
//! `r` run `sessions show` and `sessions resume` themselves.

use std::io::{self, IsTerminal, Write};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::json::WatchLine;
use super::ui::TERMINAL;
use crate::cli::WatchArgs;
use crate::error::Failure;
use crate::session::watch::Row;
use crate::session::{self, RemoveOptions, Workspace};
use crate::watch::view::{self, Mode, View};
use crate::watch::{Model, Repo, Seen, Sighting, term};
use crate::{interrupt, output, shell};

pub fn run(args: WatchArgs) -> Result<()> {
    interrupt::install();
    let (repos, title) = repos(args.all)?;
    let live = !args.json && io::stdout().is_terminal() && io::stdin().is_terminal();
    let model = Model::load(repos, TERMINAL)?;
    for folder in &model.unwatched {
        output::warn(format!(
            "cannot watch {} for changes (the system's limit of watches?): it refreshes every few seconds only",
            output::tilde(folder)
        ));
    }
    match live {
        true => live_view(model, &title, args.all),
        false => follow(model),
    }
}

fn repos(all: bool) -> Result<(Vec<Repo>, String)> {
    if !all {
        let ws = Workspace::discover(TERMINAL)?;
        let title = ws.repo_name();
        let short = String::new();
        return Ok((vec![Repo { ws, short }], title));
    }
    let repos = super::indexed_workspaces()?
        .into_iter()
        .map(|(short, ws)| Repo { ws, short })
        .collect();
    Ok((repos, "every repository".into()))
}

/// Without a terminal: a line per session at the start, then one per
/// change, until stdout closes or a signal comes.
fn follow(mut model: Model) -> Result<()> {
    let mut seen = Seen::default();
    loop {
        if interrupt::received() {
            bail!(Failure::interrupted());
        }
        let now = crate::clock::now();
        let rows = model.sorted(now);
        let mut out = io::stdout().lock();
        for change in seen.update(rows, now, |row| fingerprint(row, now)) {
            let line = match change {
                Sighting::Added(row) => WatchLine::new(row, "added", now),
                Sighting::Changed(row, _) => WatchLine::new(row, "changed", now),
                Sighting::Removed(row) => WatchLine::new(&row, "removed", now),
            };
            let written = serde_json::to_writer(&mut out, &line)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
                .and_then(|()| out.flush());
            // The reader went away (`| head -1`): done.
            if written.is_err() {
                return Ok(());
            }
        }
        drop(out);
        model.tick(Duration::from_secs(1))?;
        if let Some(problem) = model.problem.take() {
            output::warn(problem);
        }
    }
}

/// What a reader of the JSON lines sees of ROW, but the time.
fn fingerprint(row: &Row, now: jiff::Timestamp) -> String {
    let mut value = serde_json::to_value(WatchLine::new(row, "changed", now)).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("at");
        map.remove("change");
    }
    value.to_string()
}

/// How the live view ends.
enum Exit {
    Quit,
    /// Enter: the shell goes to this folder.
    Open(PathBuf),
}

struct State {
    selected: usize,
    mode: Mode,
    filter: String,
    message: String,
}

fn live_view(mut model: Model, title: &str, all: bool) -> Result<()> {
    let colour = output::colour_on_stdout();
    let restore = term::Restore;
    let mut screen = term::enter()?;
    let mut state = State {
        selected: 0,
        mode: Mode::Normal,
        filter: String::new(),
        message: String::new(),
    };
    let mut seen = Seen::default();
    let mut first = true;
    let exit = loop {
        if interrupt::received() {
            drop(restore);
            bail!(Failure::interrupted());
        }
        let now = crate::clock::now();
        model.sorted(now);
        if let Some(problem) = model.problem.take() {
            state.message = problem;
        }
        // The bell on a transition into waiting or error, not at the start.
        let changes = seen.update(&model.rows, now, |r| r.attention(now).as_str().into());
        let alarm = changes.iter().any(|c| match c {
            Sighting::Changed(row, was) => row.attention(now).alarms() && !was.alarms(),
            _ => false,
        });
        if alarm && !first {
            print!("\x07");
            let _ = io::stdout().flush();
        }
        first = false;
        let rows: Vec<&Row> = model
            .rows
            .iter()
            .filter(|r| state.filter.is_empty() || r.name().contains(&state.filter))
            .collect();
        state.selected = state.selected.min(rows.len().saturating_sub(1));
        screen.draw(|frame| {
            view::draw(
                frame,
                &View {
                    rows: &rows,
                    selected: state.selected,
                    mode: &state.mode,
                    filter: &state.filter,
                    message: &state.message,
                    title,
                    all,
                    colour,
                    now,
                },
            );
        })?;
        let target = rows.get(state.selected).map(|r| (*r).clone());
        drop(rows);
        // Asked first, since crossterm reads a terminal that hung up (its
        // tmux or ssh gone) in a loop that never ends: that is a SIGHUP.
        if crate::sys::poll_input(io::stdin().as_fd(), Some(Duration::from_millis(100)))?
            == crate::sys::Input::HungUp
        {
            drop(restore);
            bail!(Failure::interrupted());
        }
        if !event::poll(Duration::ZERO)? {
            model.tick(Duration::ZERO)?;
            continue;
        }
        let Event::Key(key) = event::read()? else {
            continue;
        };
        if key.kind != KeyEventKind::Press {
            continue;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            drop(restore);
            bail!(Failure::interrupted());
        }
        match on_key(&mut model, &mut state, key, target.as_ref(), &mut screen)? {
            Some(exit) => break exit,
            None => model.tick(Duration::ZERO)?,
        }
    };
    drop(screen);
    drop(restore);
    if let Exit::Open(path) = exit
        && !shell::cd_to(&path)?
    {
        println!("{}", path.display());
        output::note(format!("hint: {}", shell::wrapper_hint()));
    }
    Ok(())
}

fn on_key(
    model: &mut Model,
    state: &mut State,
    key: KeyEvent,
    target: Option<&Row>,
    screen: &mut term::Screen,
) -> Result<Option<Exit>> {
    state.message.clear();
    match state.mode.clone() {
        Mode::Filter => {
            match key.code {
                KeyCode::Esc => {
                    state.filter.clear();
                    state.mode = Mode::Normal;
                }
                KeyCode::Enter => state.mode = Mode::Normal,
                KeyCode::Backspace => {
                    state.filter.pop();
                }
                KeyCode::Char(c) => state.filter.push(c),
                _ => {}
            }
            return Ok(None);
        }
        Mode::Confirm(name) => {
            state.mode = Mode::Normal;
            if key.code == KeyCode::Char('y')
                && let Some(row) = target.filter(|r| r.name() == name)
            {
                state.message = remove(model, row);
                screen.clear()?;
            }
            return Ok(None);
        }
        Mode::Help | Mode::Overlay(..) => {
            state.mode = Mode::Normal;
            return Ok(None);
        }
        Mode::Normal => {}
    }
    match key.code {
        KeyCode::Char('q') | KeyCode::Esc => return Ok(Some(Exit::Quit)),
        KeyCode::Char('?') => state.mode = Mode::Help,
        KeyCode::Char('/') => state.mode = Mode::Filter,
        KeyCode::Down | KeyCode::Char('j') => state.selected += 1,
        KeyCode::Up | KeyCode::Char('k') => state.selected = state.selected.saturating_sub(1),
        _ => {}
    }
    let Some(row) = target else {
        return Ok(None);
    };
    match key.code {
        // Inside tmux, to the agent's pane as `sessions attach` does;
        // otherwise (or with no agent in a pane) into the session.
        KeyCode::Enter => match session::tmux::inside()
            .then(|| session::tmux::agent_pane(&row.summary.entry))
            .flatten()
        {
            Some(_) => {
                state.message = match session::tmux::attach(&row.summary.entry) {
                    Ok(pane) => format!("switched to tmux pane {}", pane.id),
                    Err(e) => format!("{e:#}"),
                }
            }
            None => return Ok(Some(Exit::Open(row.summary.entry.path.clone()))),
        },
        KeyCode::Char('x') => state.mode = Mode::Confirm(row.name().to_string()),
        KeyCode::Char('d') => state.mode = diff_stat(model, row),
        KeyCode::Char('s') => state.message = aside(model, row, "show", true, screen)?,
        KeyCode::Char('r') => state.message = aside(model, row, "resume", false, screen)?,
        _ => {}
    }
    Ok(None)
}

fn repo_of<'a>(model: &'a Model, row: &Row) -> &'a Repo {
    let found = model.repos.iter().find(|r| r.short == row.repo);
    found.unwrap_or(&model.repos[0])
}

/// `x`: `rm`'s own removal, without `--force`: what it refuses is refused
/// here, with its message.
fn remove(model: &mut Model, row: &Row) -> String {
    let repo = repo_of(model, row);
    let names = [row.name().to_string()];
    let said = match session::remove(&repo.ws, &names, RemoveOptions::default()) {
        Ok(removed) => removed
            .iter()
            .map(super::rm::describe)
            .collect::<Vec<_>>()
            .join("; "),
        Err(e) => format!("{e:#}"),
    };
    if let Some(i) = model.repos.iter().position(|r| r.short == row.repo)
        && let Err(e) = model.agents(i)
    {
        return format!("{said}; {e:#}");
    }
    said
}

/// `d`: the files the branch changed since its base, and the uncommitted ones.
fn diff_stat(model: &Model, row: &Row) -> Mode {
    let details = match session::show(&repo_of(model, row).ws, row.name()) {
        Ok(details) => details,
        Err(e) => return Mode::Overlay("diff stat".into(), vec![format!("{e:#}")]),
    };
    let mut lines: Vec<String> = details
        .files
        .iter()
        .map(|f| format!("+{:<5} -{:<5} {}", f.added, f.deleted, f.path))
        .collect();
    if lines.is_empty() {
        lines.push("no commits of its own".into());
    }
    if !details.uncommitted.is_empty() {
        lines.push("uncommitted:".into());
        lines.extend(
            details
                .uncommitted
                .iter()
                .map(|c| format!("  {:<10} {}", c.kind, c.path)),
        );
    }
    Mode::Overlay(format!("{}: diff stat", row.name()), lines)
}

/// `s` and `r`: the terminal goes to `sessions VERB NAME` until it ends
/// (with WAIT, until Enter after it, so its output can be read), then
/// back to the view.
fn aside(
    model: &Model,
    row: &Row,
    verb: &str,
    wait: bool,
    screen: &mut term::Screen,
) -> Result<String> {
    // Run in the row's repository, by its name alone: no `--` (after it,
    // `resume` takes agent arguments) and no repository's folder name,
    // which may start with '-'; session names never do (name.rs).
    let target = row.name();
    term::leave();
    let status = Command::new(std::env::current_exe().context("cannot find this program")?)
        .args([verb, target])
        .current_dir(repo_of(model, row).ws.repo.home_dir())
        // It must not move the calling shell: only Enter does.
        .env_remove(shell::CD_FILE_VAR)
        .status();
    if wait {
        eprint!("Press Enter to return to watch ");
        let _ = io::stdin().read_line(&mut String::new());
    }
    *screen = term::enter()?;
    Ok(match status {
        Ok(s) if s.success() => String::new(),
        Ok(s) => format!("sessions {verb} {target} ended with {s}"),
        Err(e) => format!("sessions {verb} {target}: {e}"),
    })
}
