//! The command line: every clap type, and nothing else.

use clap::{Args, Parser, Subcommand};
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};

use crate::shell::Shell;

/// Parallel Claude Code sessions on one repository, each in its own git
/// worktree and branch.
#[derive(Debug, Parser)]
#[command(name = "sessions", version, propagate_version = true)]
#[command(
    after_help = "Exit codes: 0 success, 1 error, 2 invalid usage or input, 3 refused to protect work."
)]
pub struct Cli {
    /// Print only data and errors: no progress, no informational messages
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// What to do; `sessions` alone lists the sessions
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a session: a branch and a worktree for it
    New(NewArgs),
    /// List the sessions of this repository
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one session in full: state, commits not in the base, files changed
    Show(ShowArgs),
    /// Print the absolute path of a session's worktree
    Path(PathArgs),
    /// Change the shell's folder to a session's worktree (with `sessions init`)
    Cd(CdArgs),
    /// Open a session's agent again: `claude --resume` with its last session id
    Resume(ResumeArgs),
    /// Switch to the tmux window where a session's agent runs
    Attach(AttachArgs),
    /// Predict conflicts between sessions, and with their base, touching nothing
    Conflicts(ConflictsArgs),
    /// Bring sessions up to date with their base: rebase, or merge with --merge
    Sync(SyncArgs),
    /// Integrate a finished session into its base branch, then remove it
    Land(LandArgs),
    /// Remove sessions: worktree, registry entry, and the branch once merged
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// Free a session's disk, saving its uncommitted work; `restore` brings it back
    Archive(ArchiveArgs),
    /// Bring an archived session back at its path, its uncommitted work as it was
    Restore(RestoreArgs),
    /// Remove every finished session (merged, or its folder gone) that is safe to remove
    Clean(CleanArgs),
    /// Find and repair drift between the registry, git and the file system
    Doctor(DoctorArgs),
    /// Register existing worktrees of this repository as sessions
    Adopt(AdoptArgs),
    /// Run the configured setup commands in a session's worktree again
    Setup(SetupArgs),
    /// Review and approve the commands in the project's .sessions.toml
    Trust(TrustArgs),
    /// Print the effective configuration and where each value comes from
    Config(ConfigArgs),
    /// Print the shell integration for bash, zsh or fish, for the rc file
    Init(InitArgs),
    /// Print a static completion script for a shell
    Completions(CompletionsArgs),
    /// Set up Claude Code sessions started without `sessions new`
    #[command(subcommand)]
    Claude(ClaudeCommand),
    /// Called by Claude Code's hooks: record what the agent is doing
    Hook(HookArgs),
    /// One line for a prompt or tmux's status bar: which agents work, wait, idle
    Status(StatusArgs),
    /// A live view of every session, the ones that need you first
    Watch(WatchArgs),
    /// Print the man page (roff) to stdout
    #[command(hide = true)]
    Man,
    /// Claude Code's status line: the other sessions that wait (`claude install --statusline`)
    #[command(hide = true)]
    Statusline(StatuslineArgs),
    /// Disk usage: each session, the shared object store, what `clean --artifacts` would free
    Du(DuArgs),
    /// Delete a removed worktree from the trash (started by `rm`, in the background)
    #[command(hide = true)]
    EmptyTrash(EmptyTrashArgs),
    /// Give one notification; run detached by the hooks (docs/notify.md)
    #[command(hide = true, name = "notify-send")]
    NotifySend(NotifySendArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Session name; also the branch and folder name. Generated when omitted
    // Hyphens allowed, so that a name like `-x` is refused by name validation
    // with its reason rather than taken for an unknown flag; `--` is the
    // agent's.
    #[arg(allow_hyphen_values = true)]
    pub name: Option<String>,
    /// Branch or commit to start from [default: origin/HEAD, else the main worktree's branch]
    #[arg(long, value_name = "REF", add = ref_names())]
    pub base: Option<String>,
    /// Branch to create or reuse [default: NAME]
    #[arg(long, add = ref_names())]
    pub branch: Option<String>,
    /// Do not start an agent in the new worktree
    #[arg(long, conflicts_with_all = ["agent", "agent_args", "profile"])]
    pub no_agent: bool,
    /// Command line to start instead of Claude Code (`codex`, `aider --model x`...), without Claude's flags
    #[arg(long, value_name = "CMD", conflicts_with = "profile")]
    pub agent: Option<String>,
    /// Start the agent of profile NAME ([agent.profiles.NAME] in the configuration)
    #[arg(long, value_name = "NAME", add = profile_names())]
    pub profile: Option<String>,
    /// Inside tmux, start the agent in a new window named after the session ([agent] tmux)
    #[arg(long, conflicts_with = "no_agent")]
    pub tmux: bool,
    /// Check out only these folders (a cone-mode sparse checkout) [default: `sparse`, else the main worktree's]
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub sparse: Vec<String>,
    /// Arguments for the agent, after `--`: `sessions new x -- -p "fix the bug"`
    #[arg(last = true, value_name = "AGENT_ARGS")]
    pub agent_args: Vec<String>,
}

#[derive(Debug, Default, Args)]
pub struct ListArgs {
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    /// Show every column in full, however wide the terminal
    #[arg(long)]
    pub wide: bool,
    /// Only archived sessions
    #[arg(long)]
    pub archived: bool,
    /// List the sessions of every repository sessions knows, from anywhere
    #[arg(long)]
    pub all: bool,
    /// Show each session's size on disk (walks every worktree; cached)
    #[arg(long, conflicts_with = "all")]
    pub size: bool,
}

#[derive(Debug, Args)]
pub struct DuArgs {
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EmptyTrashArgs {
    pub entry: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Count the sessions of every repository sessions knows [default outside a repository]
    #[arg(long)]
    pub all: bool,
    /// The line, with {working} {waiting} {waiting_names} {error} {error_names} {idle} {exited} {total}
    #[arg(long, value_name = "TEXT", conflicts_with = "json")]
    pub format: Option<String>,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Watch the sessions of every repository sessions knows
    #[arg(long)]
    pub all: bool,
    /// Print one JSON line per change instead of the live view [default without a terminal]
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PathArgs {
    /// Session name
    #[arg(add = session_names())]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// Session to archive [default: the one the current folder is in, else picked on a terminal]
    #[arg(add = session_names())]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Archived session to bring back
    #[arg(add = session_names())]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Sessions to remove [default: the one the current folder is in, else picked on a terminal]
    #[arg(value_name = "NAME", add = session_names())]
    pub names: Vec<String>,
    /// Remove even with uncommitted changes, a lock, or commits that exist nowhere else (never past a live process)
    #[arg(long, short)]
    pub force: bool,
    /// Keep the branch, even when it is merged
    #[arg(long)]
    pub keep_branch: bool,
}

#[derive(Debug, Args)]
pub struct CdArgs {
    /// Session name, or REPO/NAME from anywhere [default: the one the current folder is in, else picked on a terminal]
    #[arg(add = sessions_anywhere())]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Session name
    #[arg(add = session_names())]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Approve without asking (for scripts that already reviewed the file)
    #[arg(long, short)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
    /// Show every value in full, however wide the terminal
    #[arg(long)]
    pub wide: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 no conflict predicted, 1 a conflict predicted (or an error), 2 invalid usage or input."
)]
pub struct ConflictsArgs {
    /// Only the pairs involving these sessions [default: every pair]
    #[arg(add = session_names())]
    pub names: Vec<String>,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Sessions to sync [default: the one the current folder is in]
    #[arg(value_name = "NAME", conflicts_with = "all", add = session_names())]
    pub names: Vec<String>,
    /// Sync every session
    #[arg(long)]
    pub all: bool,
    /// Merge the base in instead of rebasing onto it
    #[arg(long)]
    pub merge: bool,
    /// Fetch the base's remote first [default: config sync.fetch]
    #[arg(long, overrides_with = "no_fetch")]
    pub fetch: bool,
    /// Do not fetch, whatever sync.fetch says
    #[arg(long, overrides_with = "fetch")]
    pub no_fetch: bool,
}

#[derive(Debug, Args)]
pub struct LandArgs {
    /// Session to land [default: the one the current folder is in]
    #[arg(add = session_names())]
    pub name: Option<String>,
    /// Land as one new commit on the base
    #[arg(long, group = "method")]
    pub squash: bool,
    /// Rebase the session onto its base, then fast-forward [default, or config land.method]
    #[arg(long, group = "method")]
    pub rebase: bool,
    /// Land with a merge commit when it cannot fast-forward
    #[arg(long, group = "method")]
    pub merge: bool,
    /// Keep the session (worktree and branch) after landing
    #[arg(long)]
    pub keep: bool,
    /// Command to run in the session's worktree first; repeatable [default: config land.check]
    #[arg(long, value_name = "CMD")]
    pub check: Vec<String>,
    /// Message of the squash or merge commit [default: from the session's commits]
    #[arg(short, long, value_name = "MSG")]
    pub message: Option<String>,
}

/// Live session names for dynamic completion; nothing when there is no
/// repository or registry to read, since completion must never fail loudly.
fn session_names() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let Ok(cwd) = std::env::current_dir() else {
            return Vec::new();
        };
        let Ok(repo) = crate::git::Repo::discover(&cwd) else {
            return Vec::new();
        };
        crate::registry::Registry::new(repo.common_dir())
            .read()
            .unwrap_or_default()
            .into_iter()
            .map(|e| CompletionCandidate::new(e.name).help(Some(e.branch.into())))
            .collect()
    })
}

