//! The configured commands around a session's life: `setup` in a new
//! worktree, `teardown` before removal, and the one `sh -c` runner they and
//! land's checks share. Project commands run only once trusted
//! (src/trust.rs).

use std::io;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use super::Workspace;
use crate::config::Setting;
use crate::registry::Entry;
use crate::trust::Approval;

/// What running a session's setup (or teardown) commands came to.
#[derive(Debug, PartialEq, Eq)]
pub enum SetupRun {
    /// Every command ran and succeeded (possibly none).
    Done(usize),
    /// Project commands not approved: none ran.
    Untrusted,
    /// COMMAND failed with STATUS; the commands after it did not run.
    Failed { command: String, status: String },
}

/// The variables every session command (setup, teardown, the agent) sees.
pub fn env(ws: &Workspace, entry: &Entry) -> Vec<(&'static str, String)> {
    vec![
        ("SESSIONS_NAME", entry.name.clone()),
        ("SESSIONS_PATH", entry.path.display().to_string()),
        ("SESSIONS_BRANCH", entry.branch.clone()),
        ("SESSIONS_BASE", entry.base.clone()),
        (
            "SESSIONS_PORT",
            entry.port.map(|p| p.to_string()).unwrap_or_default(),
        ),
        ("SESSIONS_REPO", ws.repo.home_dir().display().to_string()),
    ]
}

/// Runs the `setup` commands in the session's worktree, in order, stopping
/// at the first that fails.
pub fn setup(ws: &Workspace, entry: &Entry) -> Result<SetupRun> {
    run(ws, entry, "setup", &ws.config.setup)
}

/// Runs the `teardown` commands before a session is removed; a failure is a
/// warning, not a reason to keep the session.
pub fn teardown(ws: &Workspace, entry: &Entry) -> Result<()> {
    if !entry.path.is_dir() {
        return Ok(());
    }
    match run(ws, entry, "teardown", &ws.config.teardown)? {
        SetupRun::Failed { command, status } => ws.ui.warn(&format!(
            "teardown command `{command}` of session '{}' {status}",
            entry.name
        )),
        SetupRun::Done(_) | SetupRun::Untrusted => {}
    }
    Ok(())
}

fn run(
    ws: &Workspace,
    entry: &Entry,
    key: &str,
    commands: &Setting<Vec<String>>,
) -> Result<SetupRun> {
    if commands.value.is_empty() {
        return Ok(SetupRun::Done(0));
    }
    if commands.source.is_project() {
        match ws.approval()? {
            Approval::Trusted => {}
            Approval::Declined => {
                ws.ui.warn(&format!(
                    "not running the {key} commands of {}",
                    commands.source
                ));
                return Ok(SetupRun::Untrusted);
            }
            Approval::Unapproved => {
                ws.ui.warn(&format!(
                    "skipped {} {key} command{} from {}: not approved yet; review and approve them with `sessions trust`",
                    commands.value.len(),
                    if commands.value.len() == 1 { "" } else { "s" },
                    commands.source,
                ));
                return Ok(SetupRun::Untrusted);
            }
        }
    }
    let vars = env(ws, entry);
    for command in &commands.value {
        ws.ui.note(&format!("{key}: {command}"));
        let status = shell(command, &entry.path)?
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .status()
            .with_context(|| format!("cannot run {key} command `{command}`"))?;
        if !status.success() {
            let status = match status.code() {
                Some(code) => format!("failed with exit code {code}"),
                None => "was killed by a signal".into(),
            };
            return Ok(SetupRun::Failed {
                command: command.clone(),
                status,
            });
        }
    }
    Ok(SetupRun::Done(commands.value.len()))
}

/// COMMAND run by `sh -c` in DIR, free of the caller's repository
/// variables, with no input, and its output on our stderr: it is for
/// people, and stdout is kept for data. The one runner for setup, teardown
/// and land checks.
pub(super) fn shell(command: &str, dir: &Path) -> Result<Command> {
    use std::os::fd::AsFd;
    let stderr = io::stderr().as_fd().try_clone_to_owned();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(stderr.context("cannot duplicate stderr")?);
    crate::git::strip_repository_env(&mut cmd);
    Ok(cmd)
}
