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
        Hooked::Failed { error, exit } => {
            eprintln!("sessions hook {event}: {error:#}");
            exit
        }
    };
    super::exit_with(code)
}
