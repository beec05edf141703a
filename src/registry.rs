//! The registry: which sessions exist, which branch and folder each owns, and
//! their history. A TOML file in the repository's common git dir, changed only
//! under an exclusive lock and written atomically.

use std::fs::{self, File};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::Failure;

mod lock;
mod salvage;
mod source;
pub use lock::{LockWait, announce_lock_waits, lock_file};
use lock::{announced, claim, open_lock, wait_for_lock};
pub use salvage::Salvaged;
pub use source::StateSource;

const VERSION: u32 = 1;
const DIR: &str = "sessions";
const FILE: &str = "registry.toml";
const LOCK: &str = "registry.lock";

/// One session as the registry records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub branch: String,
    pub path: PathBuf,
    /// The ref the session branched from, as given (`main`, `origin/main`...).
    pub base: String,
    /// The commit `base` pointed at when the session was created.
    pub base_commit: String,
    pub created_at: Timestamp,
    /// Whether the session created its branch; a branch it did not create is
    /// never deleted.
    pub owns_branch: bool,
    /// The session's port (`SESSIONS_PORT`); absent in entries written
    /// before ports existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// How many consecutive ports from `port` the session holds (`ports`
    /// when it was made); absent means one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_count: Option<u16>,
    /// The agent working in the session, as launches and hooks last saw it.
    #[serde(default)]
    pub agent: Option<Agent>,
    /// Set while the session is archived (`sessions archive`): its worktree
    /// is gone on purpose and its uncommitted work is saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<Archived>,
}

/// An archived session's saved work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Archived {
    /// The commit saved at `refs/sessions/archive/NAME`; `doctor` puts the
    /// ref back from it should the ref go.
    pub commit: String,
    pub at: Timestamp,
}

impl Entry {
    pub fn is_archived(&self) -> bool {
        self.archived.is_some()
    }
}

/// An agent (Claude Code or another program) working in a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    /// `claude`, or the program launched in its place, as given.
    pub kind: String,
    /// Claude Code's current session id.
    pub session_id: Option<String>,
    pub state: Option<AgentState>,
    /// Where a view of the agent took `state` from; never stored.
    #[serde(skip)]
    pub source: Option<StateSource>,
    /// What a waiting agent waits for, when Claude said; never stored.
    #[serde(skip)]
    pub waiting_for: Option<String>,
    pub pid: Option<u32>,
    pub updated_at: Option<Timestamp>,
    pub transcript_path: Option<PathBuf>,
    /// Ids the session had before (they change on `/clear` and
    /// `--fork-session`), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier_session_ids: Vec<String>,
    /// The last Notification type `sessions` does not know, which left the
    /// state as it was; cleared by the next state a hook reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_notification: Option<String>,
    /// What the hook that made the agent wait said it waits for (a
    /// Notification's message, a permission request's tool); cleared when
    /// it stops waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waits: Option<Waits>,
    /// The state whose notification was decided (sent or not wanted) while
    /// it holds, so that a second hook of it notifies no one; cleared when
    /// the state changes (docs/notify.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified: Option<AgentState>,
}

/// What a waiting agent waits for, as its hook said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waits {
    /// The Notification's type (`permission_prompt`...), or the event
    /// (`PermissionRequest`).
    pub kind: String,
    pub message: String,
}

impl Entry {
    /// The session's first port and how many it holds from there.
    pub fn ports(&self) -> Option<(u16, u16)> {
        self.port
            .map(|first| (first, self.port_count.unwrap_or(1).max(1)))
    }
}

impl Agent {
    pub fn new(kind: impl Into<String>) -> Agent {
        Agent {
            kind: kind.into(),
            session_id: None,
            state: None,
            source: None,
            waiting_for: None,
            pid: None,
            updated_at: None,
            transcript_path: None,
            earlier_session_ids: Vec::new(),
            unknown_notification: None,
            waits: None,
            notified: None,
        }
    }

    /// Records Claude's current session id, keeping the ones it replaces.
    pub fn set_session_id(&mut self, id: &str) {
        match self.session_id.replace(id.to_string()) {
            Some(old) if old != id => {
                self.earlier_session_ids.retain(|e| e != id);
                if !self.earlier_session_ids.contains(&old) {
                    self.earlier_session_ids.push(old);
                }
            }
            _ => {}
        }
    }
}

