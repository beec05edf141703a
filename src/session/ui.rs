//! What the domain needs from whoever runs it: a way to tell the person
//! what happened, and to ask them to approve a project's commands. Nothing
//! under src/session/ touches the terminal; src/cmd/ui.rs does, and unit
//! tests record instead.

use anyhow::Result;

use super::Workspace;
use crate::trust::{self, Approval, Request};

pub trait Ui: Sync {
    /// Something worth knowing, which `--quiet` may hide.
    fn note(&self, message: &str);
    /// Something that went otherwise than asked; always shown.
    fn warn(&self, message: &str);
    /// A failure that does not stop the command.
    fn error(&self, message: &str);
    /// Whether the person approves REQUEST; `None` when nobody can answer
    /// (no terminal, or a hook).
    fn approve(&self, request: &Request<'_>) -> Result<Option<bool>>;
    /// A counter of LEN steps of slow work; dropping it ends it.
    fn progress(&self, len: u64, message: &'static str) -> Box<dyn Progress>;
    /// One slow step that cannot be counted (a checkout); dropping it ends it.
    fn busy(&self, message: &'static str) -> Box<dyn Progress>;
}

/// One step of the work a `Ui::progress` counts is done.
pub trait Progress {
    fn inc(&mut self);
}

impl Workspace {
    /// Whether the project's commands may run: approved already, or approved
    /// now through the Ui (and then recorded). Asks at most once per call.
    pub(super) fn approval(&self) -> Result<Approval> {
        let root = self.repo.home_dir();
        let values = trust::project_values(&self.config);
        if trust::is_approved(root, &values)? {
            return Ok(Approval::Trusted);
        }
        match self.ui.approve(&Request {
            root,
            values: &values,
        })? {
            Some(true) => {
                trust::approve(root, &values)?;
                Ok(Approval::Trusted)
            }
            Some(false) => Ok(Approval::Declined),
            None => Ok(Approval::Unapproved),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::config::{Config, Setting, Source};
    use crate::git::Repo;
    use crate::git::testing::git;
    use crate::registry::{Entry, Registry};
    use crate::session::lifecycle::{self, SetupRun};
    use crate::session::testing::{Recording, recorded};

    /// A workspace on a new repository in TEMP whose one setup command,
    /// from SOURCE, would create `ran`; a session entry for the repository's
    /// folder; the Ui, answering ANSWER.
    fn workspace(
        temp: &Path,
        source: Source,
        answer: Option<bool>,
    ) -> (Workspace, Entry, &'static Recording) {
        let root = temp.canonicalize().unwrap();
        git(&root, &["init", "-q", "-b", "main"]);
        let config = Config {
            setup: Setting {
                value: vec!["echo > ran".into()],
                source,
            },
            ..Config::default()
        };
        let ui = Recording::leak(answer);
        let repo = Repo::discover(&root).unwrap();
        let entry = Entry {
            name: "s".into(),
            branch: "s".into(),
            path: root.clone(),
            base: "main".into(),
            base_commit: String::new(),
            created_at: jiff::Timestamp::now(),
            owns_branch: true,
            port: None,
            agent: None,
            archived: None,
        };
        let ws = Workspace {
            registry: Registry::new(repo.common_dir()),
            repo,
            config,
            ui,
        };
        (ws, entry, ui)
    }

    fn project(temp: &Path) -> Source {
        Source::Project(PathBuf::from(temp).join(crate::config::PROJECT_FILE))
    }

    #[test]
    fn a_declined_project_setup_is_withheld_after_one_question() {
        let temp = tempfile::tempdir().unwrap();
        let (ws, entry, ui) = workspace(temp.path(), project(temp.path()), Some(false));
        assert_eq!(lifecycle::setup(&ws, &entry).unwrap(), SetupRun::Untrusted);
        let (asked, said) = recorded(ui);
        assert_eq!(asked, ["setup"]);
        assert!(!entry.path.join("ran").exists());
        assert_eq!(said.len(), 1);
        assert!(said[0].starts_with("warn: not running the setup commands of "));
    }

    #[test]
    fn with_nobody_to_answer_a_project_setup_is_skipped_with_a_warning() {
        let temp = tempfile::tempdir().unwrap();
        let (ws, entry, ui) = workspace(temp.path(), project(temp.path()), None);
        assert_eq!(lifecycle::setup(&ws, &entry).unwrap(), SetupRun::Untrusted);
        let (asked, said) = recorded(ui);
        assert_eq!(asked, ["setup"]);
        assert!(!entry.path.join("ran").exists());
        assert_eq!(said.len(), 1);
        assert!(
            said[0].starts_with("warn: skipped 1 setup command from "),
            "{said:?}"
        );
    }

    #[test]
    fn the_users_own_setup_runs_without_a_question() {
        let temp = tempfile::tempdir().unwrap();
        let user = Source::User(temp.path().join("config.toml"));
        let (ws, entry, ui) = workspace(temp.path(), user, Some(false));
        assert_eq!(lifecycle::setup(&ws, &entry).unwrap(), SetupRun::Done(1));
        let (asked, said) = recorded(ui);
        assert!(asked.is_empty());
        assert!(entry.path.join("ran").exists());
        assert_eq!(said, ["note: setup: echo > ran"]);
    }
}
