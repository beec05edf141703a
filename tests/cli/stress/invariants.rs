//! What must hold after any kill point: no file or commit lost, and git and
//! the registry agreeing or `doctor` reporting every difference.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::{Before, Stress};

impl Stress {
    /// Every file of BEFORE is still there, unchanged.
    pub(super) fn files_kept(&self, before: &Before, context: &str) {
        for (path, bytes) in &before.files {
            let now = fs::read(path);
            assert!(
                now.as_ref().is_ok_and(|now| now == bytes),
                "{context}\n{} was lost or changed",
                path.display()
            );
        }
    }

    /// Every file and commit of BEFORE is still there.
    pub(super) fn nothing_lost(&self, before: &Before, context: &str) {
        self.files_kept(before, context);
        let reachable: BTreeSet<String> = self
            .git(&["rev-list", "--all", "--reflog"])
            .lines()
            .map(str::to_string)
            .collect();
        let missing: Vec<&String> = before.commits.difference(&reachable).collect();
        if missing.is_empty() {
            return;
        }
        // Rebased by `sync` or `land`: the same change under another id.
        let patch_ids = |args: &[&str]| -> BTreeSet<String> {
            let script = format!("git {} | git patch-id --stable", args.join(" "));
            let out = self
                .env
                .command_in("sh", &self.env.repo)
                .arg("-c")
                .arg(script)
                .output()
                .unwrap();
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .filter_map(|l| l.split_whitespace().next().map(str::to_string))
                .collect()
        };
        let kept = patch_ids(&["log", "--all", "--reflog", "--no-merges", "-p"]);
        for commit in missing {
            let id = patch_ids(&["show", "--format=%H", commit]);
            assert!(
                !id.is_empty() && id.is_subset(&kept),
                "{context}\ncommit {commit} is gone"
            );
        }
    }

    /// Where git, the file system and the registry disagree, each with the
    /// text that `doctor` must mention to have reported it.
    pub(super) fn differences(&self) -> Vec<(String, String)> {
        let registry = self.registry();
        let empty = Vec::new();
        let sessions = registry["session"].as_array().unwrap_or(&empty);
        let mut found = Vec::new();
        // A `git worktree add` killed while it wrote its admin entry can
        // leave one (an empty `commondir`) on which `git worktree list`
        // fails until doctor removes it: doctor must report that entry, and
        // the rest is compared after `doctor --fix`.
        let half_written = self.half_written_entries();
        for name in &half_written {
            found.push((format!("half-written admin entry {name}"), name.clone()));
        }
        let Some(worktrees) = self.worktree_records() else {
            assert!(!half_written.is_empty(), "git worktree list fails");
            return found;
        };
        for s in sessions {
            let name = s["name"].as_str().unwrap();
            let path = s["path"].as_str().unwrap();
            let branch = s["branch"].as_str().unwrap();
            match worktrees.iter().find(|(p, _)| p == Path::new(path)) {
                None => found.push((format!("session {name} without a worktree"), name.into())),
                Some((_, b)) if b.as_deref() != Some(branch) => found.push((
                    format!("session {name} whose worktree is not on {branch}"),
                    name.into(),
                )),
                _ => {}
            }
        }
        let main = &self.env.repo;
        for (path, _) in worktrees.iter().filter(|(p, _)| p != main) {
            if !sessions.iter().any(|s| s["path"].as_str() == path.to_str()) {
                found.push((
                    format!("worktree {} outside the registry", path.display()),
                    path.file_name().unwrap().to_string_lossy().into_owned(),
                ));
            }
        }
        for p in registry["pending"].as_array().unwrap_or(&empty) {
            let name = p["name"].as_str().unwrap();
            found.push((format!("pending new of {name}"), name.into()));
        }
        let dir = self.env.git_dir().join("sessions");
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.starts_with("registry.toml.tmp-") {
                let key = "registry.toml.tmp".to_string();
                found.push((format!("temporary file {file}"), key));
            }
        }
        let left: Vec<&str> = registry["left_branch"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .filter_map(|l| l["branch"].as_str())
            .collect();
        for branch in self
            .git(&["for-each-ref", "--format=%(refname:short)", "refs/heads"])
            .lines()
        {
            let known = branch == "main"
                || left.contains(&branch)
                || sessions
                    .iter()
                    .any(|s| s["branch"].as_str() == Some(branch))
                || worktrees.iter().any(|(_, b)| b.as_deref() == Some(branch));
            if !known {
                found.push((format!("branch {branch} nothing reports"), branch.into()));
            }
        }
        for entry in fs::read_dir(self.env.git_dir().join("worktrees"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let admin = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            for marker in [
                "rebase-merge",
                "rebase-apply",
                "MERGE_HEAD",
                "CHERRY_PICK_HEAD",
            ] {
                if admin.join(marker).exists() {
                    found.push((format!("{marker} in worktree {name}"), name.clone()));
                }
            }
            if fs::read_to_string(admin.join("locked")).is_ok_and(|r| r.contains("initializing")) {
                found.push((format!("half-made worktree {name}"), name.clone()));
            }
        }
        for marker in ["rebase-merge", "rebase-apply", "MERGE_HEAD"] {
            if self.env.git_dir().join(marker).exists() {
                found.push((format!("{marker} in the main worktree"), "main".into()));
            }
        }
        found
    }

    /// `git worktree list`: each worktree's path and branch.
    /// Entries under `.git/worktrees/` without a written `gitdir`,
    /// `commondir` or `HEAD`.
    pub(super) fn half_written_entries(&self) -> Vec<String> {
        let mut found = Vec::new();
        for entry in fs::read_dir(self.env.git_dir().join("worktrees"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let admin = entry.path();
            let written =
                |f: &&str| fs::metadata(admin.join(f)).is_ok_and(|m| m.is_file() && m.len() > 0);
            if !["gitdir", "commondir", "HEAD"].iter().all(written) {
                found.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        found
    }

    /// `git worktree list`: each worktree's path and branch; `None` when
    /// git fails.
    pub(super) fn worktree_records(&self) -> Option<Vec<(PathBuf, Option<String>)>> {
        let out = self
            .env
            .command_in("git", &self.env.repo)
            .args(["worktree", "list", "--porcelain"])
            .output()
            .unwrap();
        if !out.status.success() {
            return None;
        }
        let mut all = Vec::new();
        for block in String::from_utf8(out.stdout).unwrap().split("\n\n") {
            let mut path = None;
            let mut branch = None;
            for line in block.lines() {
                if let Some(p) = line.strip_prefix("worktree ") {
                    path = Some(PathBuf::from(p));
                }
                if let Some(b) = line.strip_prefix("branch refs/heads/") {
                    branch = Some(b.to_string());
                }
            }
            if let Some(path) = path {
                all.push((path, branch));
            }
        }
        Some(all)
    }

    /// Worktrees that exist on disk.
    pub(super) fn worktrees(&self) -> Vec<PathBuf> {
        self.worktree_records()
            .expect("git worktree list runs")
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| p.join(".git").exists())
            .collect()
    }

    pub(super) fn git(&self, args: &[&str]) -> String {
        self.env.git(args)
    }
}
