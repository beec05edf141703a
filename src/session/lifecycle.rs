//! The configured commands around a session's life: `setup` in a new
//! worktree, `teardown` before removal, and the one `sh -c` runner they and
//! land's checks share. Project commands run only once trusted
//! (src/trust.rs).

use std::io;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use std::sync::atomic::{AtomicBool, Ordering};

use super::Workspace;
use crate::config::{self, Setting};
use crate::registry::Entry;
use crate::trust::{self, Approval};

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

/// The variables every session command (setup, teardown, land checks) and
/// the agent see: ours (`SESSIONS_*`, a `SESSIONS_PORT_N` for each port of
/// the block after the first), then `[env]` with its placeholders filled.
/// A project's `[env]` counts only once approved (a value such as
/// `LD_PRELOAD` runs code as surely as a command): until then the user's
/// own value, if any, stands, and a warning says so once per process.
pub fn env(ws: &Workspace, entry: &Entry) -> Vec<(String, String)> {
    let (port, count) = entry.ports().unwrap_or((0, 0));
    let port_text = entry.port.map(|p| p.to_string()).unwrap_or_default();
    let path = entry.path.display().to_string();
    let mut vars = vec![
        ("SESSIONS_NAME".to_string(), entry.name.clone()),
        ("SESSIONS_PATH".into(), path.clone()),
        ("SESSIONS_BRANCH".into(), entry.branch.clone()),
        ("SESSIONS_BASE".into(), entry.base.clone()),
        ("SESSIONS_PORT".into(), port_text.clone()),
        (
            "SESSIONS_REPO".into(),
            ws.repo.home_dir().display().to_string(),
        ),
    ];
    for i in 1..count {
        let nth = u32::from(port) + u32::from(i);
        vars.push((format!("SESSIONS_PORT_{i}"), nth.to_string()));
    }
    let repo = ws.repo_name();
    let placeholders = [
        ("{name}", entry.name.as_str()),
        ("{branch}", entry.branch.as_str()),
        ("{repo}", repo.as_str()),
        ("{path}", path.as_str()),
        ("{port}", port_text.as_str()),
    ];
    let config = &ws.config;
    let withheld: Vec<&String> = config
        .env
        .iter()
        .filter(|(_, v)| v.source.is_project())
        .map(|(name, _)| name)
        .collect();
    let trusted = withheld.is_empty()
        || trust::is_approved(ws.repo.home_dir(), &trust::project_values(config)).unwrap_or(false);
    if !trusted && !WARNED_ENV.swap(true, Ordering::Relaxed) {
        let source = &config.env[withheld[0]].source;
        ws.ui.warn(&format!(
            "not passing {} [env] variable{} from {source}: not approved yet; review and approve them with `sessions trust`",
            withheld.len(),
            if withheld.len() == 1 { "" } else { "s" },
        ));
    }
    for (name, value) in &config.env {
        let value = match value.source.is_project() && !trusted {
            true => match config.env_fallback.get(name) {
                Some(user) => user,
                None => continue,
            },
            false => value,
        };
        vars.push((
            name.clone(),
            config::fill_placeholders(&value.value, &placeholders),
        ));
    }
    vars
}

/// The warning about a project's unapproved `[env]` is given once.
static WARNED_ENV: AtomicBool = AtomicBool::new(false);

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
