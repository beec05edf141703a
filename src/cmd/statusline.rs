//! `sessions statusline`: Claude Code's status line (`claude install
//! --statusline`), showing inside each Claude session the other sessions of
//! its repository that need the user: `api-fix waiting · 2 working`. Claude
//! runs it after every message, so like `status` it reads the registry and
//! nothing else. The user's own status line, when they had one, runs first
//! on the same input and keeps its place at the front.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::Result;
use serde_json::Value;

use super::status::Tally;
use crate::cli::StatuslineArgs;
use crate::registry::Registry;

pub fn run(args: StatuslineArgs) -> Result<()> {
    let mut input = Vec::new();
    // Claude always sends its JSON; a status line that fails shows nothing,
    // so a bad one only leaves our part out.
    let _ = std::io::stdin().read_to_end(&mut input);
    let theirs = args.theirs.map(|command| run_theirs(&command, &input));
    let ours = others(&input).unwrap_or_default();
    let mut lines: Vec<String> = theirs
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    match lines.first_mut() {
        Some(first) if !ours.is_empty() => {
            first.push_str("  ");
            first.push_str(&ours);
        }
        Some(_) => {}
        None => lines.push(ours),
    }
    let mut out = std::io::stdout().lock();
    for line in lines.iter().filter(|l| !l.is_empty()) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The line for the sessions of INPUT's repository other than the one
/// Claude runs in (by its conversation id, or the folder it works in).
fn others(input: &[u8]) -> Option<String> {
    let input: Value = serde_json::from_slice(input).ok()?;
    let dir = input
        .pointer("/workspace/current_dir")
        .or_else(|| input.get("cwd"))
        .and_then(Value::as_str)
        .map(PathBuf::from)?;
    let session_id = input.get("session_id").and_then(Value::as_str);
    let repo = crate::git::Repo::discover(&dir).ok()?;
    let entries: Vec<_> = Registry::new(repo.common_dir())
        .read()
        .ok()?
        .into_iter()
        .filter(|e| {
            let same_conversation = session_id.is_some_and(|id| {
                e.agent.as_ref().and_then(|a| a.session_id.as_deref()) == Some(id)
            });
            !same_conversation && !dir.starts_with(&e.path)
        })
        .collect();
    let mut tally = Tally::default();
    tally.add(&entries, None);
    let mut parts: Vec<String> = Vec::new();
    if !tally.waiting.is_empty() {
        parts.push(format!("{} waiting", tally.waiting.join(", ")));
    }
    if !tally.error.is_empty() {
        parts.push(format!("{} failed", tally.error.join(", ")));
    }
    if tally.working > 0 {
        parts.push(format!("{} working", tally.working));
    }
    Some(parts.join(" · "))
}

/// What the user's own status line COMMAND prints for INPUT; nothing when
/// it fails to run.
fn run_theirs(command: &str, input: &[u8]) -> String {
    let child = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return String::new();
    };
    if let Some(mut stdin) = child.stdin.take() {
        // One that does not read its input is no error.
        let _ = stdin.write_all(input);
    }
    child
        .wait_with_output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}
