//! Reading one configuration file: opened safely, parsed, and checked, with
//! errors that name the file, the key and the line.

use std::io::ErrorKind;
use std::path::{Component, Path};

use anyhow::{Context, Result, bail};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Layer, keys};
use crate::error::Failure;
use crate::shell::quote_path;

/// Whose file a layer is: the user's may be a link (dotfile managers make
/// it one); the project's comes with the repository and is never followed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    User,
    Project,
}

/// Reads and checks one file; `None` when it does not exist (and need not).
pub(super) fn read_layer(file: &Path, must_exist: bool, origin: Origin) -> Result<Option<Layer>> {
    let text = match read_text(file, must_exist, origin) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(None),
        // Not a plain file, or too large: the file itself is the bad input.
        Err(e) if e.kind() == ErrorKind::Other => bail!(
            Failure::usage(format!("cannot read {}: {e}", file.display()))
                .with_hint(format!("ls -l -- {}", quote_path(file)))
        ),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read {}", file.display()));
        }
    };
    check_keys(file, &text)?;
    let layer: Layer = toml::from_str(&text).map_err(|e| {
        let start = e.span().map_or(0, |s| s.start.min(text.len()));
        let key = key_at(&text, start).map_or_else(String::new, |k| format!(", key `{k}`"));
        Failure::usage(format!(
            "{}, line {}{key}: {}",
            file.display(),
            line_at(&text, start),
            e.message().trim_end()
        ))
        .with_hint("`sessions config` shows the keys and the effective values")
    })?;
    validate(file, &text, &layer)?;
    Ok(Some(layer))
}

/// The text of a configuration file, `None` when it is missing (and may
/// be), read only as a plain file of reasonable size: a link to
/// `/dev/zero`, a FIFO or a huge file must not hang or exhaust the machine.
fn read_text(file: &Path, must_exist: bool, origin: Origin) -> std::io::Result<Option<String>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    const LIMIT: u64 = 1 << 20;
    let nofollow = match origin {
        Origin::User => 0,
        Origin::Project => libc::O_NOFOLLOW,
    };
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nofollow | libc::O_NONBLOCK)
        .open(file);
    let handle = match opened {
        Ok(handle) => handle,
        Err(e) if e.kind() == ErrorKind::NotFound && !must_exist => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(std::io::Error::other(
                "it is a symbolic link; a configuration file must be a plain file",
            ));
        }
        Err(e) => return Err(e),
    };
    if !handle.metadata()?.is_file() {
        return Err(std::io::Error::other(
            "it is not a plain file; a configuration file must be one",
        ));
    }
    let mut text = String::new();
    handle.take(LIMIT + 1).read_to_string(&mut text)?;
    if text.len() as u64 > LIMIT {
        return Err(std::io::Error::other("it is larger than 1 MiB"));
    }
    Ok(Some(text))
}

/// Rejects the first key that is not in `KEYS`, naming the nearest that
/// is. Types, and syntax errors, are left to serde.
fn check_keys(file: &Path, text: &str) -> Result<()> {
    fn unknown<'t>(table: &'t DeTable<'_>, path: &mut Vec<&'t str>) -> Option<usize> {
        for (key, value) in table {
            path.push(key.get_ref());
            if !keys::is_known(path) {
                return Some(key.span().start);
            }
            // A table where a value belongs is a wrong type, serde's to report.
            if let DeValue::Table(inner) = value.get_ref()
                && !keys::is_key(path)
                && let Some(at) = unknown(inner, path)
            {
                return Some(at);
            }
            path.pop();
        }
        None
    }
    let Ok(doc) = DeTable::parse(text) else {
        return Ok(());
    };
    let mut path = Vec::new();
    let Some(at) = unknown(doc.get_ref(), &mut path) else {
        return Ok(());
    };
    let nearest = keys::nearest(&path).map_or_else(String::new, |(name, key)| {
        format!("; the nearest is `{name}` ({})", key.about)
    });
    bail!(
        Failure::usage(format!(
            "{}, line {}, key `{}`: unknown key{nearest}",
            file.display(),
            line_at(text, at),
            path.join("."),
        ))
        .with_hint("`sessions config` shows the keys and the effective values")
    )
}

