//! Everything specific to Claude Code: how it is launched, the hooks it is
//! given, what its hook events mean, and where it keeps its transcripts.
//! A leaf: it knows nothing of sessions (src/session/claude_hooks.rs does
//! what the hook events ask).

mod hook;
mod launch;
mod live;
mod settings;
mod transcript;
mod worktree;

pub use hook::{HookInput, claude_pid};
pub use live::{LiveRecord, live_records};
pub use settings::{Scope, SettingsEdit, install, uninstall};
pub use transcript::{Transcript, latest_transcript, transcript_of, transcripts};
pub use worktree::{is_claude_worktree, parse_lock, resumes_into};

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::registry::AgentState;

/// The agent kind recorded for Claude Code.
pub const KIND: &str = "claude";

/// The events whose hooks report an agent's state. Not PreToolUse: it
/// fires before every tool call, before any permission prompt, when the
/// state is already `working`; each hook costs Claude ~15 ms of its turn.
pub const STATE_EVENTS: &[&str] = &[
    "SessionStart",
    "UserPromptSubmit",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionRequest",
    "PermissionDenied",
    "Notification",
    "Stop",
    "StopFailure",
    "SessionEnd",
];

/// The events that let plain `claude -w` create and remove its worktree
/// through `sessions`.
pub const WORKTREE_EVENTS: &[&str] = &["WorktreeCreate", "WorktreeRemove"];

/// Whether PROGRAM (a name or a path) is Claude Code, which gets session ids
/// and hooks; any other agent is launched plainly.
pub fn is_claude(program: &str) -> bool {
    Path::new(program).file_name() == Some(OsStr::new(KIND))
}

/// How a Claude Code session is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// A new conversation with this id and display name.
    New {
        session_id: String,
        name: String,
    },
    Resume {
        session_id: String,
    },
    /// The most recent conversation in the folder.
    Continue,
}

/// Claude's arguments for START: FIXED (the configured ones), how to
/// start, one `--settings` with the hooks that call EXE merged into any the
/// user gave (a relative file taken from HERE), then USER_ARGS.
pub fn arguments(
    start: &Start,
    exe: &Path,
    fixed: &[String],
    user_args: &[String],
    here: &Path,
) -> anyhow::Result<Vec<String>> {
    let (mut args, mut settings) = launch::take_settings(fixed)?;
    let (user_args, more) = launch::take_settings(user_args)?;
    settings.extend(more);
    let ours = json!({ "hooks": hooks(exe, STATE_EVENTS) });
    let settings = launch::merged(&settings, ours, here)?;
    match start {
        Start::New { session_id, name } => {
            args.extend([
                "--session-id".into(),
                session_id.clone(),
                "-n".into(),
                name.clone(),
            ]);
        }
        Start::Resume { session_id } => args.extend(["--resume".into(), session_id.clone()]),
        Start::Continue => args.push("--continue".into()),
    }
    args.push("--settings".into());
    args.push(settings.to_string());
    args.extend(user_args);
    Ok(args)
}

/// Claude's `hooks` settings for EVENTS, each calling `EXE hook EVENT`.
pub fn hooks(exe: &Path, events: &[&str]) -> Value {
    let map = events
        .iter()
        .map(|event| {
            let group =
                json!([{ "hooks": [{ "type": "command", "command": hook_command(exe, event) }] }]);
            (event.to_string(), group)
        })
        .collect();
    Value::Object(map)
}

fn hook_command(exe: &Path, event: &str) -> String {
    format!(
        "{} hook {event}",
        crate::shell::quote(&exe.to_string_lossy())
    )
}

/// Whether COMMAND is a hook `hooks` made for EVENT, whichever path the
/// binary had then.
pub fn is_our_hook(command: &str, event: &str) -> bool {
    let Some(program) = command.strip_suffix(&format!(" hook {event}")) else {
        return false;
    };
    let program = program.trim_matches('\'');
    Path::new(program).file_name() == Some(OsStr::new("sessions"))
}

