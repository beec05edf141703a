//! What `--json` prints: types of its own, mapped from the domain's, so that
//! the registry file and the domain can change without breaking scripts.
//! Every document is an object with `version`; within a version fields are
//! only added, and removing or changing one bumps it. The README's "JSON
//! output" lists every field, and tests/cli/json.rs holds the two together.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::Timestamp;
use serde::Serialize;

use crate::config::{self, Config, LandMethod};
use crate::registry;
use crate::session::size::Size;
use crate::session::{self, Details, Kind, Radar, Report, Summary};

mod disk;
pub use disk::Du;
use disk::SizeJson;

/// The schema version every document carries.
const VERSION: u32 = 1;

/// `watch --json`: one line per change of one session.
#[derive(Serialize)]
pub struct WatchLine {
    version: u32,
    /// When the change was seen.
    at: Timestamp,
    /// `added`, `changed` or `removed`.
    change: &'static str,
    attention: &'static str,
    warnings: Vec<String>,
    session: Session,
}

impl WatchLine {
    pub fn new(row: &crate::session::watch::Row, change: &'static str, at: Timestamp) -> WatchLine {
        let mut session = Session::from(&row.summary);
        session.repo = Some(row.repo.clone()).filter(|r| !r.is_empty());
        WatchLine {
            version: VERSION,
            at,
            change,
            attention: row.attention(at).as_str(),
            warnings: row.warnings.clone(),
            session,
        }
    }
}

/// `list --json`.
#[derive(Serialize)]
pub struct List {
    version: u32,
    sessions: Vec<Session>,
}

impl List {
    pub fn new(sessions: &[Summary]) -> List {
        List {
            version: VERSION,
            sessions: sessions.iter().map(Session::from).collect(),
        }
    }

    /// `list --size --json`: each session with its size (`None`: its folder is gone).
    pub fn with_sizes(mut self, sizes: &[Option<Size>]) -> List {
        for (session, size) in self.sessions.iter_mut().zip(sizes) {
            session.size = size.as_ref().map(SizeJson::from);
        }
        self
    }

    /// `list --all --json`: each session with its repository's short name.
    pub fn with_repos(sessions: &[Summary], repos: &[String]) -> List {
        let mut list = List::new(sessions);
        for (session, repo) in list.sessions.iter_mut().zip(repos) {
            session.repo = Some(repo.clone());
        }
        list
    }
}

/// `show NAME --json`.
#[derive(Serialize)]
pub struct Show {
    version: u32,
    session: Shown,
}

impl Show {
    pub fn new(details: &Details, size: Option<&Size>) -> Show {
        let mut session = Session::from(&details.summary);
        session.size = size.map(SizeJson::from);
        Show {
            version: VERSION,
            session: Shown {
                session,
                started_from: details.started_from.as_ref().map(Commit::from),
                commits: details.commits.iter().map(Commit::from).collect(),
                files: details.files.iter().map(FileStat::from).collect(),
                uncommitted: details
                    .uncommitted
                    .iter()
                    .map(|c| Uncommitted {
                        path: c.path.clone(),
                        kind: c.kind,
                    })
                    .collect(),
                earlier_conversations: details
                    .earlier_conversations
                    .iter()
                    .map(Conversation::from)
                    .collect(),
            },
        }
    }
}

/// `conflicts --json`.
#[derive(Serialize)]
pub struct Conflicts {
    version: u32,
    pairs: Vec<Pair>,
    in_progress: Vec<Stopped>,
}

impl Conflicts {
    pub fn new(radar: &Radar) -> Conflicts {
        Conflicts {
            version: VERSION,
            in_progress: radar
                .in_progress
                .iter()
                .map(|s| Stopped {
                    name: s.name.clone(),
                    path: s.path.clone(),
                    operation: s.operation.word(),
                    conflicts: s.conflicts.clone(),
                })
                .collect(),
            pairs: radar
                .pairs
                .iter()
                .map(|p| Pair {
                    a: p.a.clone(),
                    b: p.b.clone(),
                    conflicts: p.conflicts.clone(),
                    overlaps: p.overlaps.clone(),
                })
                .collect(),
        }
    }
}

/// `doctor --json`: the report is the document.
#[derive(Serialize)]
pub struct Doctor {
    version: u32,
    healthy: bool,
    findings: Vec<Finding>,
    fixed: Vec<Fixed>,
    failed: Vec<String>,
}

