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
