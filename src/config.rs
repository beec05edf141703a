//! Configuration: the user's `config.toml` and the repository's committed
//! `.sessions.toml`, merged key by key (project over user over defaults), each
//! value remembering where it came from. Command-line flags override both at
//! the point of use.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::error::Failure;

mod file;
mod keys;
mod values;
use file::{Origin, read_layer};
pub use keys::KEYS;
pub use values::{ENV_PLACEHOLDERS, fill_placeholders, fill_template, parse_age, parse_duration};

/// The project file, at the root of the main worktree.
pub const PROJECT_FILE: &str = ".sessions.toml";
/// The default layout: `<parent of the main worktree>/<repo>.sessions/<name>`.
pub const DEFAULT_WORKTREE_DIR: &str = "../{repo}.sessions/{name}";
pub const DEFAULT_AGENT: &str = "claude";
/// Where session ports start unless `port_base` says otherwise.
pub const DEFAULT_PORT_BASE: u16 = 4100;
/// Ignored folders that a build or an install re-creates: `artifacts`.
pub const DEFAULT_ARTIFACTS: &[&str] = &[
    "node_modules",
    "target",
    ".venv",
    ".next",
    "dist",
    "build",
    "__pycache__",
    ".pytest_cache",
    ".gradle",
];

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    User(PathBuf),
    Project(PathBuf),
}

impl Source {
    /// Commands from the project file run only once the person trusts them.
    pub fn is_project(&self) -> bool {
        matches!(self, Source::Project(_))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::User(path) => write!(f, "user {}", path.display()),
            Source::Project(path) => write!(f, "project {}", path.display()),
        }
    }
}

/// One effective value and its origin.
#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Setting<T> {
    fn default(value: T) -> Self {
        Setting {
            value,
            source: Source::Default,
        }
    }
}

/// The agent to start in a session: a program and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    pub command: String,
    pub args: Vec<String>,
    /// Where the command came from; project commands need trust.
    pub source: Source,
}

/// A named agent profile as configured: what it changes from `[agent]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub command: Option<String>,
    pub args: Option<Vec<String>>,
}

/// How `sessions land` brings a session into its base by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LandMethod {
    /// Rebase the session onto its base, then fast-forward.
    Rebase,
    /// One new commit on the base with all of the session's changes.
    Squash,
    /// A merge commit on the base.
    Merge,
}

/// An agent's change of state that `[notify] on` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyOn {
    /// It waits for the person: a permission prompt, a question.
    Waiting,
    /// Its turn failed.
    Error,
    /// It finished a turn that took longer than `notify.idle_after`.
    Idle,
}

/// The default `notify.idle_after`.
pub const DEFAULT_IDLE_AFTER: &str = "60s";

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub worktree_dir: Setting<String>,
    pub branch_prefix: Setting<String>,
    pub base: Setting<Option<String>>,
    pub agent_command: Setting<String>,
    pub agent_args: Setting<Vec<String>>,
    /// Start agents in a tmux window of their own when run inside tmux.
    pub agent_tmux: Setting<bool>,
    pub profiles: BTreeMap<String, Setting<Profile>>,
    pub copy: Setting<Vec<String>>,
    /// Names of ignored folders `clean --artifacts` may delete (re-creatable).
    pub artifacts: Setting<Vec<String>>,
    pub setup: Setting<Vec<String>>,
    pub teardown: Setting<Vec<String>>,
    pub max_sessions: Setting<Option<usize>>,
    pub port_base: Setting<u16>,
    pub land_method: Setting<LandMethod>,
    /// Commands that must pass in the session before it lands.
    pub land_check: Setting<Vec<String>>,
    /// Push the base branch after landing (never forced).
    pub land_push: Setting<bool>,
    /// Fetch the base's remote before `sync`.
    pub sync_fetch: Setting<bool>,
    /// `[env]`: variables (templates) for session commands and the agent.
    pub env: BTreeMap<String, Setting<String>>,
    /// The user's `[env]` values the project overrides, used until approved.
    pub env_fallback: BTreeMap<String, Setting<String>>,
    /// How many consecutive ports each new session reserves.
    pub ports: Setting<u16>,
    /// How long a session may see no activity before it is stale.
    pub stale_after: Setting<Option<String>>,
    /// Initialise submodules in new worktrees.
    pub submodules: Setting<bool>,
    /// Folders new worktrees check out (sparse); empty: as the main one.
    pub sparse: Setting<Vec<String>>,
    /// The changes of agent state that notify (docs/notify.md).
    pub notify_on: Setting<Vec<NotifyOn>>,
    /// How long a turn must have taken for its end to notify.
    pub notify_idle_after: Setting<String>,
    /// A shell command run on each notification, placeholders filled.
    pub notify_command: Setting<Option<String>>,
    /// Whether to show a desktop notification too.
    pub notify_desktop: Setting<bool>,
    /// Project values held back until approved (`trust::withhold_unapproved`).
    pub(crate) withheld: Withheld,
}

