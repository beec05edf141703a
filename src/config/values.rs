//! Values written in config files that need reading beyond their type:
//! ages (`stale_after`), `worktree_dir` and `[env]` templates.

use std::path::{Component, Path, PathBuf};

/// The age written as `14d`, `36h`, `2w`, `90m` or `30s`, or a sum of
/// them (`1h 30m`); `None` when it is not one or is not positive. The one
/// reading of ages and durations: `stale_after`, `notify.idle_after`,
/// `clean --older-than`.
pub fn parse_age(text: &str) -> Option<jiff::SignedDuration> {
    let mut total: i64 = 0;
    for term in text.split_whitespace() {
        let unit = term.chars().last()?;
        let count: i64 = term[..term.len() - unit.len_utf8()].parse().ok()?;
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return None,
        };
        total = total.checked_add(count.checked_mul(seconds)?)?;
    }
    (total > 0).then(|| jiff::SignedDuration::from_secs(total))
}

/// `parse_age` as a `std` duration.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    std::time::Duration::try_from(parse_age(text)?).ok()
}

/// The placeholders `[env]` values may hold.
pub const ENV_PLACEHOLDERS: &[&str] = &["{name}", "{branch}", "{repo}", "{path}", "{port}"];

/// TEMPLATE with each `{placeholder}` of VARS replaced by its value, in one
/// pass: a value holding a placeholder's name is not filled in again.
pub fn fill_placeholders(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        match vars
            .iter()
            .find(|(placeholder, _)| after.starts_with(placeholder))
        {
            Some((placeholder, value)) => {
                out.push_str(value);
                rest = &after[placeholder.len()..];
            }
            None => {
                out.push('{');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The worktree folder of a session: TEMPLATE (a `worktree_dir`) with
/// `{repo}`, `{name}`, `{branch}` and a leading `~` filled in, relative to
/// `root`. Names with '/' become one folder ('/' as '-').
pub fn fill_template(template: &str, root: &Path, repo: &str, name: &str, branch: &str) -> PathBuf {
    let filled = template
        .replace("{repo}", repo)
        .replace("{name}", &crate::name::folder_name(name))
        .replace("{branch}", &crate::name::folder_name(branch));
    let expanded = match filled.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            let home = dirs::home_dir().unwrap_or_default();
            home.join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(filled),
    };
    normalize(&root.join(expanded))
}

/// Resolves `.` and `..` without touching the file system (the folder may
/// not exist yet).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
