//! A repository to test the domain's rules on: a temporary git repository
//! on `main` with one commit, its workspace with the default configuration
//! (the user's is never read), and entries made as `new` would record them.

use std::fs;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use tempfile::TempDir;

use super::Workspace;
use crate::config::Config;
use crate::git::Repo;
pub use crate::git::testing::git;
use crate::registry::{Entry, Registry};

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