/// Checks what the types alone cannot.
fn validate(file: &Path, text: &str, layer: &Layer) -> Result<()> {
    let bad = |path: &[&str], why: String| -> anyhow::Error {
        let line = span_of(text, path)
            .map_or_else(String::new, |at| format!(", line {}", line_at(text, at)));
        let key = path.join(".");
        Failure::usage(format!("{}{line}, key `{key}`: {why}", file.display())).into()
    };
    if let Some(template) = &layer.worktree_dir {
        if !template.contains("{name}") && !template.contains("{branch}") {
            return Err(bad(
                &["worktree_dir"],
                "must contain {name} or {branch}, or every session would share one folder".into(),
            ));
        }
        // A placeholder undone by a later `..` leaves every session one folder.
        if let Some(at) = template.find(['{'])
            && Path::new(&template[at..])
                .components()
                .any(|c| c == Component::ParentDir)
        {
            return Err(bad(
                &["worktree_dir"],
                "has '..' after {name}, {branch} or {repo}; put any '..' first".into(),
            ));
        }
        let mut rest = template.as_str();
        while let Some(open) = rest.find('{') {
            let after = &rest[open..];
            let close = after.find('}').map_or(after.len(), |c| c + 1);
            let placeholder = &after[..close];
            if !["{repo}", "{name}", "{branch}"].contains(&placeholder) {
                return Err(bad(
                    &["worktree_dir"],
                    format!(
                        "unknown placeholder {placeholder}; use {{repo}}, {{name}} or {{branch}}"
                    ),
                ));
            }
            rest = &after[close..];
        }
    }
    if let Some(prefix) = &layer.branch_prefix
        && !prefix.is_empty()
        && !crate::git::Repo::is_valid_branch_name(&format!("{prefix}x"))
    {
        return Err(bad(
            &["branch_prefix"],
            format!("'{prefix}' cannot start a git branch name"),
        ));
    }
    if let Some(base) = &layer.base
        && let Err(why) = crate::name::validate_rev("base", base)
    {
        return Err(bad(&["base"], why.message));
    }
    if layer.port_base == Some(0) {
        return Err(bad(&["port_base"], "must be between 1 and 65535".into()));
    }
    for (key, commands) in [("setup", &layer.setup), ("teardown", &layer.teardown)] {
        if commands.iter().flatten().any(|c| c.trim().is_empty()) {
            return Err(bad(&[key], "has an empty command".into()));
        }
    }
    if let Some(notify) = &layer.notify {
        if let Some(after) = &notify.idle_after
            && super::parse_duration(after).is_none()
        {
            return Err(bad(
                &["notify", "idle_after"],
                format!(
                    "'{after}' is not a duration; write one like \"60s\", \"2m\" or \"1h 30m\""
                ),
            ));
        }
        if notify
            .command
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            return Err(bad(&["notify", "command"], "the command is empty".into()));
        }
    }
    if let Some(agent) = &layer.agent {
        if agent
            .command
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            return Err(bad(
                &["agent", "command"],
                "the agent command is empty".into(),
            ));
        }
        for (name, profile) in &agent.profiles {
            if crate::name::validate_as("profile name", name).is_err() {
                return Err(bad(
                    &["agent", "profiles", name],
                    format!("'{name}' is not a usable profile name"),
                ));
            }
            if profile
                .command
                .as_deref()
                .is_some_and(|c| c.trim().is_empty())
            {
                return Err(bad(
                    &["agent", "profiles", name, "command"],
                    format!("profile '{name}' has an empty command"),
                ));
            }
        }
    }
    Ok(())
}

/// The 1-based line of byte `offset` in `text`.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The document's tree with every key's and value's span; parsed again
/// only on the error path, and recoverably so a syntax error still has keys.
fn spanned(text: &str) -> Spanned<DeTable<'_>> {
    DeTable::parse_recoverable(text).0
}

/// The dotted key whose name or value holds byte `offset`, the deepest one
/// when tables nest. Tables from `[headers]` are not contiguous in the text,
/// so every branch is searched, not only the ones whose span holds `offset`.
fn key_at(text: &str, offset: usize) -> Option<String> {
    fn search(table: &DeTable<'_>, offset: usize, path: &mut Vec<String>) -> bool {
        for (key, value) in table {
            path.push(key.get_ref().to_string());
            if let DeValue::Table(inner) = value.get_ref()
                && search(inner, offset, path)
            {
                return true;
            }
            if key.span().contains(&offset) || value.span().contains(&offset) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = Vec::new();
    search(spanned(text).get_ref(), offset, &mut path).then(|| path.join("."))
}

/// Where the key at PATH is written (its name, in a header or before `=`),
/// for errors found after parsing.
fn span_of(text: &str, path: &[&str]) -> Option<usize> {
    let doc = spanned(text);
    let mut table = doc.get_ref();
    let (last, parents) = path.split_last()?;
    for part in parents {
        table = table.get(*part)?.get_ref().as_table()?;
    }
    let (key, _) = table.get_key_value(*last)?;
    Some(key.span().start)
}