/// A new random (version 4) UUID, as `--session-id` wants it.
pub fn new_session_id() -> String {
    let mut bytes: [u8; 16] = std::array::from_fn(|_| fastrand::u8(..));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The state a hook event reports, if it reports one.
pub fn state_of(event: &str, notification_type: Option<&str>) -> Option<AgentState> {
    Some(match event {
        "SessionStart" => AgentState::Idle,
        // Any tool hook means Claude runs again, also after a permission
        // prompt was answered (PostToolUseFailure: the approved tool failed;
        // PermissionDenied: a rule or auto mode said no and Claude goes on).
        "UserPromptSubmit" | "PreToolUse" | "PostToolUse" | "PostToolUseFailure"
        | "PermissionDenied" => AgentState::Working,
        "PermissionRequest" => AgentState::Waiting,
        "Notification" => notification_state(notification_type?)??,
        "Stop" => AgentState::Idle,
        "StopFailure" => AgentState::Error,
        "SessionEnd" => AgentState::Exited,
        _ => return None,
    })
}

/// What a Notification of KIND says: `None` for a kind Claude is not known
/// to send (the caller records it), `Some(None)` for a known kind that
/// leaves the state as it is.
pub fn notification_state(kind: &str) -> Option<Option<AgentState>> {
    Some(match kind {
        // Claude waits for the user: a permission prompt, an MCP server's
        // question, auto mode's choice dialog.
        "permission_prompt" | "elicitation_dialog" | "agent_needs_input" => {
            Some(AgentState::Waiting)
        }
        // Sent after 60 s at the prompt: the turn is over, nothing is asked.
        "idle_prompt" => Some(AgentState::Idle),
        // The question was answered: Claude goes on with its turn.
        "elicitation_response" | "elicitation_complete" => Some(AgentState::Working),
        "auth_success" => None,
        _ => return None,
    })
}

/// Claude's configuration folder: `$CLAUDE_CONFIG_DIR`, else `~/.claude`.
pub fn config_dir() -> Option<PathBuf> {
    match std::env::var_os("CLAUDE_CONFIG_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::home_dir().map(|home| home.join(".claude")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_version_4_uuids() {
        let id = new_session_id();
        assert_eq!(id.len(), 36);
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!("89ab".contains(&parts[3][..1]));
        assert_ne!(id, new_session_id());
    }

    #[test]
    fn maps_hook_events_to_states() {
        use AgentState::*;
        assert_eq!(state_of("UserPromptSubmit", None), Some(Working));
        assert_eq!(state_of("PreToolUse", None), Some(Working));
        assert_eq!(state_of("PermissionRequest", None), Some(Waiting));
        assert_eq!(state_of("PostToolUseFailure", None), Some(Working));
        assert_eq!(state_of("PermissionDenied", None), Some(Working));
        for kind in [
            "permission_prompt",
            "elicitation_dialog",
            "agent_needs_input",
        ] {
            assert_eq!(state_of("Notification", Some(kind)), Some(Waiting));
        }
        assert_eq!(state_of("Notification", Some("idle_prompt")), Some(Idle));
        assert_eq!(
            state_of("Notification", Some("elicitation_response")),
            Some(Working)
        );
        assert_eq!(state_of("Notification", Some("auth_success")), None);
        assert_eq!(notification_state("auth_success"), Some(None));
        assert_eq!(notification_state("new_kind"), None);
        assert_eq!(state_of("Notification", None), None);
        assert_eq!(state_of("Stop", None), Some(Idle));
        assert_eq!(state_of("StopFailure", None), Some(Error));
        assert_eq!(state_of("SessionEnd", None), Some(Exited));
        assert_eq!(state_of("WorktreeCreate", None), None);
    }

    #[test]
    fn launch_arguments_carry_id_name_hooks_then_the_users() {
        let exe = Path::new("/opt/my tools/sessions");
        let start = Start::New {
            session_id: "id-1".into(),
            name: "x".into(),
        };
        let here = Path::new("/");
        let args = arguments(&start, exe, &[], &["-p".into(), "hi".into()], here).unwrap();
        assert_eq!(args[..4], ["--session-id", "id-1", "-n", "x"]);
        assert_eq!(args[4], "--settings");
        assert_eq!(args[6..], ["-p", "hi"]);
        let settings: Value = serde_json::from_str(&args[5]).unwrap();
        let stop = &settings["hooks"]["Stop"][0]["hooks"][0];
        assert_eq!(stop["type"], "command");
        assert_eq!(stop["command"], "'/opt/my tools/sessions' hook Stop");
        assert!(is_our_hook(stop["command"].as_str().unwrap(), "Stop"));
        assert!(!is_our_hook(
            "'/opt/my tools/sessions' hook Stop",
            "StopFailure"
        ));
        assert!(!is_our_hook("/bin/notify hook Stop", "Stop"));
        assert_eq!(
            settings["hooks"].as_object().unwrap().len(),
            STATE_EVENTS.len()
        );

        let resume = Start::Resume {
            session_id: "id-2".into(),
        };
        let args = arguments(&resume, exe, &[], &[], here).unwrap();
        assert_eq!(args[..2], ["--resume", "id-2"]);
        let args = arguments(&Start::Continue, exe, &[], &[], here).unwrap();
        assert_eq!(args[0], "--continue");
    }

    #[test]
    fn only_claude_is_claude() {
        assert!(is_claude("claude"));
        assert!(is_claude("/usr/local/bin/claude"));
        assert!(!is_claude("codex"));
        assert!(!is_claude("claude-wrapper"));
    }
}