impl Doctor {
    pub fn new(report: &Report) -> Doctor {
        Doctor {
            version: VERSION,
            healthy: report.healthy(),
            findings: report
                .findings
                .iter()
                .map(|f| Finding {
                    kind: kind_name(f.kind),
                    problem: f.problem.clone(),
                    fix: f.fix.clone(),
                    fixable: f.fixable,
                })
                .collect(),
            fixed: report
                .fixed
                .iter()
                .map(|f| Fixed {
                    problem: f.problem.clone(),
                    done: f.done.clone(),
                })
                .collect(),
            failed: report.failed.clone(),
        }
    }
}

/// `config --json`.
#[derive(Serialize)]
pub struct Settings {
    version: u32,
    settings: Effective,
}

impl Settings {
    pub fn new(c: &Config) -> Settings {
        Settings {
            version: VERSION,
            settings: Effective {
                worktree_dir: Setting::of(&c.worktree_dir, String::clone),
                branch_prefix: Setting::of(&c.branch_prefix, String::clone),
                base: Setting::of(&c.base, Option::clone),
                agent_command: Setting::of(&c.agent_command, String::clone),
                agent_args: Setting::of(&c.agent_args, Vec::clone),
                profiles: c
                    .profiles
                    .iter()
                    .map(|(name, p)| {
                        let profile = |p: &config::Profile| Profile {
                            command: p.command.clone(),
                            args: p.args.clone(),
                        };
                        (name.clone(), Setting::of(p, profile))
                    })
                    .collect(),
                copy: Setting::of(&c.copy, Vec::clone),
                setup: Setting::of(&c.setup, Vec::clone),
                teardown: Setting::of(&c.teardown, Vec::clone),
                artifacts: Setting::of(&c.artifacts, Vec::clone),
                max_sessions: Setting::of(&c.max_sessions, |m| *m),
                port_base: Setting::of(&c.port_base, |p| *p),
                ports: Setting::of(&c.ports, |p| *p),
                stale_after: Setting::of(&c.stale_after, Option::clone),
                submodules: Setting::of(&c.submodules, |s| *s),
                sparse: Setting::of(&c.sparse, Vec::clone),
                env: c
                    .env
                    .iter()
                    .map(|(name, value)| (name.clone(), Setting::of(value, String::clone)))
                    .collect(),
                agent_tmux: Setting::of(&c.agent_tmux, |t| *t),
                land_method: Setting::of(&c.land_method, |m| method_name(*m)),
                land_check: Setting::of(&c.land_check, Vec::clone),
                land_push: Setting::of(&c.land_push, |p| *p),
                sync_fetch: Setting::of(&c.sync_fetch, |f| *f),
                notify_on: Setting::of(&c.notify_on, Vec::clone),
                notify_idle_after: Setting::of(&c.notify_idle_after, String::clone),
                notify_command: Setting::of(&c.notify_command, Option::clone),
                notify_desktop: Setting::of(&c.notify_desktop, |d| *d),
            },
        }
    }
}

/// A session as `list` shows it.
#[derive(Serialize)]
struct Session {
    name: String,
    branch: String,
    path: PathBuf,
    base: String,
    base_commit: String,
    created_at: Timestamp,
    owns_branch: bool,
    port: Option<u16>,
    agent: Option<Agent>,
    head: Option<String>,
    missing: bool,
    changes: usize,
    modified: usize,
    untracked: usize,
    ahead: usize,
    behind: usize,
    merged: bool,
    landed_in: Option<String>,
    empty: bool,
    locked: Option<String>,
    operation: Option<&'static str>,
    last_commit_at: Option<Timestamp>,
    stale: bool,
    sparse: bool,
    /// Set while the session is archived.
    archived: Option<ArchivedJson>,
    /// The repository's short name in `list --all`.
    repo: Option<String>,
    /// With `list --size`, and in `show`.
    size: Option<SizeJson>,
}

