//! The user's index of repositories: each one `new`, `adopt` and `doctor`
//! ran in, so that `list --all`, `status --all` and `REPO/NAME` work from
//! anywhere. `$XDG_STATE_HOME/sessions/repos.toml` (it is state, not
//! configuration: losing it loses nothing but convenience), changed under
//! the registry's kind of lock and written atomically like the registry.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::error::Failure;

const VERSION: u32 = 1;

/// One repository as the index records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Recorded {
    /// Its common git dir, where its registry is.
    git_dir: PathBuf,
    /// Its main worktree, or the bare repository itself.
    home: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct IndexFile {
    version: u32,
    #[serde(default, rename = "repo")]
    repos: Vec<Recorded>,
}

/// An indexed repository with the short name `REPO/NAME` and the REPO
/// column know it by.
#[derive(Debug, Clone, PartialEq)]
pub struct Known {
    pub git_dir: PathBuf,
    pub home: PathBuf,
    /// The home folder's name, made unique with its parent's (`api@work`).
    pub short: String,
}

/// What reading the index found: the repositories there, and the ones it
/// dropped because they no longer exist.
pub struct Indexed {
    pub repos: Vec<Known>,
    pub dropped: Vec<PathBuf>,
}

/// `$XDG_STATE_HOME/sessions/repos.toml`, else `~/.local/state/...` (the
/// XDG default, also where the platform has no state folder of its own).
pub fn file() -> Option<PathBuf> {
    let dir = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(dirs::state_dir)
        .or_else(|| dirs::home_dir().map(|h| h.join(".local").join("state")))?;
    Some(dir.join("sessions").join("repos.toml"))
}

fn the_file() -> Result<PathBuf> {
    file().context("no folder for the index of repositories (HOME is not set)")
}

/// Adds the repository at GIT_DIR (known by HOME) to the index, unless it
/// is there already: a `new` in a known repository writes nothing.
pub fn record(git_dir: &Path, home: &Path) -> Result<()> {
    let file = the_file()?;
    let wanted = Recorded {
        git_dir: git_dir.to_path_buf(),
        home: home.to_path_buf(),
    };
    if read(&file)?.contains(&wanted) {
        return Ok(());
    }
    let _lock = crate::registry::lock_file(&file.with_extension("lock"))?;
    let mut repos = read(&file)?;
    // A repository moved (`doctor` found it elsewhere) keeps one record.
    repos.retain(|r| r.git_dir != wanted.git_dir && r.home != wanted.home);
    repos.push(wanted);
    save(&file, repos)
}

/// The indexed repositories, after dropping (and saving the index without)
/// those whose git dir no longer exists.
pub fn repositories() -> Result<Indexed> {
    let file = the_file()?;
    let mut repos = read(&file)?;
    let mut dropped = Vec::new();
    if repos.iter().any(|r| !r.git_dir.is_dir()) {
        let _lock = crate::registry::lock_file(&file.with_extension("lock"))?;
        repos = read(&file)?;
        let (kept, gone): (Vec<_>, Vec<_>) = repos.into_iter().partition(|r| r.git_dir.is_dir());
        if !gone.is_empty() {
            save(&file, kept.clone())?;
        }
        dropped = gone.into_iter().map(|r| r.home).collect();
        repos = kept;
    }
    Ok(Indexed {
        repos: short_names(repos),
        dropped,
    })
}

/// The indexed repositories that still exist, read without the lock and
/// written never: for completion, which must neither wait nor fail.
pub fn existing() -> Vec<Known> {
    let repos = file().and_then(|file| read(&file).ok()).unwrap_or_default();
    short_names(repos.into_iter().filter(|r| r.git_dir.is_dir()).collect())
}