/// Project values that change where sessions write or what leaves the
/// machine, held back while the project is not approved: the settings above
/// then hold the user's or the default value instead.
#[derive(Debug, Clone, Default)]
pub(crate) struct Withheld {
    pub(crate) worktree_dir: Option<Setting<String>>,
    pub(crate) land_push: Option<Setting<bool>>,
    pub(crate) notify_command: Option<Setting<Option<String>>>,
    /// A project `artifacts` list naming folders the user's (or the
    /// default) list does not: what `clean --artifacts` deletes.
    pub(crate) artifacts: Option<Setting<Vec<String>>>,
    /// The folders the project's `artifacts` adds to the user's list,
    /// withheld or approved: only these need approval.
    pub(crate) added_artifacts: Vec<String>,
    /// Command lists (`setup`, `teardown`, `land.check`) the project empties
    /// while the user's own has commands.
    pub(crate) cleared: Vec<&'static str>,
    /// What holding these back means, for whoever loaded the config to show.
    pub(crate) warnings: Vec<String>,
}

/// One file as written; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Layer {
    worktree_dir: Option<String>,
    branch_prefix: Option<String>,
    base: Option<String>,
    agent: Option<AgentLayer>,
    copy: Option<Vec<String>>,
    artifacts: Option<Vec<String>>,
    setup: Option<Vec<String>>,
    teardown: Option<Vec<String>>,
    max_sessions: Option<usize>,
    port_base: Option<u16>,
    land: Option<LandLayer>,
    sync: Option<SyncLayer>,
    env: Option<BTreeMap<String, String>>,
    ports: Option<u16>,
    stale_after: Option<String>,
    submodules: Option<bool>,
    sparse: Option<Vec<String>>,
    notify: Option<NotifyLayer>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotifyLayer {
    on: Option<Vec<NotifyOn>>,
    idle_after: Option<String>,
    command: Option<String>,
    desktop: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LandLayer {
    method: Option<LandMethod>,
    check: Option<Vec<String>>,
    push: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncLayer {
    fetch: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentLayer {
    command: Option<String>,
    args: Option<Vec<String>>,
    tmux: Option<bool>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            worktree_dir: Setting::default(DEFAULT_WORKTREE_DIR.into()),
            branch_prefix: Setting::default(String::new()),
            base: Setting::default(None),
            agent_command: Setting::default(DEFAULT_AGENT.into()),
            agent_args: Setting::default(Vec::new()),
            agent_tmux: Setting::default(false),
            profiles: BTreeMap::new(),
            copy: Setting::default(Vec::new()),
            artifacts: Setting::default(DEFAULT_ARTIFACTS.iter().map(|a| a.to_string()).collect()),
            setup: Setting::default(Vec::new()),
            teardown: Setting::default(Vec::new()),
            max_sessions: Setting::default(None),
            port_base: Setting::default(DEFAULT_PORT_BASE),
            land_method: Setting::default(LandMethod::Rebase),
            land_check: Setting::default(Vec::new()),
            land_push: Setting::default(false),
            sync_fetch: Setting::default(false),
            env: BTreeMap::new(),
            env_fallback: BTreeMap::new(),
            ports: Setting::default(1),
            stale_after: Setting::default(None),
            submodules: Setting::default(true),
            sparse: Setting::default(Vec::new()),
            notify_on: Setting::default(vec![NotifyOn::Waiting, NotifyOn::Error, NotifyOn::Idle]),
            notify_idle_after: Setting::default(DEFAULT_IDLE_AFTER.into()),
            notify_command: Setting::default(None),
            notify_desktop: Setting::default(true),
            withheld: Withheld::default(),
        }
    }
}

/// The user's config file: `SESSIONS_CONFIG`, else `config.toml` in
/// `$XDG_CONFIG_HOME/sessions` (or the platform's config folder).
pub fn user_file() -> Option<PathBuf> {
    if let Some(file) = std::env::var_os("SESSIONS_CONFIG").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(file));
    }
    let dir = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(dirs::config_dir)?;
    Some(dir.join("sessions").join("config.toml"))
}

