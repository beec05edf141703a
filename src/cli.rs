//! The command line: every clap type, and nothing else.

use clap::{Args, Parser, Subcommand};

/// Parallel Claude Code sessions on one repository, each in its own git
/// worktree and branch.
#[derive(Debug, Parser)]
#[command(name = "sessions", version, propagate_version = true)]
#[command(
    after_help = "Exit codes: 0 success, 1 error, 2 invalid usage or input, 3 refused to protect work."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a session: a branch and a worktree for it
    New(NewArgs),
    /// List the sessions of this repository
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Print the absolute path of a session's worktree
    Path(PathArgs),
    /// Remove sessions: worktree, registry entry, and the branch once merged
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Session name; also the branch and folder name. Generated when omitted
    pub name: Option<String>,
    /// Branch or commit to start from [default: origin/HEAD, else the main worktree's branch]
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Branch to create or reuse [default: NAME]
    #[arg(long)]
    pub branch: Option<String>,
    /// Do not start an agent in the new worktree
    #[arg(long)]
    pub no_agent: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PathArgs {
    /// Session name
    pub name: String,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Sessions to remove
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Remove even with uncommitted changes or commits that exist nowhere else
    #[arg(long, short)]
    pub force: bool,
    /// Keep the branch, even when it is merged
    #[arg(long)]
    pub keep_branch: bool,
}