impl Indexed {
    /// The repository whose short name is REPO. A bare folder name that
    /// two repositories share (both shown as `name@parent`) is ambiguous.
    pub fn find(&self, repo: &str) -> Result<Option<&Known>> {
        if let Some(known) = self.repos.iter().find(|k| k.short == repo) {
            return Ok(Some(known));
        }
        let sharing: Vec<&str> = self
            .repos
            .iter()
            .filter(|k| folder_name(&k.home) == repo)
            .map(|k| k.short.as_str())
            .collect();
        if sharing.len() > 1 {
            bail!(
                Failure::usage(format!(
                    "'{repo}' names {} repositories: {}",
                    sharing.len(),
                    sharing.join(", ")
                ))
                .with_hint("sessions list --all")
            );
        }
        Ok(None)
    }
}

/// The folder name a repository is known by, without a `.git` suffix.
fn folder_name(home: &Path) -> String {
    home.file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".git").to_string())
        .unwrap_or_else(|| "repo".into())
}

/// Gives each repository its folder's name; names two share get the
/// parent folder's name too (`api@work`), then a number if still shared.
fn short_names(repos: Vec<Recorded>) -> Vec<Known> {
    let plain: Vec<String> = repos.iter().map(|r| folder_name(&r.home)).collect();
    let shared = |name: &String| plain.iter().filter(|n| *n == name).count() > 1;
    let mut names: Vec<String> = repos
        .iter()
        .zip(&plain)
        .map(|(r, name)| match shared(name) {
            true => {
                let parent = r.home.parent().map(folder_name).unwrap_or_default();
                format!("{name}@{parent}")
            }
            false => name.clone(),
        })
        .collect();
    for i in 0..names.len() {
        let first = names[..i].contains(&names[i]);
        if first {
            names[i] = format!("{}-{}", names[i], i + 1);
        }
    }
    repos
        .into_iter()
        .zip(names)
        .map(|(r, short)| Known {
            git_dir: r.git_dir,
            home: r.home,
            short,
        })
        .collect()
}

fn read(file: &Path) -> Result<Vec<Recorded>> {
    let text = match fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let parsed: IndexFile = toml::from_str(&text).map_err(|e| {
        Failure::error(format!(
            "{} does not parse: {}",
            file.display(),
            e.message()
        ))
        .with_hint(format!(
            "rm {}  # new, adopt and doctor record each repository again",
            crate::shell::quote_path(file)
        ))
    })?;
    crate::registry::check_version(file, parsed.version, VERSION)?;
    Ok(parsed.repos)
}

fn save(file: &Path, repos: Vec<Recorded>) -> Result<()> {
    let text = toml::to_string(&IndexFile {
        version: VERSION,
        repos,
    })?;
    crate::atomic::write(file, text.as_bytes(), Default::default())
        .with_context(|| format!("cannot write {}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(home: &str) -> Recorded {
        Recorded {
            git_dir: PathBuf::from(home).join(".git"),
            home: PathBuf::from(home),
        }
    }

    #[test]
    fn shared_folder_names_are_told_apart_by_their_parent() {
        let repos = [
            "/w/api",
            "/forks/api",
            "/w/web",
            "/x/w/api",
            "/srv/site.git",
        ];
        let shorts: Vec<String> = short_names(repos.map(recorded).to_vec())
            .into_iter()
            .map(|k| k.short)
            .collect();
        assert_eq!(shorts, ["api@w", "api@forks", "web", "api@w-4", "site"]);
    }

    #[test]
    fn a_shared_bare_name_is_ambiguous_and_a_short_name_is_not() {
        let indexed = Indexed {
            repos: short_names(vec![recorded("/w/api"), recorded("/forks/api")]),
            dropped: Vec::new(),
        };
        assert_eq!(
            indexed.find("api@forks").unwrap().unwrap().home,
            PathBuf::from("/forks/api")
        );
        assert!(indexed.find("web").unwrap().is_none());
        let err = indexed.find("api").unwrap_err();
        assert!(err.to_string().contains("api@w, api@forks"), "{err}");
    }
}