impl Config {
    /// The configuration for the repository whose main worktree is `root`
    /// (`None` for a bare repository, which has no project file).
    pub fn load(root: Option<&Path>) -> Result<Config> {
        let mut config = Config::default();
        if let Some(file) = user_file() {
            let explicit = std::env::var_os("SESSIONS_CONFIG").is_some_and(|v| !v.is_empty());
            if let Some(layer) = read_layer(&file, explicit, Origin::User)? {
                config.apply(layer, Source::User(file));
            }
        }
        if let Some(root) = root {
            let file = root.join(PROJECT_FILE);
            if let Some(layer) = read_layer(&file, false, Origin::Project)? {
                let fallback = config.clone();
                config.apply(layer, Source::Project(file));
                crate::trust::withhold_unapproved(&mut config, root, &fallback);
            }
        }
        Ok(config)
    }

    /// `stale_after` as a duration; `None` when unset (checked on reading).
    pub fn stale_after(&self) -> Option<jiff::SignedDuration> {
        self.stale_after.value.as_deref().and_then(parse_age)
    }

    /// Warnings about project values held back for lack of approval.
    pub fn withheld_warnings(&self) -> &[String] {
        &self.withheld.warnings
    }

    /// The project's `worktree_dir` when it is held back for lack of approval.
    pub fn withheld_worktree_dir(&self) -> Option<&Setting<String>> {
        self.withheld.worktree_dir.as_ref()
    }

    fn apply(&mut self, layer: Layer, source: Source) {
        fn set<T>(setting: &mut Setting<T>, value: Option<T>, source: &Source) {
            if let Some(value) = value {
                *setting = Setting {
                    value,
                    source: source.clone(),
                };
            }
        }
        set(&mut self.worktree_dir, layer.worktree_dir, &source);
        set(&mut self.branch_prefix, layer.branch_prefix, &source);
        set(&mut self.base, layer.base.map(Some), &source);
        set(&mut self.copy, layer.copy, &source);
        set(&mut self.artifacts, layer.artifacts, &source);
        set(&mut self.setup, layer.setup, &source);
        set(&mut self.teardown, layer.teardown, &source);
        set(
            &mut self.max_sessions,
            layer.max_sessions.map(Some),
            &source,
        );
        set(&mut self.port_base, layer.port_base, &source);
        set(&mut self.ports, layer.ports, &source);
        set(&mut self.stale_after, layer.stale_after.map(Some), &source);
        set(&mut self.submodules, layer.submodules, &source);
        set(&mut self.sparse, layer.sparse, &source);
        for (name, value) in layer.env.into_iter().flatten() {
            let value = Setting {
                value,
                source: source.clone(),
            };
            if let Some(user) = self.env.insert(name.clone(), value)
                && !user.source.is_project()
            {
                self.env_fallback.insert(name, user);
            }
        }
        if let Some(land) = layer.land {
            set(&mut self.land_method, land.method, &source);
            set(&mut self.land_check, land.check, &source);
            set(&mut self.land_push, land.push, &source);
        }
        if let Some(sync) = layer.sync {
            set(&mut self.sync_fetch, sync.fetch, &source);
        }
        if let Some(notify) = layer.notify {
            set(&mut self.notify_on, notify.on, &source);
            set(&mut self.notify_idle_after, notify.idle_after, &source);
            set(&mut self.notify_command, notify.command.map(Some), &source);
            set(&mut self.notify_desktop, notify.desktop, &source);
        }
        if let Some(agent) = layer.agent {
            set(&mut self.agent_command, agent.command, &source);
            set(&mut self.agent_args, agent.args, &source);
            set(&mut self.agent_tmux, agent.tmux, &source);
            for (name, profile) in agent.profiles {
                self.profiles.insert(
                    name,
                    Setting {
                        value: profile,
                        source: source.clone(),
                    },
                );
            }
        }
    }

