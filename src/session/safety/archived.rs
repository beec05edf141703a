//! An archived session's saved work, judged like a branch's commits:
//! removing the session deletes its archive ref, which loses the work when
//! it holds anything its commit does not.

use std::fmt;

use anyhow::Result;

use super::Risk;
use crate::git::parse_oid;
use crate::registry::Entry;
use crate::session::Workspace;
use crate::shell::quote;

/// The risk of removing archived session ENTRY, if its saved work holds
/// changes (staged, unstaged or untracked) that exist nowhere else.
pub(super) fn risk(ws: &Workspace, entry: &Entry) -> Result<Option<Risk>> {
    let Some(archived) = &entry.archived else {
        return Ok(None);
    };
    // The ref, or should it be gone the commit the registry recorded.
    let Some(commit) = ws
        .repo
        .archive_tip(&entry.name)
        .or_else(|| parse_oid(&archived.commit))
    else {
        return Ok(None);
    };
    let Ok(saved) = ws.repo.saved_work(commit) else {
        return Ok(None);
    };
    Ok(saved.has_changes(&ws.repo)?.then(|| Risk::ArchivedWork {
        session: entry.name.clone(),
    }))
}

pub(super) fn describe(f: &mut fmt::Formatter<'_>, session: &str) -> fmt::Result {
    write!(
        f,
        "archived session '{session}' saved uncommitted work that exists nowhere else"
    )
}

/// Restoring it puts the work back where it can be committed; AGAIN (the
/// removal) would then refuse the changes until they are.
pub(super) fn hints(session: &str, _again: &str) -> Vec<String> {
    vec![format!("sessions restore {}", quote(session))]
}
