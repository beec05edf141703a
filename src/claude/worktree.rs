//! Worktrees Claude Code makes itself with `claude -w NAME`: where it puts
//! them and how it locks them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::process;

/// A lock Claude Code put on a worktree it works in: `claude -w` and
/// background sessions (`claude --bg`) lock theirs `claude session NAME`,
/// subagents theirs `claude agent ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    /// The session's name (or the subagent's id).
    pub session: String,
    pub pid: u32,
    /// The pid's start time (`/proc/<pid>/stat` field 22), when Claude
    /// wrote one: a later process given the same pid does not hold it.
    pub start: Option<u64>,
}

impl Lock {
    /// Whether the Claude process that wrote the lock still runs.
    pub fn is_held(&self) -> bool {
        match (self.start, process::start_of(self.pid)) {
            (Some(written), Some(now)) => written == now,
            // No start to compare (none written, or none readable here).
            _ => process::is_alive(self.pid),
        }
    }
}

/// Parses the lock reason Claude Code 2.1.248+ writes:
/// `claude session|agent <name> (pid <N> start <S>)`, or without the
/// start when it could not read it.
pub fn parse_lock(reason: &str) -> Option<Lock> {
    let rest = reason.trim().strip_prefix("claude ")?;
    let rest = rest
        .strip_prefix("session ")
        .or_else(|| rest.strip_prefix("agent "))?;
    let open = rest.rfind(" (pid ")?;
    let session = rest[..open].to_string();
    let inner = rest[open + " (pid ".len()..].strip_suffix(')')?;
    let mut words = inner.split_whitespace();
    let pid = words.next()?.parse().ok()?;
    let start = match (words.next(), words.next(), words.next()) {
        (None, _, _) => None,
        (Some("start"), Some(start), None) => Some(start.parse().ok()?),
        _ => return None,
    };
    Some(Lock {
        session,
        pid,
        start,
    })
}

/// The worktree a conversation resumed from TRANSCRIPT moves into: a
/// `claude -w` conversation records its worktree (`worktree-state` entries,
/// the last one standing; `null` after leaving it), and `claude --resume`
/// typed anywhere goes back there (measured with 2.1.332). `None` when it
/// stays where it is resumed.
pub fn resumes_into(transcript: &Path) -> Option<PathBuf> {
    let file = std::fs::File::open(transcript).ok()?;
    let mut last = None;
    for line in BufReader::new(file).lines() {
        let Ok(line) = line else { break };
        // Most lines are messages: only parse the few that can match.
        if line.contains("\"worktree-state\"")
            && let Ok(entry) = serde_json::from_str::<Value>(&line)
            && entry["type"] == "worktree-state"
        {
            last = Some(
                entry["worktreeSession"]["worktreePath"]
                    .as_str()
                    .map(PathBuf::from),
            );
        }
    }
    last.flatten()
}

/// Whether PATH is where `claude -w` puts worktrees of the repository whose
/// main worktree is HOME: `<HOME>/.claude/worktrees/<NAME>`.
pub fn is_claude_worktree(home: &Path, path: &Path) -> bool {
    path.parent() == Some(home.join(".claude").join("worktrees").as_path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_claude_lock_reasons() {
        assert_eq!(
            parse_lock("claude session fix login (pid 4242 start 123456)"),
            Some(Lock {
                session: "fix login".into(),
                pid: 4242,
                start: Some(123456),
            })
        );
        assert_eq!(
            parse_lock("claude agent a1b2 (pid 7)"),
            Some(Lock {
                session: "a1b2".into(),
                pid: 7,
                start: None,
            })
        );
        assert_eq!(parse_lock("claude session x (pid nope start 1)"), None);
        assert_eq!(parse_lock("claude session x (pid 1 start soon)"), None);
        assert_eq!(parse_lock("claude other x (pid 1)"), None);
        assert_eq!(parse_lock("moved to a USB disk"), None);
        assert_eq!(parse_lock(""), None);
    }

    #[test]
    fn a_lock_is_held_only_by_the_process_that_wrote_it() {
        let pid = std::process::id();
        let start = process::start_of(pid);
        let ours = Lock {
            session: "x".into(),
            pid,
            start,
        };
        assert!(ours.is_held());
        if let Some(start) = start {
            let reused = Lock {
                start: Some(start + 1),
                ..ours
            };
            assert!(!reused.is_held());
        }
    }

    #[test]
    fn finds_the_worktree_a_conversation_goes_back_to() {
        let dir = tempfile::tempdir().unwrap();
        let transcript = dir.path().join("t.jsonl");
        let state = |path: &str| {
            format!(r#"{{"type":"worktree-state","worktreeSession":{path},"sessionId":"s"}}"#)
        };
        let message = r#"{"type":"user","message":{"content":"worktree-state"}}"#;
        let write = |lines: &[&str]| std::fs::write(&transcript, lines.join("\n")).unwrap();
        write(&[
            message,
            &state(r#"{"worktreePath":"/r.sessions/x"}"#),
            message,
        ]);
        assert_eq!(
            resumes_into(&transcript),
            Some(PathBuf::from("/r.sessions/x"))
        );
        write(&[
            &state(r#"{"worktreePath":"/r.sessions/x"}"#),
            &state("null"),
        ]);
        assert_eq!(resumes_into(&transcript), None);
        write(&[message]);
        assert_eq!(resumes_into(&transcript), None);
        assert_eq!(resumes_into(&dir.path().join("none.jsonl")), None);
    }

    #[test]
    fn knows_claude_worktree_folders() {
        let home = Path::new("/r");
        assert!(is_claude_worktree(
            home,
            Path::new("/r/.claude/worktrees/x")
        ));
        assert!(!is_claude_worktree(home, Path::new("/r.sessions/x")));
    }
}