    /// The effective value of KEY (one of `KEYS`, not per profile) as TOML, `None` when
    /// unset, and where it came from.
    pub fn value_of(&self, key: &str) -> Option<(Option<toml::Value>, &Source)> {
        fn entry<T: Serialize>(setting: &Setting<T>) -> (Option<toml::Value>, &Source) {
            (toml::Value::try_from(&setting.value).ok(), &setting.source)
        }
        Some(match key {
            "worktree_dir" => entry(&self.worktree_dir),
            "branch_prefix" => entry(&self.branch_prefix),
            "base" => entry(&self.base),
            "copy" => entry(&self.copy),
            "artifacts" => entry(&self.artifacts),
            "setup" => entry(&self.setup),
            "teardown" => entry(&self.teardown),
            "max_sessions" => entry(&self.max_sessions),
            "port_base" => entry(&self.port_base),
            "ports" => entry(&self.ports),
            "stale_after" => entry(&self.stale_after),
            "submodules" => entry(&self.submodules),
            "sparse" => entry(&self.sparse),
            "agent.command" => entry(&self.agent_command),
            "agent.args" => entry(&self.agent_args),
            "agent.tmux" => entry(&self.agent_tmux),
            "land.method" => entry(&self.land_method),
            "land.check" => entry(&self.land_check),
            "land.push" => entry(&self.land_push),
            "sync.fetch" => entry(&self.sync_fetch),
            "notify.on" => entry(&self.notify_on),
            "notify.idle_after" => entry(&self.notify_idle_after),
            "notify.command" => entry(&self.notify_command),
            "notify.desktop" => entry(&self.notify_desktop),
            _ => return None,
        })
    }

    /// `notify.idle_after` as a duration (checked when read; the default
    /// should it not parse).
    pub fn idle_after(&self) -> std::time::Duration {
        parse_duration(&self.notify_idle_after.value)
            .or_else(|| parse_duration(DEFAULT_IDLE_AFTER))
            .unwrap_or_default()
    }

    /// The agent to run: `[agent]`, or the named profile over it.
    pub fn agent(&self, profile: Option<&str>) -> Result<AgentConfig> {
        let mut agent = AgentConfig {
            command: self.agent_command.value.clone(),
            args: self.agent_args.value.clone(),
            source: self.agent_command.source.clone(),
        };
        if self.agent_args.source.is_project() {
            agent.source = self.agent_args.source.clone();
        }
        let Some(name) = profile else {
            return Ok(agent);
        };
        let Some(found) = self.profiles.get(name) else {
            let known: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
            let hint = if known.is_empty() {
                "define profiles as [agent.profiles.NAME] in config.toml or .sessions.toml".into()
            } else {
                format!("configured profiles: {}", known.join(", "))
            };
            let near = crate::suggest::closest(name, known.iter().copied());
            let message = match near.is_empty() {
                true => format!("no agent profile named '{name}'"),
                false => format!(
                    "no agent profile named '{name}'; did you mean '{}'?",
                    near.join("' or '")
                ),
            };
            bail!(Failure::usage(message).with_hint(hint));
        };
        if let Some(command) = &found.value.command {
            agent.command = command.clone();
        }
        if let Some(args) = &found.value.args {
            agent.args = args.clone();
        }
        // Any part from the project makes the whole command a project one.
        if found.source.is_project() {
            agent.source = found.source.clone();
        }
        Ok(agent)
    }
}

#[cfg(test)]
mod tests;