impl From<&Summary> for Session {
    fn from(s: &Summary) -> Session {
        let e = &s.entry;
        Session {
            name: e.name.clone(),
            branch: e.branch.clone(),
            path: e.path.clone(),
            base: e.base.clone(),
            base_commit: e.base_commit.clone(),
            created_at: e.created_at,
            owns_branch: e.owns_branch,
            port: e.port,
            agent: e.agent.as_ref().map(Agent::from),
            head: s.head.clone(),
            missing: s.missing,
            changes: s.changes,
            modified: s.modified,
            untracked: s.untracked,
            ahead: s.ahead,
            behind: s.behind,
            merged: s.merged,
            landed_in: s.landed.as_ref().map(|l| l.branch.clone()),
            empty: s.empty,
            locked: s.locked.clone(),
            operation: s.operation.map(|o| o.word()),
            last_commit_at: s.last_commit_at,
            stale: s.stale,
            sparse: s.sparse,
            archived: e.archived.as_ref().map(|a| ArchivedJson {
                commit: a.commit.clone(),
                archived_at: a.at,
                saved_ref: crate::git::archive_ref(&e.name),
            }),
            repo: None,
            size: None,
        }
    }
}

/// An archived session's saved work.
#[derive(Serialize)]
struct ArchivedJson {
    commit: String,
    archived_at: Timestamp,
    saved_ref: String,
}

#[derive(Serialize)]
struct Agent {
    kind: String,
    session_id: Option<String>,
    state: Option<&'static str>,
    source: Option<&'static str>,
    waiting_for: Option<String>,
    pid: Option<u32>,
    updated_at: Option<Timestamp>,
    transcript_path: Option<PathBuf>,
    earlier_session_ids: Vec<String>,
    unknown_notification: Option<String>,
}

impl From<&registry::Agent> for Agent {
    fn from(a: &registry::Agent) -> Agent {
        Agent {
            kind: a.kind.clone(),
            session_id: a.session_id.clone(),
            state: a.state.map(registry::AgentState::as_str),
            source: a.source.map(registry::StateSource::as_str),
            waiting_for: a.waiting_for.clone(),
            pid: a.pid,
            updated_at: a.updated_at,
            transcript_path: a.transcript_path.clone(),
            earlier_session_ids: a.earlier_session_ids.clone(),
            unknown_notification: a.unknown_notification.clone(),
        }
    }
}

/// A session as `show` shows it: as `list` does, and more.
#[derive(Serialize)]
struct Shown {
    // Both halves are this module's own types: the document is one object.
    #[serde(flatten)]
    session: Session,
    started_from: Option<Commit>,
    commits: Vec<Commit>,
    files: Vec<FileStat>,
    uncommitted: Vec<Uncommitted>,
    earlier_conversations: Vec<Conversation>,
}

/// An earlier Claude conversation of a session (`resume NAME --id`).
#[derive(Serialize)]
struct Conversation {
    session_id: String,
    first_prompt: Option<String>,
    updated_at: Option<Timestamp>,
    transcript_path: Option<PathBuf>,
}

impl From<&session::Conversation> for Conversation {
    fn from(c: &session::Conversation) -> Conversation {
        Conversation {
            session_id: c.session_id.clone(),
            first_prompt: c.first_prompt.clone(),
            updated_at: c.updated_at,
            transcript_path: c.transcript.as_ref().map(|t| t.path.clone()),
        }
    }
}

