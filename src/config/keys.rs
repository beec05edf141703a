//! Every configuration key, once. `sessions config` shows them in this
//! order, reading a file rejects any other key (naming the nearest one
//! here), and the README's table of keys is this list (a test compares them).

use crate::suggest::{distance, is_near};

/// One key a file may set.
pub struct Key {
    /// Dotted as written in a file; `NAME` stands for a profile's name.
    pub name: &'static str,
    /// The value when no file sets it, in TOML; `None` when unset.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "for the README's table, checked by a test")
    )]
    pub default: Option<&'static str>,
    /// What it does, one line for the docs.
    pub about: &'static str,
}

impl Key {
    /// The keys of one agent profile or `[env]` variable, which have no
    /// value until named.
    pub fn per_profile(&self) -> bool {
        self.name.contains("NAME")
    }
}

/// In the order `sessions config` shows them; profile keys come last.
pub const KEYS: &[Key] = &[
    Key {
        name: "worktree_dir",
        default: Some("\"../{repo}.sessions/{name}\""),
        about: "where worktrees go: {repo}, {name}, {branch} and a leading ~, relative to the main worktree",
    },
    Key {
        name: "branch_prefix",
        default: Some("\"\""),
        about: "put before each session's name to make its branch",
    },
    Key {
        name: "base",
        default: None,
        about: "what new sessions start from (unset: origin/HEAD, else the main worktree's branch); `--base` overrides",
    },
    Key {
        name: "copy",
        default: Some("[]"),
        about: "patterns of ignored files to copy into a new worktree",
    },
    Key {
        name: "submodules",
        default: Some("true"),
        about: "initialise submodules in new worktrees, from the main worktree's clones of them",
    },
    Key {
        name: "sparse",
        default: Some("[]"),
        about: "folders new worktrees check out (cone-mode sparse checkout); empty: all, or as a sparse main worktree does",
    },
    Key {
        name: "artifacts",
        default: Some(
            "[\"node_modules\", \"target\", \".venv\", \".next\", \"dist\", \"build\", \"__pycache__\", \".pytest_cache\", \".gradle\"]",
        ),
        about: "names of ignored folders `clean --artifacts` may delete: re-creatable build output",
    },
    Key {
        name: "setup",
        default: Some("[]"),
        about: "commands run in each new worktree, in order",
    },
    Key {
        name: "teardown",
        default: Some("[]"),
        about: "commands run before a session's worktree is removed",
    },
    Key {
        name: "max_sessions",
        default: None,
        about: "warn when `sessions new` goes above this many sessions (unset: never)",
    },
    Key {
        name: "port_base",
        default: Some("4100"),
        about: "the first port handed out to sessions (`SESSIONS_PORT`)",
    },
    Key {
        name: "ports",
        default: Some("1"),
        about: "how many consecutive ports each session reserves (`SESSIONS_PORT`, `SESSIONS_PORT_1`...)",
    },
    Key {
        name: "stale_after",
        default: None,
        about: "a session with no commit, file change or agent activity for this long (\"14d\") is `stale` (unset: never)",
    },
    Key {
        name: "agent.command",
        default: Some("\"claude\""),
        about: "the agent `sessions new` starts in the worktree",
    },
    Key {
        name: "agent.args",
        default: Some("[]"),
        about: "arguments given to the agent",
    },
    Key {
        name: "agent.tmux",
        default: Some("false"),
        about: "inside tmux, start agents in a window of their own (`new --tmux`)",
    },
    Key {
        name: "land.method",
        default: Some("\"rebase\""),
        about: "how `sessions land` lands: \"rebase\", \"squash\" or \"merge\"",
    },
    Key {
        name: "land.check",
        default: Some("[]"),
        about: "commands that must pass in the session before it lands",
    },
    Key {
        name: "land.push",
        default: Some("false"),
        about: "push the base branch after landing (never forced)",
    },
    Key {
        name: "sync.fetch",
        default: Some("false"),
        about: "fetch the base's remote before `sessions sync` (as `--fetch` does)",
    },
    Key {
        name: "env.NAME",
        default: None,
        about: "variable NAME for setup, teardown, land checks and the agent: {name}, {branch}, {repo}, {path}, {port} filled in",
    },
    Key {
        name: "notify.on",
        default: Some("[\"waiting\", \"error\", \"idle\"]"),
        about: "the agent changes that notify: \"waiting\", \"error\", \"idle\" (after a long turn); docs/notify.md",
    },
    Key {
        name: "notify.idle_after",
        default: Some("\"60s\""),
        about: "how long a turn must take for its end (\"idle\") to notify",
    },
    Key {
        name: "notify.command",
        default: None,
        about: "a shell command run on each notification: {name}, {repo}, {state}, {message}, {path}",
    },
    Key {
        name: "notify.desktop",
        default: Some("true"),
        about: "also show a desktop notification, where the system has a notification service",
    },
    Key {
        name: "agent.profiles.NAME.command",
        default: None,
        about: "the agent of profile NAME, instead of `agent.command`",
    },
    Key {
        name: "agent.profiles.NAME.args",
        default: None,
        about: "the arguments of profile NAME, instead of `agent.args`",
    },
];

