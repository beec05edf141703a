//! Worktrees Claude Code makes itself with `claude -w NAME`: where it puts
//! them and how it locks them.

use std::path::Path;

/// A lock Claude Code put on a worktree it works in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    pub session: String,
    pub pid: u32,
}

/// Parses a lock reason `claude session <name> (pid <N> start <S>)`.
pub fn parse_lock(reason: &str) -> Option<Lock> {
    let rest = reason.trim().strip_prefix("claude session ")?;
    let open = rest.rfind(" (pid ")?;
    let session = rest[..open].to_string();
    let inner = rest[open + " (pid ".len()..].strip_suffix(')')?;
    let pid = inner.split_whitespace().next()?.parse().ok()?;
    Some(Lock { session, pid })
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
                pid: 4242
            })
        );
        assert_eq!(parse_lock("claude session x (pid nope start 1)"), None);
        assert_eq!(parse_lock("moved to a USB disk"), None);
        assert_eq!(parse_lock(""), None);
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
