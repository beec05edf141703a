//! The configured `notify.command`, run with `sh -c`. Its values never
//! become shell text: each is an environment variable
//! (`SESSIONS_NOTIFY_NAME`...), and each placeholder in the command becomes
//! a reference to its variable, quoted for where it stands, so that a name
//! or message with spaces, quotes or `$(...)` is one word and never code.

use std::process::{Child, Command, Stdio};

use super::Notice;

/// The placeholders and the variables they stand for.
const PLACEHOLDERS: &[(&str, &str)] = &[
    ("{name}", "SESSIONS_NOTIFY_NAME"),
    ("{repo}", "SESSIONS_NOTIFY_REPO"),
    ("{state}", "SESSIONS_NOTIFY_STATE"),
    ("{message}", "SESSIONS_NOTIFY_MESSAGE"),
    ("{path}", "SESSIONS_NOTIFY_PATH"),
];

/// Starts COMMAND for NOTICE in its session's folder, streams closed.
pub(super) fn spawn(command: &str, notice: &Notice) -> std::io::Result<Child> {
    let mut child = Command::new("sh");
    child
        .arg("-c")
        .arg(with_references(command))
        .env("SESSIONS_NOTIFY_NAME", &notice.name)
        .env("SESSIONS_NOTIFY_REPO", &notice.repo)
        .env("SESSIONS_NOTIFY_STATE", &notice.state)
        .env("SESSIONS_NOTIFY_MESSAGE", &notice.message)
        .env("SESSIONS_NOTIFY_PATH", &notice.path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if notice.path.is_dir() {
        child.current_dir(&notice.path);
    }
    child.spawn()
}

/// Where a placeholder stands in shell text.
#[derive(Clone, Copy, PartialEq)]
enum Quoting {
    None,
    Single,
    Double,
}

/// COMMAND with each placeholder replaced by its variable: `"${VAR}"`
/// outside quotes, `${VAR}` inside double quotes, and `'"${VAR}"'` inside
/// single ones (closing and reopening them). The shell expands a variable
/// once and never reads its value as code.
pub(super) fn with_references(command: &str) -> String {
    let mut out = String::with_capacity(command.len());
    let mut quoting = Quoting::None;
    let mut rest = command;
    while let Some(c) = rest.chars().next() {
        if let Some((placeholder, var)) = PLACEHOLDERS.iter().find(|(p, _)| rest.starts_with(p)) {
            match quoting {
                Quoting::None => out += &format!("\"${{{var}}}\""),
                Quoting::Double => out += &format!("${{{var}}}"),
                Quoting::Single => out += &format!("'\"${{{var}}}\"'"),
            }
            rest = &rest[placeholder.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
        match (quoting, c) {
            // A backslash keeps the next character as it is.
            (Quoting::None | Quoting::Double, '\\') => {
                if let Some(next) = rest.chars().next() {
                    out.push(next);
                    rest = &rest[next.len_utf8()..];
                }
            }
            (Quoting::None, '\'') => quoting = Quoting::Single,
            (Quoting::None, '"') => quoting = Quoting::Double,
            (Quoting::Single, '\'') | (Quoting::Double, '"') => quoting = Quoting::None,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_variables_quoted_for_where_they_stand() {
        assert_eq!(
            with_references("notify {name} \"on {repo}\" '{state}!'"),
            "notify \"${SESSIONS_NOTIFY_NAME}\" \"on ${SESSIONS_NOTIFY_REPO}\" \
             ''\"${SESSIONS_NOTIFY_STATE}\"'!'"
        );
        // Escaped quotes do not open or close anything; unknown braces stay.
        assert_eq!(
            with_references("echo \\\"{path} {x} \"\\\"{message}\""),
            "echo \\\"\"${SESSIONS_NOTIFY_PATH}\" {x} \"\\\"${SESSIONS_NOTIFY_MESSAGE}\""
        );
    }

    #[test]
    fn no_value_runs_as_code_wherever_its_placeholder_stands() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        let evil = "a b '\"; touch pwned; $(touch pwned) `touch pwned` \\";
        let notice = Notice {
            name: evil.into(),
            repo: "r".into(),
            state: "waiting".into(),
            message: evil.into(),
            path: temp.path().into(),
            desktop: false,
            command: None,
        };
        let command = format!(
            "printf '%s\\n' {{name}} \"{{message}}\" '{{name}}' > {}",
            out.display()
        );
        let status = spawn(&command, &notice).unwrap().wait().unwrap();
        assert!(status.success());
        assert!(!temp.path().join("pwned").exists());
        let lines = std::fs::read_to_string(&out).unwrap();
        assert_eq!(lines, format!("{evil}\n{evil}\n{evil}\n"));
    }
}
