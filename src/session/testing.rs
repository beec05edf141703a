//! A repository to test the domain's rules on: a temporary git repository
//! on `main` with one commit, its workspace with the default configuration
//! (the user's is never read), and entries made as `new` would record them.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Result;

use jiff::Timestamp;
use tempfile::TempDir;

use super::ui::Progress;
use super::{Ui, Workspace};
use crate::config::Config;
use crate::git::Repo;
pub use crate::git::testing::git;
use crate::registry::{Entry, Registry};
use crate::trust::Request;

/// A Ui that answers approval with its answer (`None`: nobody can answer)
/// and records what it was asked and told.
pub struct Recording {
    answer: Option<bool>,
    /// The first key of each approval request.
    asked: Mutex<Vec<String>>,
    said: Mutex<Vec<String>>,
}

impl Recording {
    /// One for a workspace, which keeps its Ui for the program's life.
    pub fn leak(answer: Option<bool>) -> &'static Recording {
        Box::leak(Box::new(Recording {
            answer,
            asked: Mutex::new(Vec::new()),
            said: Mutex::new(Vec::new()),
        }))
    }
}

/// The first key of each approval UI was asked for, and what it was told.
pub fn recorded(ui: &Recording) -> (Vec<String>, Vec<String>) {
    let asked = ui.asked.lock().unwrap().clone();
    (asked, ui.said.lock().unwrap().clone())
}

struct Uncounted;
impl Progress for Uncounted {
    fn inc(&mut self) {}
}

impl Ui for Recording {
    fn note(&self, message: &str) {
        self.said.lock().unwrap().push(format!("note: {message}"));
    }
    fn warn(&self, message: &str) {
        self.said.lock().unwrap().push(format!("warn: {message}"));
    }
    fn error(&self, message: &str) {
        self.said.lock().unwrap().push(format!("error: {message}"));
    }
    fn approve(&self, request: &Request<'_>) -> Result<Option<bool>> {
        let first = request.values.first().map(|v| v.0.clone());
        self.asked.lock().unwrap().push(first.unwrap_or_default());
        Ok(self.answer)
    }
    fn progress(&self, _: u64, _: &'static str) -> Box<dyn Progress> {
        Box::new(Uncounted)
    }

    fn busy(&self, _: &'static str) -> Box<dyn Progress> {
        Box::new(Uncounted)
    }
}

pub struct Fixture {
    _temp: TempDir,
    /// The main worktree.
    pub dir: PathBuf,
    pub ws: Workspace,
}

impl Fixture {
    pub fn new() -> Fixture {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().canonicalize().unwrap().join("repo");
        fs::create_dir(&dir).unwrap();
        git(&dir, &["init", "-q", "-b", "main"]);
        // For the commits the domain's own git commands make (sync, land).
        git(&dir, &["config", "user.name", "t"]);
        git(&dir, &["config", "user.email", "t@example.com"]);
        commit_in(&dir, "README", "hello");
        let repo = Repo::discover(&dir).unwrap();
        let ws = Workspace {
            registry: Registry::new(repo.common_dir()),
            repo,
            config: Config::default(),
            ui: Recording::leak(None),
        };
        Fixture {
            _temp: temp,
            dir,
            ws,
        }
    }

    /// Commits FILE with TEXT on the main worktree's branch; the commit.
    pub fn commit(&self, file: &str, text: &str) -> String {
        commit_in(&self.dir, file, text)
    }

    /// Session NAME on a new branch of the same name from `main`, with its
    /// worktree beside the repository; its entry (not yet in the registry).
    pub fn session(&self, name: &str) -> Entry {
        let path = self.dir.with_file_name(name);
        let path_arg = path.to_str().unwrap();
        git(
            &self.dir,
            &["worktree", "add", "-q", "-b", name, path_arg, "main"],
        );
        Entry {
            name: name.into(),
            branch: name.into(),
            path,
            base: "main".into(),
            base_commit: git(&self.dir, &["rev-parse", "main"]),
            created_at: Timestamp::UNIX_EPOCH,
            owns_branch: true,
            port: None,
            agent: None,
            archived: None,
        }
    }

    /// Records ENTRIES in the registry, as `new` would have.
    pub fn register(&self, entries: &[&Entry]) {
        let mut registry = self.ws.registry.lock().unwrap();
        registry
            .sessions
            .extend(entries.iter().map(|e| (*e).clone()));
        registry.save().unwrap();
    }

    pub fn tip(&self, rev: &str) -> crate::git::Oid {
        crate::git::parse_oid(&git(&self.dir, &["rev-parse", rev])).unwrap()
    }
}

/// Commits FILE with TEXT in the worktree DIR; the commit.
pub fn commit_in(dir: &Path, file: &str, text: &str) -> String {
    fs::write(dir.join(file), text).unwrap();
    git(dir, &["add", "--", file]);
    git(dir, &["commit", "-q", "-m", file]);
    git(dir, &["rev-parse", "HEAD"])
}

/// The message of RESULT's error, which must be a usage error (exit 2).
pub fn usage_error<T>(result: Result<T>) -> String {
    let Err(err) = result else {
        panic!("not refused")
    };
    assert_eq!(
        crate::error::failure_of(&err).map(|f| f.exit),
        Some(crate::error::Exit::Usage),
        "{err:#}"
    );
    format!("{err:#}")
}
