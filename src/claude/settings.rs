//! `sessions claude install` and `uninstall`: our hooks merged into, and
//! taken out of, a Claude Code settings file, leaving everything else as it
//! was.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use super::{STATE_EVENTS, WORKTREE_EVENTS, config_dir, hooks, is_our_hook};
use crate::error::Failure;

/// Which settings file to change.
#[derive(Debug, Clone)]
pub enum Scope {
    /// `<claude config dir>/settings.json`, for every project.
    User,
    /// `<worktree>/.claude/settings.local.json`, for one checkout, untracked.
    Project(PathBuf),
}

impl Scope {
    pub fn file(&self) -> Result<PathBuf> {
        match self {
            Scope::User => Ok(config_dir()
                .context("cannot tell where Claude's settings are: no home folder")?
                .join("settings.json")),
            Scope::Project(dir) => {
                // The checkout's links are the repository's, not the user's:
                // never write through one.
                let folder = dir.join(".claude");
                let file = folder.join("settings.local.json");
                for path in [&folder, &file] {
                    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                        bail!(
                            Failure::usage(format!(
                                "{} is a symbolic link; sessions writes project settings only into a plain file",
                                path.display()
                            ))
                            .with_hint("use `sessions claude install` for your own settings instead")
                        );
                    }
                }
                Ok(file)
            }
        }
    }
}

/// What install or uninstall did to the settings file.
#[derive(Debug, PartialEq, Eq)]
pub enum SettingsEdit {
    /// It already was as asked.
    Unchanged,
    /// Written; the previous file was copied to `backup` first.
    Written { backup: Option<PathBuf> },
}