/// What an agent is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentState {
    /// Launched; no hook has reported yet.
    Starting,
    /// Alive, but it reports nothing (an agent without hooks).
    Running,
    Working,
    /// Waiting for the user: a permission prompt, a question, idle input.
    Waiting,
    Idle,
    Error,
    Exited,
}

impl AgentState {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Starting => "starting",
            AgentState::Running => "running",
            AgentState::Working => "working",
            AgentState::Waiting => "waiting",
            AgentState::Idle => "idle",
            AgentState::Error => "error",
            AgentState::Exited => "exited",
        }
    }

    /// States that claim a live process: all but `exited` (an idle Claude,
    /// or one whose turn failed, still runs).
    pub fn claims_alive(self) -> bool {
        self != AgentState::Exited
    }
}

/// A branch that a removed session created and that was kept: doctor reports
/// it until it is merged and deleted, or deleted by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeftBranch {
    pub session: String,
    pub branch: String,
    pub base: String,
    pub removed_at: Timestamp,
}

/// A `sessions new` under way, written before it creates anything and
/// removed when the session is registered or rolled back. `new` holds the
/// registry lock throughout, so one seen by anyone holding the lock was
/// left by a process that died half-way: `doctor` undoes what it recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub name: String,
    pub branch: String,
    pub path: PathBuf,
    /// Whether this attempt creates the branch (and so may delete it).
    pub creates_branch: bool,
    pub pid: u32,
    /// The pid's `process::start_of`, to tell it from a later process
    /// given the same pid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_start: Option<u64>,
    pub started_at: Timestamp,
}

impl Pending {
    /// Whether the `new` that wrote this record still runs (not merely a
    /// later process given its pid).
    pub fn writer_runs(&self) -> bool {
        let written = std::time::SystemTime::try_from(self.started_at).ok();
        self.pid != std::process::id()
            && crate::process::wrote_and_runs(self.pid, self.pid_start, written)
    }
}

#[derive(Serialize, Deserialize)]
struct RegistryFile {
    version: u32,
    #[serde(default, rename = "session")]
    sessions: Vec<Entry>,
    #[serde(default, rename = "left_branch", skip_serializing_if = "Vec::is_empty")]
    left_branches: Vec<LeftBranch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pending: Vec<Pending>,
}

/// Where a repository's registry lives.
pub struct Registry {
    dir: PathBuf,
}

/// The registry held under its exclusive lock: read, change, `save`.
/// The lock is released when this is dropped.
pub struct Locked {
    file: PathBuf,
    _lock: File,
    pub sessions: Vec<Entry>,
    pub left_branches: Vec<LeftBranch>,
    pub pending: Vec<Pending>,
}

impl Registry {
    pub fn new(common_dir: &Path) -> Registry {
        Registry {
            dir: common_dir.join(DIR),
        }
    }

    pub fn file(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    /// The sessions as last saved, without taking the lock: writes are atomic
    /// renames, so a reader always sees a whole file.
    pub fn read(&self) -> Result<Vec<Entry>> {
        Ok(read_file(&self.file())?.sessions)
    }

    /// Branches of removed sessions that were kept, as last saved.
    pub fn read_left_branches(&self) -> Result<Vec<LeftBranch>> {
        Ok(read_file(&self.file())?.left_branches)
    }

    /// Why the registry file does not parse, or `None` when it does (or
    /// does not exist).
    pub fn corruption(&self) -> Result<Option<String>> {
        let file = self.file();
        let text = match fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
        };
        Ok(toml::from_str::<RegistryFile>(&text)
            .err()
            .map(|e| corrupt(&file, &text, &e).message))
    }

    /// Replaces a registry that does not parse with what can still be read
    /// from it (`salvage`), which COMPLETE may add to (from git), keeping
    /// the broken file as `registry.toml.bak-<timestamp>`. Returns that
    /// name and what was written, with what could not be read.
    pub fn rebuild(
        &self,
        complete: impl FnOnce(&mut Salvaged) -> Result<()>,
    ) -> Result<(PathBuf, Salvaged)> {
        let lock = self.wait_for_lock(announced)?;
        if self.corruption()?.is_none() {
            bail!("{} parses again; nothing rebuilt", self.file().display());
        }
        let text = fs::read(self.file())
            .with_context(|| format!("cannot read {}", self.file().display()))?;
        let mut salvaged = salvage::salvage(&String::from_utf8_lossy(&text));
        complete(&mut salvaged)?;
        let stamp = crate::clock::now().strftime("%Y%m%dT%H%M%SZ");
        let backup = self.dir.join(format!("{FILE}.bak-{stamp}"));
        fs::copy(self.file(), &backup)
            .with_context(|| format!("cannot keep a copy as {}", backup.display()))?;
        Locked {
            file: self.file(),
            _lock: lock,
            sessions: salvaged.sessions.clone(),
            left_branches: salvaged.left_branches.clone(),
            pending: salvaged.pending.clone(),
        }
        .save()?;
        Ok((backup, salvaged))
    }

