//! The removal rules as a table: every branch outcome.

use super::*;

/// Facts from flags: exists, owned, checked out elsewhere, merged,
/// empty, and the count of unpushed commits.
fn facts(flags: [u8; 5], unpushed: usize) -> BranchFacts {
    let [exists, owned, checked_out_elsewhere, merged, empty] = flags.map(|f| f == 1);
    BranchFacts {
        exists,
        owned,
        checked_out_elsewhere,
        base_of_session: false,
        merged,
        empty,
        unpushed,
    }
}

#[test]
fn every_branch_outcome() {
    use BranchOutcome::{Delete, Keep};
    let risk = RemoveOptions::default();
    let asked = RemoveOptions {
        keep_branch: true,
        ..risk
    };
    let doctor = RemoveOptions {
        unpushed: Unpushed::KeepBranch,
        ..risk
    };
    let cases = [
        (facts([0, 1, 0, 0, 0], 0), risk, Keep(Keeping::Gone)),
        (facts([1, 0, 0, 1, 0], 2), risk, Keep(Keeping::NotOwned)),
        (facts([1, 1, 0, 1, 0], 2), asked, Keep(Keeping::Asked)),
        (
            facts([1, 1, 1, 1, 0], 2),
            risk,
            Keep(Keeping::CheckedOutElsewhere),
        ),
        (
            BranchFacts {
                base_of_session: true,
                ..facts([1, 1, 0, 1, 0], 2)
            },
            risk,
            Keep(Keeping::BaseOfSession),
        ),
        (facts([1, 1, 0, 1, 0], 2), risk, Delete(Deletion::Merged)),
        (facts([1, 1, 0, 0, 1], 2), risk, Delete(Deletion::Empty)),
        (facts([1, 1, 0, 0, 0], 0), risk, Keep(Keeping::Pushed)),
        (facts([1, 1, 0, 0, 0], 2), doctor, Keep(Keeping::Unpushed)),
        (facts([1, 1, 0, 0, 0], 2), risk, Delete(Deletion::Forced)),
    ];
    for (facts, options, expected) in cases {
        let outcome = branch_outcome(facts, options);
        assert_eq!(outcome, expected, "{facts:?} {options:?}");
    }
    // The walk is only paid for when its answer decides.
    assert!(facts([1, 1, 0, 0, 0], 2).needs_unpushed(risk));
    assert!(!facts([1, 1, 0, 0, 0], 2).needs_unpushed(asked));
    assert!(!facts([1, 1, 0, 1, 0], 2).needs_unpushed(risk));
}

#[test]
fn left_behind_only_when_nobody_asked() {
    assert!(Keeping::Pushed.left_behind());
    assert!(Keeping::Unpushed.left_behind());
    assert!(Keeping::CheckedOutElsewhere.left_behind());
    assert!(Keeping::BaseOfSession.left_behind());
    assert!(!Keeping::Asked.left_behind());
    assert!(!Keeping::NotOwned.left_behind());
    assert!(!Keeping::Gone.left_behind());
}
