use anyhow::{Context, Result};

use crate::claude::{self, Scope, SettingsEdit};
use crate::cli::{ClaudeCommand, ClaudeScopeArgs};
use crate::output::tilde;
use crate::session::Workspace;

pub fn run(command: ClaudeCommand) -> Result<()> {
    let (file, change) = match command {
        ClaudeCommand::Install(args) => {
            let file = scope(&args.scope)?.file()?;
            let exe = std::env::current_exe().context("cannot tell where sessions is installed")?;
            let change = claude::install(&file, &exe, args.worktree, args.statusline)?;
            (file, change)
        }
        ClaudeCommand::Uninstall(args) => {
            let file = scope(&args)?.file()?;
            let change = claude::uninstall(&file)?;
            (file, change)
        }
    };
    match change {
        SettingsEdit::Unchanged => {
            eprintln!("{} already is as asked; nothing changed", tilde(&file))
        }
        SettingsEdit::Written { backup } => {
            let backup = backup
                .map(|b| format!(" (the previous version is in {})", tilde(&b)))
                .unwrap_or_default();
            eprintln!("Updated {}{backup}", tilde(&file));
        }
    }
    Ok(())
}

fn scope(args: &ClaudeScopeArgs) -> Result<Scope> {
    if args.project {
        let ws = Workspace::discover(super::TERMINAL)?;
        let cwd = std::env::current_dir()?.canonicalize()?;
        let top = ws
            .repo
            .worktrees()?
            .into_iter()
            .map(|w| w.path)
            .filter(|p| cwd.starts_with(p))
            .max_by_key(|p| p.as_os_str().len())
            .unwrap_or_else(|| ws.repo.home_dir().to_path_buf());
        return Ok(Scope::Project(top));
    }
    Ok(Scope::User)
}