/// The current repository's session names, then `REPO/NAME` for those of
/// every other repository in the index (`list --all`), for the commands
/// that take either from anywhere.
fn sessions_anywhere() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let here = std::env::current_dir()
            .ok()
            .and_then(|cwd| crate::git::Repo::discover(&cwd).ok())
            .map(|repo| repo.common_dir().to_path_buf());
        let mut candidates = session_names().candidates();
        for known in crate::index::existing() {
            if here.as_deref() == Some(known.git_dir.as_path()) {
                continue;
            }
            let entries = crate::registry::Registry::new(&known.git_dir)
                .read()
                .unwrap_or_default();
            candidates.extend(entries.into_iter().map(|e| {
                CompletionCandidate::new(format!("{}/{}", known.short, e.name))
                    .help(Some(e.branch.into()))
            }));
        }
        candidates
    })
}

/// The repository's branches and tags for dynamic completion, each with
/// what it is; nothing outside a repository.
fn ref_names() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let Ok(cwd) = std::env::current_dir() else {
            return Vec::new();
        };
        let Ok(repo) = crate::git::Repo::discover(&cwd) else {
            return Vec::new();
        };
        repo.ref_names()
            .unwrap_or_default()
            .into_iter()
            .map(|(name, kind)| CompletionCandidate::new(name).help(Some(kind.into())))
            .collect()
    })
}

