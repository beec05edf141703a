use anyhow::Result;

use crate::cli::NewArgs;
use crate::git;
use crate::output::{self, tilde, warn};
use crate::session::{self, NewSession, Workspace, hooks};
use crate::shell;

pub fn run(args: NewArgs) -> Result<()> {
    let ws = Workspace::discover()?;
    let entry = session::create(
        &ws,
        NewSession {
            name: args.name,
            base: args.base,
            branch: args.branch,
        },
    )?;
    let start = git::parse_oid(&entry.base_commit)
        .map(git::short)
        .unwrap_or_default();
    let branch_note = if entry.owns_branch {
        "new branch"
    } else {
        "existing branch"
    };
    let port = entry
        .port
        .map(|p| format!(", port {p}"))
        .unwrap_or_default();
    output::note(format!(
        "Created session '{}' on {branch_note} '{}' from {} ({start}) in {}{port}",
        entry.name,
        entry.branch,
        entry.base,
        tilde(&entry.path)
    ));
    println!("{}", entry.path.display());
    shell::cd_to(&entry.path)?;
    if let Some(max) = ws.config.max_sessions.value {
        let count = ws.registry.read()?.len();
        if count > max {
            warn(format!(
                "{count} sessions now, above max_sessions = {max} ({}); `sessions rm` removes finished ones",
                ws.config.max_sessions.source
            ));
        }
    }
    super::setup::report(&entry.name, hooks::setup(&ws, &entry)?)
}