/// Merges hooks calling EXE into FILE: the state hooks, and with `worktree`
/// the WorktreeCreate/WorktreeRemove ones. Running it again changes nothing.
pub fn install(file: &Path, exe: &Path, worktree: bool) -> Result<SettingsEdit> {
    let mut events = STATE_EVENTS.to_vec();
    if worktree {
        events.extend(WORKTREE_EVENTS);
    }
    let ours = hooks(exe, &events);
    update(file, |settings| {
        let all = settings
            .entry("hooks")
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(all) = all else {
            bail!("its \"hooks\" is not an object");
        };
        // Ours for events no longer hooked (an earlier release's) go too.
        remove_all_ours(all);
        for (event, group) in ours.as_object().expect("hooks are an object") {
            let list = all
                .entry(event.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(list) = list else {
                bail!("its \"hooks\".\"{event}\" is not a list");
            };
            remove_ours(list, event);
            list.extend(group.as_array().expect("a list of groups").iter().cloned());
        }
        Ok(())
    })
}

/// Takes every hook `install` added out of FILE again.
pub fn uninstall(file: &Path) -> Result<SettingsEdit> {
    update(file, |settings| {
        let Some(Value::Object(all)) = settings.get_mut("hooks") else {
            return Ok(());
        };
        let had_events = !all.is_empty();
        remove_all_ours(all);
        if had_events && all.is_empty() {
            settings.remove("hooks");
        }
        Ok(())
    })
}

/// Drops our hooks from every event, and the events they alone filled.
fn remove_all_ours(all: &mut Map<String, Value>) {
    all.retain(|event, list| {
        let Value::Array(list) = list else {
            return true;
        };
        let had_groups = !list.is_empty();
        remove_ours(list, event);
        !(had_groups && list.is_empty())
    });
}

/// Drops our hooks for EVENT from its groups, and the groups left empty.
fn remove_ours(groups: &mut Vec<Value>, event: &str) {
    groups.retain_mut(|group| {
        let Some(Value::Array(hooks)) = group.get_mut("hooks") else {
            return true;
        };
        let before = hooks.len();
        hooks.retain(|hook| {
            !hook
                .get("command")
                .and_then(Value::as_str)
                .is_some_and(|command| is_our_hook(command, event))
        });
        !(before > 0 && hooks.is_empty())
    });
}

/// Reads FILE (a missing one is `{}`), applies CHANGE, and when that changed
/// anything backs the old file up and writes the new one atomically.
fn update(
    file: &Path,
    change: impl FnOnce(&mut Map<String, Value>) -> Result<()>,
) -> Result<SettingsEdit> {
    let old = match fs::read_to_string(file) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let mut settings = match old.as_deref().map(str::trim) {
        None | Some("") => Map::new(),
        Some(text) => match serde_json::from_str(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => bail!(not_settings(file, "it is not a JSON object")),
            Err(e) => bail!(not_settings(file, &e.to_string())),
        },
    };
    let before = settings.clone();
    change(&mut settings).map_err(|e| not_settings(file, &format!("{e:#}")))?;
    if settings == before && old.is_some() {
        return Ok(SettingsEdit::Unchanged);
    }
    // Through a symbolic link to the file it names, so the link stays.
    let target = link_target(file);
    let dir = target.parent().context("a settings file has a folder")?;
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let like = fs::metadata(&target).ok();
    let backup = match &old {
        Some(text) => {
            let backup = PathBuf::from(format!("{}.bak", file.display()));
            write_replacing(&backup, text, like.as_ref()).with_context(|| {
                format!("cannot back up {} to {}", file.display(), backup.display())
            })?;
            Some(backup)
        }
        None => None,
    };
    let mut text = serde_json::to_string_pretty(&Value::Object(settings))?;
    text.push('\n');
    write_replacing(&target, &text, like.as_ref())
        .with_context(|| format!("cannot write {}", file.display()))?;
    Ok(SettingsEdit::Written { backup })
}

/// The file FILE names, following symbolic links (even to a file not made
/// yet).
fn link_target(file: &Path) -> PathBuf {
    let mut target = file.to_path_buf();
    // As many links as the system itself follows.
    for _ in 0..40 {
        match fs::read_link(&target) {
            Ok(next) => target = target.parent().unwrap_or(Path::new("/")).join(next),
            Err(_) => break,
        }
    }
    target
}

/// Replaces FILE with TEXT atomically, with the mode and owner of LIKE (the
/// file it replaces) from the start.
fn write_replacing(file: &Path, text: &str, like: Option<&fs::Metadata>) -> std::io::Result<()> {
    let how = crate::atomic::Options { hidden: true, like };
    crate::atomic::write(file, text.as_bytes(), how)
}

fn not_settings(file: &Path, why: &str) -> Failure {
    Failure::error(format!(
        "{} is not a Claude Code settings file sessions can change: {why}",
        file.display()
    ))
    .with_hint("fix or move the file; nothing was changed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(file: &Path) -> Value {
        serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap()
    }

    #[test]
    fn install_drops_our_hooks_for_events_no_longer_hooked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("settings.json");
        let earlier = json!({ "hooks": {
            "PreToolUse": [
                { "hooks": [{ "type": "command", "command": "/usr/bin/sessions hook PreToolUse" }] },
                { "matcher": "Bash", "hooks": [{ "type": "command", "command": "audit" }] }
            ],
            "SubagentStop": [
                { "hooks": [{ "type": "command", "command": "/usr/bin/sessions hook SubagentStop" }] }
            ]
        }});
        fs::write(&file, earlier.to_string()).unwrap();
        install(&file, Path::new("/usr/bin/sessions"), false).unwrap();
        let installed = read(&file);
        assert_eq!(
            installed["hooks"]["PreToolUse"],
            json!([earlier["hooks"]["PreToolUse"][1]])
        );
        assert!(installed["hooks"].get("SubagentStop").is_none());
        assert!(installed["hooks"].get("Stop").is_some());
    }

    #[test]
    fn install_merges_once_and_uninstall_takes_exactly_ours_out() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("settings.json");
        let theirs = json!({
            "model": "opus",
            "hooks": {
                "Stop": [{ "hooks": [{ "type": "command", "command": "notify-send done" }] }],
                "PreToolUse": [{ "matcher": "Bash", "hooks": [{ "type": "command", "command": "audit" }] }]
            },
            "permissions": { "allow": ["Bash(ls)"] }
        });
        let original = serde_json::to_string_pretty(&theirs).unwrap();
        fs::write(&file, &original).unwrap();
        let exe = Path::new("/usr/bin/sessions");

        let change = install(&file, exe, false).unwrap();
        assert_eq!(
            change,
            SettingsEdit::Written {
                backup: Some(dir.path().join("settings.json.bak"))
            }
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("settings.json.bak")).unwrap(),
            original
        );
        let installed = read(&file);
        assert_eq!(installed["model"], "opus");
        assert_eq!(installed["permissions"], theirs["permissions"]);
        let stop = installed["hooks"]["Stop"].as_array().unwrap();
        assert_eq!(stop.len(), 2);
        assert_eq!(stop[0], theirs["hooks"]["Stop"][0]);
        assert_eq!(
            stop[1]["hooks"][0]["command"],
            "/usr/bin/sessions hook Stop"
        );
        assert!(installed["hooks"].get("WorktreeCreate").is_none());
        let keys: Vec<&String> = installed.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["model", "hooks", "permissions"]);

        assert_eq!(install(&file, exe, false).unwrap(), SettingsEdit::Unchanged);
        // A moved binary replaces its old hooks rather than adding more.
        install(&file, Path::new("/opt/sessions"), true).unwrap();
        let moved = read(&file);
        assert_eq!(moved["hooks"]["Stop"].as_array().unwrap().len(), 2);
        assert_eq!(
            moved["hooks"]["WorktreeCreate"][0]["hooks"][0]["command"],
            "/opt/sessions hook WorktreeCreate"
        );

        assert!(matches!(
            uninstall(&file).unwrap(),
            SettingsEdit::Written { .. }
        ));
        assert_eq!(read(&file), theirs);
        assert_eq!(uninstall(&file).unwrap(), SettingsEdit::Unchanged);
    }

    #[test]
    fn install_creates_a_missing_file_and_uninstall_leaves_it_empty() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".claude").join("settings.local.json");
        let change = install(&file, Path::new("/bin/sessions"), true).unwrap();
        assert_eq!(change, SettingsEdit::Written { backup: None });
        let hooks = read(&file)["hooks"].as_object().unwrap().len();
        assert_eq!(hooks, STATE_EVENTS.len() + WORKTREE_EVENTS.len());
        uninstall(&file).unwrap();
        assert_eq!(read(&file), json!({}));
    }

    #[test]
    fn a_file_that_is_not_settings_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("settings.json");
        for text in ["{ \"hooks\": ", "[1, 2]", "{\"hooks\": []}"] {
            fs::write(&file, text).unwrap();
            let err = install(&file, Path::new("/bin/sessions"), false).unwrap_err();
            assert!(crate::error::failure_of(&err).is_some(), "{err:#}");
            assert_eq!(fs::read_to_string(&file).unwrap(), text);
            assert!(!dir.path().join("settings.json.bak").exists());
        }
    }
}