/// The sessions' Claude conversation ids for dynamic completion, each with
/// its session and first prompt: only the named session's when the line
/// names one (the completer is not told the other arguments, but they are
/// on its command line).
fn conversation_ids() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let Ok(cwd) = std::env::current_dir() else {
            return Vec::new();
        };
        let Ok(repo) = crate::git::Repo::discover(&cwd) else {
            return Vec::new();
        };
        let entries = crate::registry::Registry::new(repo.common_dir())
            .read()
            .unwrap_or_default();
        let words: Vec<String> = std::env::args().skip(1).collect();
        let named: Vec<_> = entries.iter().filter(|e| words.contains(&e.name)).collect();
        let chosen = if named.is_empty() {
            entries.iter().collect()
        } else {
            named
        };
        chosen
            .into_iter()
            .flat_map(|entry| {
                crate::session::conversations(entry)
                    .into_iter()
                    .map(move |c| {
                        let about = c.first_prompt.unwrap_or_default();
                        let about = crate::output::printable(&about);
                        let about = crate::output::cut(&about, 60, crate::output::Keep::Start);
                        let help = format!("{}: {about}", entry.name);
                        CompletionCandidate::new(c.session_id).help(Some(help.into()))
                    })
            })
            .collect()
    })
}

/// The configured agent profiles for dynamic completion.
fn profile_names() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let repo = std::env::current_dir()
            .ok()
            .and_then(|cwd| crate::git::Repo::discover(&cwd).ok());
        let root = repo.as_ref().and_then(|r| r.main_worktree());
        crate::config::Config::load(root)
            .map(|c| {
                c.profiles
                    .into_keys()
                    .map(CompletionCandidate::new)
                    .collect()
            })
            .unwrap_or_default()
    })
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Session name, or REPO/NAME from anywhere [default: the one the current folder is in, else picked on a terminal]
    #[arg(add = sessions_anywhere())]
    pub name: Option<String>,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Print the plan and change nothing
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Also remove stale sessions (`stale_after`) that are safe to remove
    #[arg(long)]
    pub stale: bool,
    /// With --stale: archive the stale sessions that hold unmerged commits or uncommitted work
    #[arg(long, requires = "stale")]
    pub archive: bool,
    /// Do not ask; required when stdin is not a terminal
    #[arg(long, short)]
    pub yes: bool,
    /// Instead of sessions, delete re-creatable ignored folders (`artifacts`) of idle sessions
    #[arg(long, conflicts_with = "stale")]
    pub artifacts: bool,
    /// With --artifacts: only folders unchanged for this long (30m, 12h, 7d, 2w)
    #[arg(long, value_name = "AGE", requires = "artifacts", value_parser = parse_age)]
    pub older_than: Option<std::time::Duration>,
}