    /// Takes the exclusive lock, waiting as long as it takes, as
    /// `lock_waiting` does, telling the notice `announce_lock_waits` set.
    pub fn lock(&self) -> Result<Locked> {
        self.lock_waiting(announced)
    }

    /// Takes the exclusive lock, but stops on Ctrl-C or SIGTERM (once
    /// `interrupt::install`ed) and, when another process holds it for more
    /// than a moment, tells `notice` once what it waits for: a stopped or
    /// hung holder must not look like a hang of ours.
    pub fn lock_waiting(&self, notice: impl FnOnce(&LockWait)) -> Result<Locked> {
        let lock = self.wait_for_lock(notice)?;
        self.locked(lock)
    }

    /// The one wait for the lock file, every command's: see `lock_waiting`.
    fn wait_for_lock(&self, notice: impl FnOnce(&LockWait)) -> Result<File> {
        wait_for_lock(&self.dir.join(LOCK), notice)
    }

    /// Takes the exclusive lock, giving up after `wait`: for callers that
    /// must never hang, such as hooks.
    pub fn lock_within(&self, wait: Duration) -> Result<Locked> {
        let lock = open_lock(&self.dir.join(LOCK))?;
        let deadline = Instant::now() + wait;
        loop {
            match lock.try_lock() {
                Ok(()) => return self.locked(lock),
                Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(2));
                }
                Err(fs::TryLockError::WouldBlock) => {
                    bail!("the registry stayed locked for {wait:?}")
                }
                Err(fs::TryLockError::Error(e)) => return Err(e.into()),
            }
        }
    }

    fn locked(&self, lock: File) -> Result<Locked> {
        claim(&lock);
        let file = self.file();
        let contents = read_file(&file)?;
        Ok(Locked {
            file,
            _lock: lock,
            sessions: contents.sessions,
            left_branches: contents.left_branches,
            pending: contents.pending,
        })
    }
}

impl Locked {
    /// Records BRANCH, which session SESSION made from BASE, as left behind
    /// when the session went: doctor keeps track of it until it goes.
    pub fn leave_branch(&mut self, session: &str, branch: &str, base: &str) {
        self.left_branches.retain(|l| l.branch != branch);
        self.left_branches.push(LeftBranch {
            session: session.to_string(),
            branch: branch.to_string(),
            base: base.to_string(),
            removed_at: crate::clock::now(),
        });
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Whether it records nothing at all.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty() && self.left_branches.is_empty() && self.pending.is_empty()
    }

    pub fn find(&self, name: &str) -> Option<&Entry> {
        self.sessions.iter().find(|e| e.name == name)
    }

    /// The lowest port from `base` up starting COUNT consecutive ports that
    /// no registered session holds, so a removed session's ports are handed
    /// out again. Each session keeps the block it was given, whatever
    /// `ports` says later.
    pub fn free_port(&self, base: u16, count: u16) -> Option<u16> {
        let count = u32::from(count.max(1));
        let held: Vec<(u32, u32)> = self
            .sessions
            .iter()
            .filter_map(|e| e.ports().map(|(first, n)| (u32::from(first), u32::from(n))))
            .collect();
        let mut port = u32::from(base);
        while u16::try_from(port + count - 1).is_ok() {
            // The first block in the way: try again just past it.
            match held
                .iter()
                .filter(|(first, n)| *first < port + count && port < first + n)
                .map(|(first, n)| first + n)
                .max()
            {
                Some(next) => port = next,
                None => return u16::try_from(port).ok(),
            }
        }
        None
    }

    /// Writes the sessions back whole, so the file is never seen half-written.
    pub fn save(&self) -> Result<()> {
        let text = toml::to_string(&RegistryFile {
            version: VERSION,
            sessions: self.sessions.clone(),
            left_branches: self.left_branches.clone(),
            pending: self.pending.clone(),
        })?;
        crate::atomic::write(&self.file, text.as_bytes(), Default::default())
            .with_context(|| format!("cannot write {}", self.file.display()))
    }
}

