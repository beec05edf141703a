//! Remote-tracking bases (`origin/main`) and the local branches that track
//! them: where `land` lands a session whose base is on a remote, and where
//! `list` looks for work landed but not pushed yet.

use git2::BranchType;

use super::Repo;

/// The local branch that tracks a remote-tracking base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracking {
    /// The local branch (`main`).
    pub branch: String,
    /// The remote (`origin`).
    pub remote: String,
    /// The branch's name on that remote (`main`).
    pub remote_branch: String,
}

impl Repo {
    /// For BASE naming a remote-tracking branch (`origin/main`), the local
    /// branch that tracks it: of those whose upstream it is, the one named
    /// as on the remote first; else the local branch so named (one made
    /// without `--track`, or one tracking another remote, as `main` tracks
    /// `upstream/main` in a fork). `None` for any other base, or when there
    /// is no such branch.
    pub fn tracking_branch(&self, base: &str) -> Option<Tracking> {
        let full = format!("refs/remotes/{base}");
        self.repo.find_reference(&full).ok()?;
        let remote = self.repo.branch_remote_name(&full).ok()?;
        let remote = remote.as_str().ok()?.to_string();
        let remote_branch = base.strip_prefix(&format!("{remote}/"))?.to_string();
        // (tracks it, named as on the remote, name): the best last.
        let mut found = Vec::new();
        for (branch, _) in self.repo.branches(Some(BranchType::Local)).ok()?.flatten() {
            let Ok(Some(name)) = branch.name() else {
                continue;
            };
            let upstream = branch.upstream().ok();
            let upstream = upstream.as_ref().and_then(|u| u.get().name().ok());
            let same = name == remote_branch;
            match upstream {
                Some(u) if u == full => found.push((true, same, name.to_string())),
                _ if same => found.push((false, true, name.to_string())),
                _ => {}
            }
        }
        let (_, _, branch) = found.into_iter().max()?;
        Some(Tracking {
            branch,
            remote,
            remote_branch,
        })
    }
}
