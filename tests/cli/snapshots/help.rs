//! Every `--help`, of every subcommand and nested subcommand, found from
//! the binary's own help: a new subcommand gets a snapshot (and fails until
//! it is accepted), and a removed one leaves no stale file behind.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use super::Pinned;
use crate::common::TestEnv;

/// The subcommands a help text lists under `Commands:`, without `help`.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.is_empty())
        // Wrapped descriptions are indented further than the names.
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn every_help_matches_its_snapshot() {
    let pinned = Pinned {
        env: TestEnv::empty(),
    };
    let dir = pinned.env.root();
    let mut pending = vec![Vec::<String>::new()];
    let mut names = BTreeSet::new();
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let text = pinned.transcript_at(&dir, super::NOW, &args);
        assert!(text.contains("\nexit: 0\n"), "{text}");
        let name = if path.is_empty() {
            "help".to_string()
        } else {
            format!("help_{}", path.join("_"))
        };
        pinned.assert_snapshot(&name, &text);
        names.insert(name);
        for sub in subcommands(&text) {
            let mut deeper = path.clone();
            deeper.push(sub);
            pending.push(deeper);
        }
    }
    assert!(names.contains("help_claude_install"), "{names:?}");

    // No snapshot of a subcommand that is gone.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/snapshots/snapshots");
    let stored: BTreeSet<String> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let file = e.unwrap().file_name().into_string().unwrap();
            let name = file
                .strip_prefix("cli__snapshots__")?
                .strip_suffix(".snap")?;
            (name == "help" || name.starts_with("help_")).then(|| name.to_string())
        })
        .collect();
    assert_eq!(stored, names, "snapshots of subcommands that do not exist");
}
