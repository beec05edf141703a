//! Sessions whose folder is gone, and the fix for each that loses nothing.

use super::*;

/// Sessions whose worktree is gone. The fix offered never loses work: a
/// branch with commits found nowhere else is kept (`rm --keep-branch`), and
/// commits only the gone worktree holds are put on a branch first.
pub(super) fn missing_folders(
    ws: &Workspace,
    worktrees: &[Worktree],
    entries: &[Entry],
    explained: &Explained,
) -> Result<Vec<Finding>> {
    let mut found = Vec::new();
    let around = Surroundings::read(ws)?;
    for e in entries
        .iter()
        .filter(|e| worktree_gone(worktrees, &e.path) && !explained.sessions.contains(&e.name))
    {
        let what = if e.path.is_dir() {
            "is no longer a git worktree"
        } else {
            "is gone"
        };
        let (fix, why) = missing_fix(ws, &around, e)?;
        found.push(finding(
            Kind::MissingFolder,
            format!(
                "session '{}': its folder {} {what}{why}",
                e.name,
                tilde(&e.path)
            ),
            fix,
            Action::DropEntry {
                name: e.name.clone(),
            },
        ));
    }
    Ok(found)
}

/// The command that clears session E whose folder is gone without losing
/// anything, and what the problem should add to say why that one. `sync`
/// gives the same advice for such a session.
pub(in crate::session) fn missing_fix(
    ws: &Workspace,
    around: &Surroundings,
    e: &Entry,
) -> Result<(String, String)> {
    let name = quote(&e.name);
    let plan = plan_removal(ws, around, e.clone(), RemoveOptions::default())?;
    if let Some(blocker) = plan.blockers.first() {
        return Ok((blocker.hint(), format!("; {blocker}")));
    }
    let mut why = String::new();
    for risk in &plan.risks {
        match risk {
            Risk::BranchCommits { branch, .. } => {
                why = format!(
                    "; {risk}: `rm --keep-branch` keeps branch '{branch}' (`rm --force` would delete it)"
                );
            }
            Risk::WorktreeCommits { .. } => {
                let held = worktree_at(&around.worktrees, &e.path).map(|w| only_held_by(ws, w));
                let fix = match held {
                    Some(Held::From(start)) => format!(
                        "git branch {} {} && sessions rm --keep-branch {name}",
                        quote(&format!("rescued-{}", e.name)),
                        git::short(start)
                    ),
                    _ => format!("sessions show {name}"),
                };
                return Ok((fix, format!("; {risk}")));
            }
            _ => return Ok((format!("sessions show {name}"), format!("; {risk}"))),
        }
    }
    let keep = if why.is_empty() { "" } else { "--keep-branch " };
    Ok((format!("sessions rm {keep}{name}"), why))
}
