//! The input Claude Code gives its hooks. What the events do to sessions
//! lives in the domain (src/session/claude_hooks.rs): this module knows
//! Claude Code only.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::process;

/// The fields of Claude's hook input that `sessions` reads.
#[derive(Debug, Default, Deserialize)]
pub struct HookInput {
    pub session_id: Option<String>,
    pub transcript_path: Option<PathBuf>,
    pub cwd: Option<PathBuf>,
    pub notification_type: Option<String>,
    /// Notification: what Claude tells the person ("Claude needs your
    /// permission to use Bash").
    pub message: Option<String>,
    /// PermissionRequest (and the tool hooks): the tool concerned.
    pub tool_name: Option<String>,
    /// StopFailure: what failed (a string in the versions seen).
    pub error: Option<serde_json::Value>,
    /// SessionEnd: why (`clear`, `logout`, `prompt_input_exit`, `other`...).
    pub reason: Option<String>,
    /// WorktreeCreate: the worktree's name.
    pub name: Option<String>,
    /// WorktreeRemove: the worktree to remove.
    pub worktree_path: Option<PathBuf>,
}

impl HookInput {
    /// Reads the hook's JSON input from stdin.
    pub fn read() -> Result<HookInput> {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the hook input")?;
        serde_json::from_str(&text).context("the hook input is not the JSON Claude Code sends")
    }

    /// Whether this SessionEnd only closes a conversation that `/clear`
    /// replaces at once (a SessionStart with source `clear` follows): the
    /// process goes on.
    pub fn ends_for_clear(&self) -> bool {
        self.reason.as_deref() == Some("clear")
    }

    /// The folder the hook fired in: its `cwd`, else ours, resolved.
    pub fn dir(&self) -> Result<PathBuf> {
        let dir = match &self.cwd {
            Some(cwd) => cwd.clone(),
            None => std::env::current_dir()?,
        };
        dir.canonicalize()
            .with_context(|| format!("cannot resolve {}", dir.display()))
    }
}

/// Claude's pid, which it gives its hooks; else whoever ran us.
pub fn claude_pid() -> Option<u32> {
    std::env::var("CLAUDE_PID")
        .ok()
        .and_then(|pid| pid.parse().ok())
        .or_else(process::hook_caller)
}
