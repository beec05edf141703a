use anyhow::Result;

use crate::claude::HookInput;
use crate::cli::HookArgs;
use crate::session::{self, Hooked};

/// Runs hook EVENT on its JSON input from stdin and prints what it came to;
/// WorktreeCreate's path on stdout is Claude Code's protocol.
pub fn run(args: HookArgs) -> Result<()> {
    let event = &args.event;
    let code = match session::run_hook(event, HookInput::read(), super::ui::HOOK) {
        Hooked::Worktree(path) => {
            eprintln!("sessions: worktree {}", path.display());
            println!("{}", path.display());
            0
        }
        Hooked::Removed(name) => {
            eprintln!("sessions: removed session '{name}'");
            0
        }
        Hooked::Done => 0,
        Hooked::Outside {
            name,
            worktree,
            dir,
        } => {
            let (worktree, dir) = (worktree.display(), dir.display());
            eprintln!(
                "sessions: this is session '{name}', whose worktree is {worktree}, but Claude runs in {dir}: edits land there; `sessions resume {name}` opens it in its worktree"
            );
            // What SessionStart prints as additionalContext, Claude reads.
            let context = format!(
                "This conversation belongs to the `sessions` session '{name}', whose git worktree is {worktree}. \
                 It was resumed in {dir}, outside that worktree: files edited here change {dir}, not the session's branch. \
                 Before changing anything, tell the user, and suggest quitting and running `sessions resume {name}` to continue in the worktree."
            );
            let output = serde_json::json!({
                "hookSpecificOutput": {
                    "hookEventName": "SessionStart",
                    "additionalContext": context,
                }
            });
            println!("{output}");
            0
        }
        Hooked::Failed { error, exit } => {
            eprintln!("sessions hook {event}: {error:#}");
            exit
        }
    };
    super::exit_with(code)
}
