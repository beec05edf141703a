//! Trust in a project's commands. A cloned repository's `.sessions.toml` can
//! name commands (setup, teardown, the agent); none of them runs until the
//! person approves them. Approval is a SHA-256 of the repository folder and
//! its commands, kept in the user's data dir, so changed commands need
//! approval again. docs/design.md, "Trust", says more.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufRead, ErrorKind, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;

/// Whether a project's commands may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No project commands, or the person approved exactly these.
    Trusted,
    /// Asked on a terminal, and the answer was no.
    Declined,
    /// Not approved, and there is no terminal to ask on.
    Unapproved,
}

#[derive(Default, Serialize, Deserialize)]
struct TrustFile {
    /// Repository folder -> hash of its approved commands.
    #[serde(default)]
    trusted: BTreeMap<String, String>,
}

/// Where approvals are kept: `$XDG_DATA_HOME/sessions/trusted.toml`.
pub fn store_file() -> Option<PathBuf> {
    let dir = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(dirs::data_dir)?;
    Some(dir.join("sessions").join("trusted.toml"))
}

/// The hash that approval records: the repository and every project
/// command with the key it came from.
pub fn digest(root: &Path, commands: &[(String, String)]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(root.to_string_lossy().as_bytes());
    for (key, command) in commands {
        hasher.update([0]);
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(command.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether these exact commands of the repository at `root` were approved.
pub fn is_approved(root: &Path, commands: &[(String, String)]) -> Result<bool> {
    if commands.is_empty() {
        return Ok(true);
    }
    let Some(file) = store_file() else {
        return Ok(false);
    };
    let stored = read(&file)?;
    Ok(stored.trusted.get(&key(root)) == Some(&digest(root, commands)))
}

/// Records approval of these commands, replacing any earlier one.
pub fn approve(root: &Path, commands: &[(String, String)]) -> Result<()> {
    let file = store_file().context("cannot find a data folder to keep approvals in")?;
    let mut stored = read(&file)?;
    stored.trusted.insert(key(root), digest(root, commands));
    let dir = file.parent().expect("the trust file has a folder");
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let temp = dir.join(format!("trusted.toml.tmp-{}", std::process::id()));
    let write = || -> io::Result<()> {
        let mut out = File::create(&temp)?;
        out.write_all(
            toml::to_string(&stored)
                .map_err(io::Error::other)?
                .as_bytes(),
        )?;
        out.sync_all()?;
        fs::rename(&temp, &file)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&temp);
        anyhow::Error::new(e).context(format!("cannot write {}", file.display()))
    })
}

/// Whether the project commands of `config` may run: approved already, or
/// approved now by the person at the terminal. Never asks without one.
pub fn check(config: &Config, root: &Path) -> Result<Verdict> {
    let commands = config.project_commands();
    if is_approved(root, &commands)? {
        return Ok(Verdict::Trusted);
    }
    if !(io::stdin().is_terminal() && io::stderr().is_terminal()) {
        return Ok(Verdict::Unapproved);
    }
    show(root, &commands, &mut io::stderr())?;
    if ask("Run these commands? [y/N] ")? {
        approve(root, &commands)?;
        Ok(Verdict::Trusted)
    } else {
        Ok(Verdict::Declined)
    }
}

/// Lists the commands for review.
pub fn show(root: &Path, commands: &[(String, String)], out: &mut impl Write) -> Result<()> {
    writeln!(
        out,
        "{} asks to run:",
        root.join(crate::config::PROJECT_FILE).display()
    )?;
    for (key, command) in commands {
        writeln!(out, "  {key}: {command}")?;
    }
    Ok(())
}

/// A yes/no question on the terminal; anything but yes is no.
pub fn ask(question: &str) -> Result<bool> {
    eprint!("{question}");
    io::stderr().flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}

fn key(root: &Path) -> String {
    root.to_string_lossy().into_owned()
}

fn read(file: &Path) -> Result<TrustFile> {
    match fs::read_to_string(file) {
        Ok(text) => toml::from_str(&text)
            .with_context(|| format!("{} does not parse; delete it to start over", file.display())),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(TrustFile::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", file.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_changes_with_any_command_or_the_repository() {
        let cmds = |c: &str| vec![("setup".to_string(), c.to_string())];
        let a = digest(Path::new("/r"), &cmds("npm ci"));
        assert_eq!(a, digest(Path::new("/r"), &cmds("npm ci")));
        assert_ne!(a, digest(Path::new("/r"), &cmds("npm ci; curl x")));
        assert_ne!(a, digest(Path::new("/other"), &cmds("npm ci")));
        assert_eq!(a.len(), 64);
    }
}
