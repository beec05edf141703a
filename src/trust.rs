//! Trust in a project's commands. A cloned repository's `.sessions.toml` can
//! name commands (setup, teardown, land checks, the agent) and values that
//! change where sessions write or what leaves the machine (`worktree_dir`
//! outside the repository's area, `land.push`); none of them applies until
//! the person approves them. Approval is a SHA-256 of the repository folder
//! and those values, kept in the user's data dir, so changed values need
//! approval again. docs/design.md, "Trust", says more.

use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{Config, Setting};

/// Whether a project's commands may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// No project commands, or the person approved exactly these.
    Trusted,
    /// Asked, and the answer was no.
    Declined,
    /// Not approved, and nobody to ask.
    Unapproved,
}

/// What approval is asked for: the values of the project at `root`.
pub struct Request<'a> {
    pub root: &'a Path,
    pub values: &'a [Value],
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

/// A project value as approval sees it: its key and its exact words.
pub type Value = (String, Vec<String>);

/// The hash that approval records: the repository and every project value
/// with the key it came from, as JSON, so that where one argument ends and
/// the next begins is part of what was approved.
pub fn digest(root: &Path, values: &[Value]) -> String {
    let encoded = serde_json::to_vec(&(key(root), values)).expect("strings always encode as JSON");
    Sha256::digest(&encoded)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every project value that approval covers, by key, each as its exact
/// words (a shell command, or a program and its arguments): the
/// commands, and the values that change where sessions write or what
/// leaves the machine. Approving these is approving the file.
pub fn project_values(config: &Config) -> Vec<Value> {
    let mut all = Vec::new();
    let mut add = |key: &str, commands: &Setting<Vec<String>>| {
        // A project's empty list takes the user's own commands away (their
        // land checks, say): that needs approval as much as adding some.
        if commands.source.is_project() && commands.value.is_empty()
            || config.withheld.cleared.contains(&key)
        {
            all.push((key.to_string(), Vec::new()));
        } else if commands.source.is_project() {
            all.extend(
                commands
                    .value
                    .iter()
                    .map(|c| (key.to_string(), vec![c.clone()])),
            );
        }
    };
    add("setup", &config.setup);
    add("teardown", &config.teardown);
    add("land.check", &config.land_check);
    if config.agent_command.source.is_project() || config.agent_args.source.is_project() {
        let mut line = vec![config.agent_command.value.clone()];
        line.extend(config.agent_args.value.iter().cloned());
        all.push(("agent".into(), line));
    }
    for (name, profile) in &config.profiles {
        if profile.source.is_project() {
            if let Some(command) = &profile.value.command {
                all.push((
                    format!("agent.profiles.{name}.command"),
                    vec![command.clone()],
                ));
            }
            if let Some(args) = &profile.value.args {
                all.push((format!("agent.profiles.{name}.args"), args.clone()));
            }
        }
    }
    for (name, value) in &config.env {
        if value.source.is_project() {
            all.push((format!("env.{name}"), vec![value.value.clone()]));
        }
    }
    let push = config
        .withheld
        .land_push
        .as_ref()
        .unwrap_or(&config.land_push);
    if push.source.is_project() && push.value {
        all.push(("land.push".into(), vec!["true".into()]));
    }
    let notify = (config.withheld.notify_command.as_ref()).unwrap_or(&config.notify_command);
    if let (true, Some(command)) = (notify.source.is_project(), &notify.value) {
        all.push(("notify.command".into(), vec![command.clone()]));
    }
    let dir = (config.withheld.worktree_dir.as_ref()).unwrap_or(&config.worktree_dir);
    if dir.source.is_project() && !is_confined_template(&dir.value) {
        all.push(("worktree_dir".into(), vec![dir.value.clone()]));
    }
    // Only what the project adds to the user's list: a narrower one
    // deletes less, and needs no approval.
    if !config.withheld.added_artifacts.is_empty() {
        all.push(("artifacts".into(), config.withheld.added_artifacts.clone()));
    }
    all
}

/// Until the project is approved, a project `land.push` counts as the
/// user's (or false), a project `artifacts` list that names folders the
/// user's does not as the user's (or the default), and a project
/// `worktree_dir` outside the repository's own area as the user's (or the
/// default); placing a new session asks for approval before using the
/// latter. What is held back
/// is said in `config.withheld.warnings`, for whoever loaded it to show.
pub fn withhold_unapproved(config: &mut Config, root: &Path, fallback: &Config) {
    let push = config.land_push.source.is_project() && config.land_push.value;
    // Run by hooks, which cannot ask: held back here, so that every command
    // says so, rather than skipped unseen.
    let notify = config.notify_command.source.is_project() && config.notify_command.value.is_some();
    let dir = config.worktree_dir.source.is_project()
        && !is_confined_template(&config.worktree_dir.value);
    // Naming a folder to delete that the user's list does not: a project
    // could call the data it ignores a build output.
    if config.artifacts.source.is_project() {
        config.withheld.added_artifacts = (config.artifacts.value.iter())
            .filter(|a| !fallback.artifacts.value.contains(a))
            .cloned()
            .collect();
    }
    let artifacts = !config.withheld.added_artifacts.is_empty();
    let clears = |project: &Setting<Vec<String>>, user: &Setting<Vec<String>>| {
        project.source.is_project() && project.value.is_empty() && !user.value.is_empty()
    };
    let cleared = [
        clears(&config.setup, &fallback.setup),
        clears(&config.teardown, &fallback.teardown),
        clears(&config.land_check, &fallback.land_check),
    ];
    // An unreadable approval store withholds, like a missing approval.
    if !(push || notify || dir || artifacts || cleared.contains(&true))
        || is_approved(root, &project_values(config)).unwrap_or(false)
    {
        return;
    }
    let fields = [
        ("setup", &mut config.setup, &fallback.setup),
        ("teardown", &mut config.teardown, &fallback.teardown),
        ("land.check", &mut config.land_check, &fallback.land_check),
    ];
    for ((key, field, user), cleared) in fields.into_iter().zip(cleared) {
        if cleared {
            config.withheld.warnings.push(format!(
                "keeping your own {key} commands: {} empties the list, which needs approval; review it with `sessions trust`",
                field.source
            ));
            *field = user.clone();
            config.withheld.cleared.push(key);
        }
    }
    if push {
        let project = std::mem::replace(&mut config.land_push, fallback.land_push.clone());
        config.withheld.warnings.push(format!(
            "ignoring land.push = true from {}: pushing needs approval; review it with `sessions trust`",
            project.source
        ));
        config.withheld.land_push = Some(project);
    }
    if notify {
        let project =
            std::mem::replace(&mut config.notify_command, fallback.notify_command.clone());
        config.withheld.warnings.push(format!(
            "not running notify.command from {}: it needs approval; review it with `sessions trust`",
            project.source
        ));
        config.withheld.notify_command = Some(project);
    }
    if dir {
        let project = std::mem::replace(&mut config.worktree_dir, fallback.worktree_dir.clone());
        config.withheld.worktree_dir = Some(project);
    }
    if artifacts {
        let project = std::mem::replace(&mut config.artifacts, fallback.artifacts.clone());
        let added = &config.withheld.added_artifacts;
        config.withheld.warnings.push(format!(
            "not deleting {} as artifacts: {} adds {} to the list, which needs approval; review it with `sessions trust`",
            added.join(", "),
            project.source,
            if added.len() == 1 { "it" } else { "them" },
        ));
        config.withheld.artifacts = Some(project);
    }
}

/// Whether a project's `worktree_dir` keeps sessions in the repository's own
/// area without approval: relative, at most one `..` and only at the start
/// (beside or below the main worktree's parent), never into a hidden folder
/// beside the repository (`~/.config`, say), never into a `.git`, and never
/// into a folder beside it named by the session alone: `../{name}` puts a
/// session called `bin` at `~/bin` for a clone in the home folder, which
/// the usual `~/.profile` puts on PATH.
pub fn is_confined_template(template: &str) -> bool {
    if template.starts_with('~') || Path::new(template).has_root() {
        return false;
    }
    let mut parts = Path::new(template)
        .components()
        .filter(|c| *c != Component::CurDir)
        .peekable();
    let beside = parts.next_if_eq(&Component::ParentDir).is_some();
    parts.enumerate().all(|(i, part)| match part {
        Component::Normal(part) => {
            let part = part.to_string_lossy();
            let hidden_beside = beside && i == 0 && part.starts_with('.');
            let named_by_session = beside
                && i == 0
                && (part.contains("{name}") || part.contains("{branch}"))
                && !part.contains("{repo}");
            !(part.eq_ignore_ascii_case(".git") || hidden_beside || named_by_session)
        }
        _ => false,
    })
}

/// Whether these exact values of the repository at `root` were approved.
pub fn is_approved(root: &Path, commands: &[Value]) -> Result<bool> {
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
pub fn approve(root: &Path, commands: &[Value]) -> Result<()> {
    let file = store_file().context("cannot find a data folder to keep approvals in")?;
    let mut stored = read(&file)?;
    stored.trusted.insert(key(root), digest(root, commands));
    let dir = file.parent().expect("the trust file has a folder");
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let text = toml::to_string(&stored)?;
    crate::atomic::write(&file, text.as_bytes(), Default::default())
        .with_context(|| format!("cannot write {}", file.display()))
}

/// Lists the values for review; a program and its arguments as a list of
/// quoted words, so that each argument shows where it ends.
pub fn show(root: &Path, values: &[Value], out: &mut impl Write) -> Result<()> {
    writeln!(
        out,
        "{} asks for:",
        root.join(crate::config::PROJECT_FILE).display()
    )?;
    for (key, words) in values {
        // A profile's name is the file's words too.
        let shown = if key.chars().all(plain) {
            key.clone()
        } else {
            quoted(key)
        };
        match &words[..] {
            // Raw only when every character prints as itself: a hidden `\r`,
            // a C1 control, a bidi override or a zero-width space would let
            // the file show one command and approve another.
            [one] if key != "agent" && !key.ends_with(".args") && one.chars().all(plain) => {
                writeln!(out, "  {shown}: {one}")?
            }
            words => {
                let quoted: Vec<String> = words.iter().map(|w| quoted(w)).collect();
                writeln!(out, "  {shown}: [{}]", quoted.join(", "))?
            }
        }
    }
    Ok(())
}

/// Whether C shows on a terminal as exactly itself: Rust's own test for
/// what `{:?}` spells out (controls, format characters such as bidi
/// overrides and zero-width spaces, separators other than the space,
/// unassigned code points, combining marks).
fn plain(c: char) -> bool {
    matches!(c, ' ' | '"' | '\'' | '\\') || c.escape_debug().eq([c])
}

/// WORD in double quotes, every character that is not plain spelled out
/// (`\u{202e}`), so that nothing in it can redraw the review.
fn quoted(word: &str) -> String {
    let mut text = String::from('"');
    for c in word.chars() {
        match c {
            '"' | '\\' => {
                text.push('\\');
                text.push(c);
            }
            c if plain(c) => text.push(c),
            c => text.extend(c.escape_debug()),
        }
    }
    text.push('"');
    text
}

/// ROOT as approvals name it: as written when it is UTF-8 (as approvals
/// always have), else quoted with its other bytes spelled out (`\xFF`), so
/// that two folders whose names differ only in such bytes are never one
/// folder to approval. No absolute path starts with the quote.
fn key(root: &Path) -> String {
    match root.to_str() {
        Some(text) => text.to_string(),
        None => format!("{:?}", root.as_os_str()),
    }
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
    fn project_templates_outside_the_repository_area_are_not_confined() {
        for ok in [
            crate::config::DEFAULT_WORKTREE_DIR,
            ".worktrees/{name}",
            "./wt/{branch}",
            "../trees/{repo}/{name}",
            "../{repo}-{name}",
        ] {
            assert!(is_confined_template(ok), "{ok}");
        }
        for bad in [
            "~/wt/{name}",
            "/tmp/{name}",
            "../../{name}",
            "../.config/{name}",
            ".git/worktrees/{name}",
            "sub/.GIT/{name}",
            "wt/../../x/{name}",
            "../{name}",
            "./../{branch}",
            "../wt-{name}/x",
        ] {
            assert!(!is_confined_template(bad), "{bad}");
        }
    }

    #[test]
    fn the_digest_keeps_argument_boundaries() {
        let agent = |words: &[&str]| {
            let words = words.iter().map(|w| w.to_string()).collect();
            vec![("agent".to_string(), words)]
        };
        let root = Path::new("/r");
        let joined = digest(root, &agent(&["claude", "--model x"]));
        assert_ne!(joined, digest(root, &agent(&["claude", "--model", "x"])));
        assert_ne!(joined, digest(root, &agent(&["claude --model", "x"])));
    }

    #[test]
    fn the_digest_changes_with_any_command_or_the_repository() {
        let cmds = |c: &str| vec![("setup".to_string(), vec![c.to_string()])];
        let a = digest(Path::new("/r"), &cmds("npm ci"));
        assert_eq!(a, digest(Path::new("/r"), &cmds("npm ci")));
        assert_ne!(a, digest(Path::new("/r"), &cmds("npm ci; curl x")));
        assert_ne!(a, digest(Path::new("/other"), &cmds("npm ci")));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn an_unapproved_land_push_is_withheld_with_a_warning_to_show() {
        use crate::config::{PROJECT_FILE, Source};
        let temp = tempfile::tempdir().unwrap();
        let fallback = Config::default();
        let mut config = Config {
            land_push: Setting {
                value: true,
                source: Source::Project(temp.path().join(PROJECT_FILE)),
            },
            ..Config::default()
        };
        withhold_unapproved(&mut config, temp.path(), &fallback);
        assert!(!config.land_push.value);
        let warnings = config.withheld_warnings();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with("ignoring land.push = true from "));
    }

    #[test]
    fn a_project_artifacts_list_needs_approval_only_for_what_it_adds() {
        use crate::config::{PROJECT_FILE, Source};
        let temp = tempfile::tempdir().unwrap();
        let fallback = Config::default();
        let project = |names: &[&str]| Config {
            artifacts: Setting {
                value: names.iter().map(|n| n.to_string()).collect(),
                source: Source::Project(temp.path().join(PROJECT_FILE)),
            },
            ..Config::default()
        };
        let mut narrower = project(&["node_modules"]);
        withhold_unapproved(&mut narrower, temp.path(), &fallback);
        assert_eq!(narrower.artifacts.value, ["node_modules"]);
        assert!(project_values(&narrower).is_empty());
        assert!(narrower.withheld_warnings().is_empty());

        let mut wider = project(&["node_modules", "data"]);
        withhold_unapproved(&mut wider, temp.path(), &fallback);
        assert_eq!(wider.artifacts.value, fallback.artifacts.value);
        assert_eq!(
            project_values(&wider),
            [("artifacts".to_string(), vec!["data".to_string()])]
        );
        assert!(wider.withheld_warnings()[0].starts_with("not deleting data as artifacts"));
    }
}
