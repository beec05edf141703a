//! Submodules in a new worktree: initialised from the main worktree's own
//! clones of them, so nothing that is already on this machine is fetched.
//! Git's protocol rules stay as they are (`ext::` and the like never run),
//! except that the one local clone we name ourselves may use the file
//! transport.

use std::path::{Path, PathBuf};

use super::Repo;
use super::workdir::git_in;

/// A submodule that could not be set up, and git's words on why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmoduleFailure {
    /// Relative to the worktree.
    pub path: PathBuf,
    pub why: String,
}

impl Repo {
    /// Initialises the submodules of the worktree at DIR, recursively: each
    /// one the main worktree has cloned is cloned from there (hard links,
    /// no network), any other fetched from its URL as `git submodule update
    /// --init` would. Returns the ones that failed; the rest are set up.
    pub fn init_submodules(&self, dir: &Path) -> Vec<SubmoduleFailure> {
        let mut failures = Vec::new();
        init_below(dir, Path::new(""), Some(self.common_dir()), &mut failures);
        failures
    }
}

/// The submodules DIR declares, as (name, path), from its `.gitmodules`.
fn declared(dir: &Path) -> Vec<(String, String)> {
    if !dir.join(".gitmodules").is_file() {
        return Vec::new();
    }
    let Ok(output) = git_in(dir)
        .args(["config", "-z", "-f", ".gitmodules", "--get-regexp"])
        .arg(r"^submodule\..*\.path$")
        .output()
    else {
        return Vec::new();
    };
    output
        .stdout
        .split(|b| *b == 0)
        .filter_map(|record| {
            let record = String::from_utf8_lossy(record);
            let (key, path) = record.split_once('\n')?;
            let name = key.strip_prefix("submodule.")?.strip_suffix(".path")?;
            Some((name.to_string(), path.to_string()))
        })
        .collect()
}

/// Initialises the submodules of the checkout DIR (at REL in the worktree),
/// whose repository in the main worktree keeps its modules' clones in
/// `REFERENCE/modules`.
fn init_below(
    dir: &Path,
    rel: &Path,
    reference: Option<&Path>,
    failures: &mut Vec<SubmoduleFailure>,
) {
    for (name, path) in declared(dir) {
        let shown = rel.join(&path);
        let local = reference
            .map(|r| r.join("modules").join(&name))
            .filter(|clone| clone.join("HEAD").is_file());
        // A name git reads as more than one `-c` setting is not usable here.
        let usable = !name.contains(['=', '\n']);
        let mut command = git_in(dir);
        // Whatever the user's configuration says, never a transport that
        // runs a command named by the repository.
        command.args(["-c", "protocol.ext.allow=never"]);
        command.env_remove("GIT_ALLOW_PROTOCOL");
        if let Some(clone) = local.as_ref().filter(|_| usable) {
            command
                .args(["-c", "protocol.file.allow=always", "-c"])
                .arg(format!("submodule.{name}.url={}", clone.display()));
        }
        command.args(["submodule", "--quiet", "update", "--init", "--", &path]);
        match command.output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                failures.push(SubmoduleFailure {
                    path: shown,
                    why: String::from_utf8_lossy(&out.stderr).trim().to_string(),
                });
                continue;
            }
            Err(e) => {
                failures.push(SubmoduleFailure {
                    path: shown,
                    why: e.to_string(),
                });
                continue;
            }
        }
        if local.is_some() && usable {
            restore_origin(dir, &name, &path);
        }
        init_below(&dir.join(&path), &shown, local.as_deref(), failures);
    }
}

/// Points the submodule at PATH back at its real URL (the one the
/// superproject's configuration or `.gitmodules` gives), not at the main
/// worktree's clone it came from, so that fetching and pushing there work
/// as in the main worktree.
fn restore_origin(dir: &Path, name: &str, path: &str) {
    let key = format!("submodule.{name}.url");
    let url = [
        vec!["config", "--get", key.as_str()],
        vec!["config", "-f", ".gitmodules", "--get", key.as_str()],
    ]
    .iter()
    .find_map(|args| {
        let out = git_in(dir).args(args).output().ok()?;
        let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (out.status.success() && !url.is_empty()).then_some(url)
    });
    if let Some(url) = url {
        let _ = git_in(&dir.join(path))
            .args(["remote", "set-url", "origin", "--end-of-options", &url])
            .output();
    }
}
