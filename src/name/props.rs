//! Properties of session names. A name `validate` accepts, whose branch git
//! also accepts (`sessions new` checks both), is a git branch name with or
//! without a `branch_prefix`, and becomes exactly one ordinary folder below
//! the sessions folder; a name with any one defect is refused.

use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::config::{DEFAULT_WORKTREE_DIR, fill_template};
use crate::git::Repo;

/// Characters that may start or end a component.
const EDGE: &[char] = &['a', 'k', 'Z', '0', '9', '_', 'é', '名'];
/// Characters only allowed inside a component (git refuses a name ending in
/// '.', the validator one starting with '-' or '.').
const INNER: &[char] = &['-', '.', '@', '{', '}', '+', ',', '=', '!', '%'];

fn component() -> impl Strategy<Value = String> {
    let inner: Vec<char> = EDGE.iter().chain(INNER).copied().collect();
    (
        prop::sample::select(EDGE),
        prop::collection::vec(prop::sample::select(inner), 0..10),
        prop::option::of(prop::sample::select(EDGE)),
    )
        .prop_map(|(first, middle, last)| {
            let mut s: String = std::iter::once(first).chain(middle).collect();
            if let Some(last) = last {
                s.push(last);
            }
            if s.ends_with(['.', '-', '@', '{']) {
                s.push('x');
            }
            s
        })
}

/// Names both the validator and git accept: '/'-separated components, with
/// the sequences either refuses ("..", "@{", a ".lock" end) filtered out.
pub(super) fn valid_name() -> impl Strategy<Value = String> {
    prop::collection::vec(component(), 1..5)
        .prop_map(|parts| parts.join("/"))
        .prop_filter("sequences git or the validator refuse", |n| {
            !n.contains("..")
                && !n.contains("@{")
                && !n.split('/').any(|c| c.ends_with(".lock"))
                && n.len() <= MAX_BYTES
        })
}

/// One defect the validator must refuse, applied to NAME at a position
/// chosen by AT (a fraction of its length).
fn with_defect(name: &str, defect: usize, at: f64) -> String {
    let boundaries: Vec<usize> = (0..=name.len())
        .filter(|i| name.is_char_boundary(*i))
        .collect();
    let i = boundaries[((boundaries.len() - 1) as f64 * at) as usize];
    let insert = |what: &str| format!("{}{what}{}", &name[..i], &name[i..]);
    match defect {
        0 => String::new(),
        1 => format!("-{name}"),
        2 => insert(" "),
        3 => insert("\t"),
        4 => insert("\n"),
        5 => insert("\u{0}"),
        6 => insert("\u{1b}"),
        7 => insert("\u{7f}"),
        8 => insert("\u{a0}"),
        9 => insert("\u{2028}"),
        10 => insert("~"),
        11 => insert("^"),
        12 => insert(":"),
        13 => insert("?"),
        14 => insert("*"),
        15 => insert("["),
        16 => insert("\\"),
        17 => insert("@{"),
        18 => insert("//"),
        19 => format!("{name}/"),
        20 => format!("{name}.lock"),
        21 => format!("{name}.lock/x"),
        22 => format!("{name}/../x"),
        23 => format!("../{name}"),
        24 => format!("{name}/."),
        25 => format!("./{name}"),
        26 => format!(".{name}"),
        27 => format!("{name}/.hidden"),
        28 => "@".into(),
        29 => format!("{name}{}", "a".repeat(MAX_BYTES + 1 - name.len())),
        _ => unreachable!("defect {defect}"),
    }
}

const DEFECTS: usize = 30;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        // Fixed, so that every run tries the same cases: a property found
        // false fails every run, never one in twenty.
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5e55_1045),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn valid_names_become_a_branch_and_one_folder(name in valid_name()) {
        prop_assert!(validate(&name).is_ok(), "{name:?} refused");
        for prefix in ["", "s/", "team-"] {
            let branch = format!("{prefix}{name}");
            prop_assert!(Repo::is_valid_branch_name(&branch), "branch {branch:?}");
        }
        let folder = folder_name(&name);
        prop_assert!(!folder.contains('/') && !folder.is_empty());
        prop_assert!(!folder.starts_with(['.', '-']), "{folder:?}");
        // The session's folder is that one name below `<repo>.sessions`,
        // beside the repository, whatever the branch is called.
        let home = Path::new("/r/work/proj");
        let dir = fill_template(DEFAULT_WORKTREE_DIR, home, "proj", &name, "any/branch");
        prop_assert_eq!(dir, Path::new("/r/work/proj.sessions").join(&folder));
        // And back: a name without '-' is its folder with '-' read as '/'.
        if !name.contains('-') {
            prop_assert_eq!(folder.replace('-', "/"), name);
        }
    }

    #[test]
    fn a_name_with_any_defect_is_refused(
        name in valid_name(),
        defect in 0..DEFECTS,
        at in 0.0..1.0f64,
    ) {
        let bad = with_defect(&name, defect, at);
        let refused = validate(&bad);
        prop_assert!(refused.is_err(), "{bad:?} (defect {defect}) accepted");
        prop_assert_eq!(refused.unwrap_err().exit, crate::error::Exit::Usage);
    }
}