/// Whether PATH names a key of `KEYS`, or a table that holds some.
pub(super) fn is_known(path: &[&str]) -> bool {
    KEYS.iter().any(|key| {
        let parts: Vec<&str> = key.name.split('.').collect();
        parts.len() >= path.len() && matches(&parts[..path.len()], path)
    })
}

/// Whether PATH names a key of `KEYS`, not a table.
pub(super) fn is_key(path: &[&str]) -> bool {
    KEYS.iter()
        .any(|key| matches(&key.name.split('.').collect::<Vec<_>>(), path))
}

/// The key of `KEYS` nearest to PATH, an unknown one: by its last part
/// first (a key in the wrong table), then as a whole; `NAME` filled in.
/// `None` when no key is near enough to be what was meant.
pub(super) fn nearest(path: &[&str]) -> Option<(String, &'static Key)> {
    let leaf = path.last().copied().unwrap_or_default();
    let dotted = path.join(".");
    KEYS.iter()
        // Any name fits a key ending in NAME, so it would always be nearest.
        .filter(|key| !key.name.ends_with(".NAME"))
        .map(|key| {
            let filled: Vec<&str> = key
                .name
                .split('.')
                .enumerate()
                .map(|(i, part)| match part {
                    "NAME" => path.get(i).copied().unwrap_or(part),
                    _ => part,
                })
                .collect();
            let own_leaf = filled.last().copied().unwrap_or_default();
            let filled = filled.join(".");
            let near = is_near(leaf, own_leaf) || is_near(&dotted, &filled);
            let rank = (distance(leaf, own_leaf), distance(&dotted, &filled));
            (rank, near, filled, key)
        })
        .min_by_key(|(rank, ..)| *rank)
        .filter(|(_, near, ..)| *near)
        .map(|(_, _, name, key)| (name, key))
}

/// Whether key parts PATTERN (`NAME` matching any one part) match PATH.
fn matches(pattern: &[&str], path: &[&str]) -> bool {
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(path)
            .all(|(want, got)| *want == "NAME" || want == got)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's table of keys, as KEYS makes it.
    fn table() -> String {
        let mut out = String::from("| Key | Default | What it does |\n|---|---|---|\n");
        for key in KEYS {
            let default = key.default.map_or("-".into(), |d| format!("`{d}`"));
            out += &format!("| `{}` | {default} | {} |\n", key.name, key.about);
        }
        out
    }

    #[test]
    fn the_readme_lists_every_key_as_keys_says() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let expected = table();
        assert!(
            readme.contains(&expected),
            "README.md's table of configuration keys differs from config::KEYS; \
             paste this in its place:\n\n{expected}"
        );
    }

    #[test]
    fn defaults_are_the_real_ones() {
        let config = super::super::Config::default();
        for key in KEYS.iter().filter(|k| !k.per_profile()) {
            let (value, _) = config.value_of(key.name).expect(key.name);
            let value = value.map(|v| v.to_string());
            assert_eq!(value.as_deref(), key.default, "{}", key.name);
        }
    }

    #[test]
    fn unknown_keys_get_the_nearest_known_one() {
        assert!(is_known(&["agent"]) && is_known(&["agent", "profiles", "x", "args"]));
        assert!(!is_known(&["agent", "profiles", "x", "flags"]) && !is_known(&["setpu"]));
        assert!(is_key(&["land", "push"]) && !is_key(&["land"]));
        let nearest = |path: &[&str]| nearest(path).map(|n| n.0);
        assert_eq!(nearest(&["setpu"]), Some("setup".into()));
        assert_eq!(nearest(&["land", "metod"]), Some("land.method".into()));
        assert_eq!(nearest(&["comand"]), Some("agent.command".into()));
        assert_eq!(
            nearest(&["agent", "profiles", "r", "arg"]),
            Some("agent.profiles.r.args".into())
        );
        assert_eq!(nearest(&["colour"]), None);
    }
}