fn read_file(file: &Path) -> Result<RegistryFile> {
    let text = match fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Ok(RegistryFile {
                version: VERSION,
                sessions: Vec::new(),
                left_branches: Vec::new(),
                pending: Vec::new(),
            });
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let parsed: RegistryFile = toml::from_str(&text).map_err(|e| corrupt(file, &text, &e))?;
    check_version(file, parsed.version, VERSION)?;
    Ok(parsed)
}

fn corrupt(file: &Path, text: &str, error: &toml::de::Error) -> Failure {
    let line = error
        .span()
        .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
    let location = line.map_or_else(String::new, |line| format!(", line {line}"));
    Failure::error(format!(
        "the registry {}{location} does not parse: {}",
        file.display(),
        error.message()
    ))
    .with_hint("`sessions doctor --fix` rebuilds it from git and keeps the broken file")
}

/// Fails when FILE, one of our TOML files, has a VERSION other than the
/// one this release UNDERSTANDS: a newer release wrote it.
pub(crate) fn check_version(file: &Path, version: u32, understands: u32) -> Result<()> {
    if version != understands {
        bail!(
            Failure::error(format!(
                "{} has version {version}; this sessions understands version {understands}",
                file.display()
            ))
            .with_hint("upgrade sessions")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> Entry {
        Entry {
            name: name.into(),
            branch: name.into(),
            path: PathBuf::from("/tmp").join(name),
            base: "main".into(),
            base_commit: "0".repeat(40),
            created_at: Timestamp::UNIX_EPOCH,
            owns_branch: true,
            port: None,
            port_count: None,
            agent: None,
            archived: None,
        }
    }

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        assert!(registry.read().unwrap().is_empty());
        let mut locked = registry.lock().unwrap();
        locked.sessions.push(entry("a"));
        locked.sessions.push(entry("feature/b"));
        locked.save().unwrap();
        drop(locked);
        assert_eq!(
            registry.read().unwrap(),
            vec![entry("a"), entry("feature/b")]
        );
        let text = fs::read_to_string(registry.file()).unwrap();
        assert!(text.starts_with("version = 1\n"), "{text}");
    }

    #[test]
    fn agents_round_trip_and_old_entries_still_parse() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        let mut with_agent = entry("a");
        let mut agent = Agent::new("claude");
        agent.set_session_id("one");
        agent.set_session_id("two");
        agent.state = Some(AgentState::Waiting);
        agent.pid = Some(42);
        with_agent.agent = Some(agent);
        let mut locked = registry.lock().unwrap();
        locked.sessions = vec![with_agent.clone(), entry("b")];
        locked.save().unwrap();
        drop(locked);
        assert_eq!(registry.read().unwrap(), vec![with_agent, entry("b")]);
        let text = fs::read_to_string(registry.file()).unwrap();
        assert!(text.contains("state = \"waiting\""), "{text}");
        assert!(text.contains("earlier_session_ids = [\"one\"]"), "{text}");

        // A file written before agents existed.
        let old = text.split("[session.agent]").next().unwrap().to_string();
        fs::write(registry.file(), old).unwrap();
        assert_eq!(registry.read().unwrap()[0].agent, None);
    }

    #[test]
    fn a_rotated_session_id_keeps_the_earlier_ones_once() {
        let mut agent = Agent::new("claude");
        agent.set_session_id("a");
        agent.set_session_id("a");
        agent.set_session_id("b");
        agent.set_session_id("c");
        agent.set_session_id("b");
        assert_eq!(agent.session_id.as_deref(), Some("b"));
        assert_eq!(agent.earlier_session_ids, ["a", "c"]);
    }

    #[test]
    fn a_corrupt_file_is_reported_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        fs::create_dir_all(dir.path().join(DIR)).unwrap();
        fs::write(registry.file(), "version = 1\n\n[[session]]\nname = \n").unwrap();
        let err = registry.read().unwrap_err();
        let failure = crate::error::failure_of(&err).unwrap();
        assert!(failure.message.contains("line 4"), "{}", failure.message);
        assert!(registry.lock().is_err());
    }

    #[test]
    fn lock_within_gives_up_while_another_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        let held = registry.lock().unwrap();
        assert!(registry.lock_within(Duration::from_millis(20)).is_err());
        drop(held);
        assert!(registry.lock_within(Duration::from_millis(20)).is_ok());
    }
}
