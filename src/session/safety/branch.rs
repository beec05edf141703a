//! What becomes of a removed session's branch: deleted because merged,
//! empty or forced, or kept, and why.

use std::fmt;

use super::RemoveOptions;

/// The policy for an owned branch whose commits exist nowhere else.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Unpushed {
    /// A risk: refuse, or with `--force` delete the branch.
    #[default]
    AtRisk,
    /// Keep the branch and go on: `doctor --fix` dropping a session whose
    /// folder is gone.
    KeepBranch,
}

/// What becomes of a removed session's branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchOutcome {
    Delete(Deletion),
    Keep(Keeping),
}

/// Why the branch goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// Its work is in the base.
    Merged,
    /// It has no commits of its own.
    Empty,
    /// Its commits exist nowhere else, and `--force` said to go anyway.
    Forced,
}

/// Why the branch stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keeping {
    /// There is no such branch any more.
    Gone,
    /// The session did not create it.
    NotOwned,
    /// `--keep-branch`.
    Asked,
    CheckedOutElsewhere,
    /// Another session starts from it (its base): deleting it would leave
    /// that one nothing to sync with or land into.
    BaseOfSession,
    /// Not merged, but its commits are also on a remote, a tag or another
    /// branch.
    Pushed,
    /// Its commits exist nowhere else, and the policy keeps it.
    Unpushed,
}

impl Keeping {
    /// Whether doctor should keep track of the branch left behind: one the
    /// session made and nobody asked to keep.
    pub fn left_behind(self) -> bool {
        matches!(
            self,
            Keeping::CheckedOutElsewhere
                | Keeping::BaseOfSession
                | Keeping::Pushed
                | Keeping::Unpushed
        )
    }
}

impl fmt::Display for Keeping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Keeping::Gone => "it no longer exists",
            Keeping::NotOwned => "the session did not create it",
            Keeping::Asked => "--keep-branch",
            Keeping::CheckedOutElsewhere => "it is checked out in another worktree",
            Keeping::BaseOfSession => "another session starts from it",
            Keeping::Pushed => {
                "it is not merged into its base (its commits are also on a remote, a tag or another branch)"
            }
            Keeping::Unpushed => "it has commits that exist nowhere else",
        })
    }
}

/// What is known about a session's branch, for `branch_outcome`.
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::session) struct BranchFacts {
    pub exists: bool,
    pub owned: bool,
    pub checked_out_elsewhere: bool,
    /// Another session's base.
    pub base_of_session: bool,
    pub merged: bool,
    pub empty: bool,
    /// Commits on it that exist nowhere else (counted only when it matters).
    pub unpushed: usize,
}

impl BranchFacts {
    /// Whether the outcome depends on `unpushed`, which costs a walk.
    pub fn needs_unpushed(&self, options: RemoveOptions) -> bool {
        self.exists
            && self.owned
            && !options.keep_branch
            && !self.checked_out_elsewhere
            && !self.base_of_session
            && !self.merged
            && !self.empty
    }
}

/// The one rule for a branch: deleted only when the session made it, nobody
/// asked to keep it, no other worktree has it, and its work is merged, empty,
/// or forced away.
pub(in crate::session) fn branch_outcome(
    facts: BranchFacts,
    options: RemoveOptions,
) -> BranchOutcome {
    use BranchOutcome::{Delete, Keep};
    if !facts.exists {
        Keep(Keeping::Gone)
    } else if !facts.owned {
        Keep(Keeping::NotOwned)
    } else if options.keep_branch {
        Keep(Keeping::Asked)
    } else if facts.checked_out_elsewhere {
        Keep(Keeping::CheckedOutElsewhere)
    } else if facts.base_of_session {
        Keep(Keeping::BaseOfSession)
    } else if facts.merged {
        Delete(Deletion::Merged)
    } else if facts.empty {
        Delete(Deletion::Empty)
    } else if facts.unpushed == 0 {
        Keep(Keeping::Pushed)
    } else if options.unpushed == Unpushed::KeepBranch {
        Keep(Keeping::Unpushed)
    } else {
        Delete(Deletion::Forced)
    }
}
