//! Every command in docs/guide.md must work as written: the blocks fenced as
//! ```` ```sh runnable ```` run, in order, in one bash in a fresh clone with a remote.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{TestEnv, write_file};

const GUIDE: &str = include_str!("../../docs/guide.md");

/// The runnable blocks of a Markdown text, with the line each starts on.
fn runnable_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut current {
            None if trimmed.starts_with("```") => {
                let info: Vec<&str> = trimmed.trim_start_matches('`').split_whitespace().collect();
                if info.contains(&"runnable") {
                    current = Some((index + 2, String::new()));
                } else {
                    // Skip a block that is not runnable.
                    current = Some((0, String::new()));
                }
            }
            None => {}
            Some(_) if trimmed.starts_with("```") => {
                let (line, body) = current.take().unwrap();
                if line > 0 {
                    blocks.push((line, body));
                }
            }
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    assert!(
        current.is_none(),
        "docs/guide.md has an unclosed code block"
    );
    blocks
}

#[test]
fn the_parser_finds_runnable_blocks_only() {
    let text =
        "a\n```sh runnable\necho one\n```\n```sh\nnot me\n```\n```sh runnable\necho two\n```\n";
    assert_eq!(
        runnable_blocks(text),
        vec![(3, "echo one\n".to_string()), (9, "echo two\n".to_string())]
    );
}

#[test]
fn every_runnable_command_in_the_guide_works() {
    let blocks = runnable_blocks(GUIDE);
    assert!(
        blocks.len() >= 5,
        "the guide should show its workflow in runnable blocks"
    );

    // Where users stand: a clone whose sessions start from `origin/main`.
    let env = TestEnv::cloned();
    let bin = env.root().join("bin");
    fs::create_dir_all(&bin).unwrap();
    let sessions = Path::new(env!("CARGO_BIN_EXE_sessions"));
    std::os::unix::fs::symlink(sessions, bin.join("sessions")).unwrap();
    // The agent is not what the guide tests: a stand-in that ends at once.
    write_file(&bin.join("claude"), "#!/bin/sh\nexit 0\n");
    set_executable(&bin.join("claude"));

    let mut script = String::from("set -euo pipefail\n");
    for (line, body) in &blocks {
        script.push_str(&format!("echo '--- docs/guide.md:{line}' >&2\n{body}"));
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&env.repo)
        .envs(env.vars())
        .env("PATH", path)
        .env_remove("SESSIONS_CONFIG")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "a guide command failed (the last '---' line names its block):\n{stderr}\nstdout:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}