/// `30m`, `12h`, `7d`, `2w`: an age for `--older-than`.
fn parse_age(text: &str) -> Result<std::time::Duration, String> {
    crate::config::parse_duration(text)
        .ok_or_else(|| format!("`{text}` is not an age like 30m, 12h, 7d or 2w"))
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Repair what is safe to repair
    #[arg(long)]
    pub fix: bool,
    /// Print JSON for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// Worktree folders to adopt
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub paths: Vec<std::path::PathBuf>,
    /// Adopt every worktree of this repository that no session owns
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// Session name, or REPO/NAME from anywhere [default: the one the current folder is in, else picked on a terminal]
    #[arg(add = sessions_anywhere())]
    pub name: Option<String>,
    /// Resume with the agent of profile NAME ([agent.profiles.NAME]) instead of the one it ran
    #[arg(long, value_name = "NAME", add = profile_names())]
    pub profile: Option<String>,
    /// Open this earlier Claude conversation of the session (`sessions show` lists them)
    #[arg(long, value_name = "ID", add = conversation_ids())]
    pub id: Option<String>,
    /// Start the agent even while one of the session's still runs
    #[arg(long)]
    pub force: bool,
    /// Restart, each in its own tmux window, every agent that was running when the machine stopped, in every repository sessions knows
    #[arg(long, conflicts_with_all = ["name", "profile", "id", "force", "agent", "agent_args"])]
    pub all: bool,
    /// The agent's command line, as `new --agent` gave it (`new --tmux` passes it on)
    #[arg(long, value_name = "CMD", hide = true, conflicts_with = "profile")]
    pub agent: Option<String>,
    /// Arguments for the agent, after `--`
    #[arg(last = true, value_name = "AGENT_ARGS")]
    pub agent_args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Session name, or REPO/NAME from anywhere [default: the one the current folder is in, else picked on a terminal]
    #[arg(add = sessions_anywhere())]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatuslineArgs {
    /// The status line command the user had before, run first and kept on the line
    #[arg(long, value_name = "COMMAND")]
    pub theirs: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ClaudeCommand {
    /// Add the hooks that report agent state to Claude Code's settings
    Install(ClaudeInstallArgs),
    /// Take out again what `install` added: the hooks, and the status line (yours comes back)
    Uninstall(ClaudeScopeArgs),
}

#[derive(Debug, Args)]
pub struct ClaudeScopeArgs {
    /// In ~/.claude/settings.json (or $CLAUDE_CONFIG_DIR), for every project [default]
    #[arg(long, conflicts_with = "project")]
    pub user: bool,
    /// In this worktree's .claude/settings.local.json
    #[arg(long)]
    pub project: bool,
}

#[derive(Debug, Args)]
pub struct ClaudeInstallArgs {
    #[command(flatten)]
    pub scope: ClaudeScopeArgs,
    /// Also make plain `claude -w NAME` create and remove its worktree through sessions
    #[arg(long)]
    pub worktree: bool,
    /// Also show the other sessions that wait in Claude's status line, after any you have
    #[arg(long)]
    pub statusline: bool,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// The hook event (SessionStart, Stop, WorktreeCreate...)
    pub event: String,
}

#[derive(Debug, Args)]
pub struct NotifySendArgs {
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub repo: String,
    #[arg(long)]
    pub state: String,
    #[arg(long, allow_hyphen_values = true)]
    pub message: String,
    #[arg(long)]
    pub path: std::path::PathBuf,
    /// Also show a desktop notification.
    #[arg(long)]
    pub desktop: bool,
    /// The shell command to run, placeholders unfilled.
    #[arg(long, allow_hyphen_values = true)]
    pub command: Option<String>,
}