#[derive(Serialize)]
struct Uncommitted {
    path: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct Commit {
    id: String,
    short_id: String,
    subject: String,
    committed_at: Option<Timestamp>,
}

impl From<&session::Commit> for Commit {
    fn from(c: &session::Commit) -> Commit {
        Commit {
            id: c.id.clone(),
            short_id: c.short_id.clone(),
            subject: c.subject.clone(),
            committed_at: c.committed_at,
        }
    }
}

#[derive(Serialize)]
struct FileStat {
    path: String,
    added: usize,
    deleted: usize,
}

impl From<&session::FileStat> for FileStat {
    fn from(f: &session::FileStat) -> FileStat {
        FileStat {
            path: f.path.clone(),
            added: f.added,
            deleted: f.deleted,
        }
    }
}

#[derive(Serialize)]
struct Pair {
    a: String,
    b: String,
    conflicts: Vec<String>,
    overlaps: Vec<String>,
}

/// A session stopped in the middle of a git operation.
#[derive(Serialize)]
struct Stopped {
    name: String,
    path: PathBuf,
    operation: &'static str,
    conflicts: Vec<String>,
}

#[derive(Serialize)]
struct Finding {
    kind: &'static str,
    problem: String,
    fix: String,
    fixable: bool,
}

#[derive(Serialize)]
struct Fixed {
    problem: String,
    done: String,
}

/// The name scripts match on, fixed here so that renaming a variant
/// cannot change it.
fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::CorruptRegistry => "corrupt_registry",
        Kind::InvalidEntry => "invalid_entry",
        Kind::DuplicateName => "duplicate_name",
        Kind::MissingFolder => "missing_folder",
        Kind::MissingBranch => "missing_branch",
        Kind::MovedRepository => "moved_repository",
        Kind::MovedWorktree => "moved_worktree",
        Kind::UnownedWorktree => "unowned_worktree",
        Kind::SymlinkedWorktree => "symlinked_worktree",
        Kind::HalfMadeWorktree => "half_made_worktree",
        Kind::HalfWrittenAdminEntry => "half_written_admin_entry",
        Kind::InterruptedNew => "interrupted_new",
        Kind::InterruptedRewrite => "interrupted_rewrite",
        Kind::PrunableAdminEntry => "prunable_admin_entry",
        Kind::StaleLock => "stale_lock",
        Kind::StaleTempFile => "stale_temp_file",
        Kind::LeftBranch => "left_branch",
        Kind::DeadAgent => "dead_agent",
        Kind::UnfinishedDeletion => "unfinished_deletion",
        Kind::InterruptedArchive => "interrupted_archive",
    }
}

fn method_name(method: LandMethod) -> &'static str {
    match method {
        LandMethod::Rebase => "rebase",
        LandMethod::Squash => "squash",
        LandMethod::Merge => "merge",
    }
}

/// The effective configuration, in `Config`'s order.
#[derive(Serialize)]
struct Effective {
    worktree_dir: Setting<String>,
    branch_prefix: Setting<String>,
    base: Setting<Option<String>>,
    agent_command: Setting<String>,
    agent_args: Setting<Vec<String>>,
    profiles: BTreeMap<String, Setting<Profile>>,
    copy: Setting<Vec<String>>,
    setup: Setting<Vec<String>>,
    teardown: Setting<Vec<String>>,
    artifacts: Setting<Vec<String>>,
    max_sessions: Setting<Option<usize>>,
    port_base: Setting<u16>,
    ports: Setting<u16>,
    stale_after: Setting<Option<String>>,
    submodules: Setting<bool>,
    sparse: Setting<Vec<String>>,
    env: BTreeMap<String, Setting<String>>,
    agent_tmux: Setting<bool>,
    land_method: Setting<&'static str>,
    land_check: Setting<Vec<String>>,
    land_push: Setting<bool>,
    sync_fetch: Setting<bool>,
    notify_on: Setting<Vec<config::NotifyOn>>,
    notify_idle_after: Setting<String>,
    notify_command: Setting<Option<String>>,
    notify_desktop: Setting<bool>,
}

#[derive(Serialize)]
struct Setting<T> {
    value: T,
    source: Source,
}

impl<T> Setting<T> {
    fn of<U>(setting: &config::Setting<U>, value: impl Fn(&U) -> T) -> Setting<T> {
        let (kind, file) = match &setting.source {
            config::Source::Default => ("default", None),
            config::Source::User(file) => ("user", Some(file.clone())),
            config::Source::Project(file) => ("project", Some(file.clone())),
        };
        Setting {
            value: value(&setting.value),
            source: Source { kind, file },
        }
    }
}

#[derive(Serialize)]
struct Source {
    kind: &'static str,
    /// `None` for a default.
    file: Option<PathBuf>,
}

#[derive(Serialize)]
struct Profile {
    command: Option<String>,
    args: Option<Vec<String>>,
}

/// `status --json`.
#[derive(Serialize)]
pub struct Status {
    version: u32,
    working: usize,
    waiting: usize,
    waiting_names: Vec<String>,
    error: usize,
    error_names: Vec<String>,
    idle: usize,
    exited: usize,
    total: usize,
}

impl Status {
    pub fn new(t: &super::status::Tally) -> Status {
        Status {
            version: VERSION,
            working: t.working,
            waiting: t.waiting.len(),
            waiting_names: t.waiting.clone(),
            error: t.error.len(),
            error_names: t.error.clone(),
            idle: t.idle,
            exited: t.exited,
            total: t.total,
        }
    }
}
