//! Claude Code's `statusLine` setting: ours (`sessions statusline`) put in
//! front of the user's own, which ours then runs and keeps on the line, and
//! theirs given back on uninstall. Theirs travels in our command line
//! (`--theirs COMMAND`), so the settings file alone says how to undo it.

use std::ffi::OsStr;
use std::path::Path;

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

use crate::shell::quote;

const KEY: &str = "statusLine";

/// Sets FILE's SETTINGS `statusLine` to run `EXE statusline`, carrying the
/// user's own status line command along. Running it again, or from a moved
/// binary, keeps the same command of theirs.
pub fn install(settings: &mut Map<String, Value>, exe: &Path) -> Result<()> {
    let (mut line, theirs) = match settings.get(KEY) {
        None | Some(Value::Null) => (Map::new(), None),
        Some(Value::Object(line)) => match ours(line) {
            Some(theirs) => (line.clone(), theirs),
            None => match (line.get("type"), line.get("command")) {
                (Some(kind), Some(Value::String(command))) if kind == "command" => {
                    (line.clone(), Some(command.clone()))
                }
                _ => bail!("its \"{KEY}\" is not a command sessions can run"),
            },
        },
        Some(_) => bail!("its \"{KEY}\" is not an object"),
    };
    let mut command = format!("{} statusline", quote(&exe.to_string_lossy()));
    if let Some(theirs) = theirs {
        command.push_str(" --theirs ");
        command.push_str(&quote(&theirs));
    }
    line.insert("type".into(), json!("command"));
    line.insert("command".into(), json!(command));
    settings.insert(KEY.into(), Value::Object(line));
    Ok(())
}

/// Takes ours out of SETTINGS: the user's own status line comes back as it
/// was, or none when they had none.
pub fn uninstall(settings: &mut Map<String, Value>) {
    let Some(Value::Object(line)) = settings.get(KEY) else {
        return;
    };
    let Some(theirs) = ours(line) else {
        return;
    };
    match theirs {
        Some(command) => {
            let mut line = line.clone();
            line.insert("command".into(), json!(command));
            settings.insert(KEY.into(), Value::Object(line));
        }
        None => {
            settings.remove(KEY);
        }
    }
}

/// When LINE is ours, `Some` of the user's command it carries.
fn ours(line: &Map<String, Value>) -> Option<Option<String>> {
    let command = line.get("command")?.as_str()?;
    let words = shell_words::split(command).ok()?;
    match words.as_slice() {
        [program, verb, rest @ ..]
            if verb == "statusline"
                && Path::new(program).file_name() == Some(OsStr::new("sessions")) =>
        {
            match rest {
                [] => Some(None),
                [flag, theirs] if flag == "--theirs" => Some(Some(theirs.clone())),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn theirs_is_carried_kept_once_and_given_back() {
        let theirs = json!({"type": "command", "command": "echo 'my line'", "padding": 0});
        let mut s = settings(json!({"model": "opus", "statusLine": theirs}));
        install(&mut s, Path::new("/bin/sessions")).unwrap();
        assert_eq!(
            s["statusLine"]["command"],
            r#"/bin/sessions statusline --theirs 'echo '\''my line'\'''"#
        );
        assert_eq!(s["statusLine"]["padding"], 0);
        let once = s.clone();
        install(&mut s, Path::new("/bin/sessions")).unwrap();
        assert_eq!(s, once);
        install(&mut s, Path::new("/opt/my dir/sessions")).unwrap();
        assert!(
            s["statusLine"]["command"]
                .as_str()
                .unwrap()
                .starts_with("'/opt/my dir/sessions' statusline --theirs")
        );
        uninstall(&mut s);
        assert_eq!(s, settings(json!({"model": "opus", "statusLine": theirs})));
        uninstall(&mut s);
        assert_eq!(s["statusLine"], theirs);
    }

    #[test]
    fn without_theirs_it_comes_and_goes_and_odd_ones_are_refused() {
        let mut s = Map::new();
        install(&mut s, Path::new("/bin/sessions")).unwrap();
        assert_eq!(
            s[KEY],
            json!({"type": "command", "command": "/bin/sessions statusline"})
        );
        uninstall(&mut s);
        assert!(s.is_empty());
        for odd in [json!("echo"), json!({"type": "static"})] {
            let mut s = settings(json!({ KEY: odd }));
            assert!(install(&mut s, Path::new("/bin/sessions")).is_err());
        }
    }
}
