//! Which session a command means when it is given no name: the one the
//! current folder is in; else, for the commands that allow it and on a
//! terminal, the one picked from a list; else a usage error.

use anyhow::{Context, Result};

use super::ui;
use crate::error::Failure;
use crate::session::Workspace;

/// What to do without a name outside every session.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Otherwise {
    /// Let the person pick, when there is a terminal to pick on.
    Pick,
    /// Refuse: the command is too consequential (or too wide) to guess.
    Refuse,
}

/// NAME, or the session meant without one (see the module).
pub fn session(ws: &Workspace, name: Option<String>, otherwise: Otherwise) -> Result<String> {
    if let Some(name) = name {
        return Ok(name);
    }
    let here = std::env::current_dir().context("cannot read the current folder")?;
    if let Some(entry) = ws.session_containing(&here)? {
        return Ok(entry.name);
    }
    if otherwise == Otherwise::Pick && ui::can_ask() {
        let names: Vec<String> = ws.registry.read()?.into_iter().map(|e| e.name).collect();
        if names.is_empty() {
            return Err(Failure::usage("there are no sessions to pick from")
                .with_hint("sessions new")
                .into());
        }
        return ui::pick("Session", &names).map(|i| names[i].clone());
    }
    Err(
        Failure::usage("no <NAME> given, and the current folder is in no session")
            .with_hint("sessions list")
            .into(),
    )
}

/// The repository and session NAME means, from anywhere: a session of the
/// current repository by that whole name first (names may contain `/`),
/// else `REPO/NAME`, REPO an indexed repository's short name; without a
/// name, `session` in the current repository.
pub fn anywhere(name: Option<String>, otherwise: Otherwise) -> Result<(Workspace, String)> {
    let here = Workspace::discover(super::TERMINAL);
    let Some(name) = name else {
        let ws = here?;
        let name = session(&ws, None, otherwise)?;
        return Ok((ws, name));
    };
    if let Ok(ws) = &here
        && ws.registry.read()?.iter().any(|e| e.name == name)
    {
        return Ok((here?, name));
    }
    if let Some((repo, rest)) = name.split_once('/')
        && !rest.is_empty()
        && let Some(known) = super::indexed()?.find(repo)?
    {
        return Ok((
            Workspace::at(&known.git_dir, super::TERMINAL)?,
            rest.to_string(),
        ));
    }
    match here {
        Ok(ws) => Ok((ws, name)),
        Err(_) => Err(Failure::usage(format!(
            "the current folder is in no repository, and '{name}' is not REPO/NAME of a known one"
        ))
        .with_hint("sessions list --all")
        .into()),
    }
}
