//! `watch`'s live model: the rows of every watched repository, kept fresh
//! by file-system notifications. A registry change (a hook) refreshes the
//! agent half of that repository's rows at once; a worktree change marks its
//! session for a git refresh, run once the changes settle and at most every
//! `GIT_EVERY` per session; the radar runs on a thread after git refreshes.
//! `sessions watch` (cmd/watch.rs) draws it or prints it as JSON lines.

pub mod fs;
pub mod term;
pub mod view;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::session::watch::{self, Attention, Row};
use crate::session::{Ui, Workspace};
use fs::{Change, Notifications, Route};

/// A worktree's files must be quiet this long before its git refresh.
const SETTLE: Duration = Duration::from_millis(300);
/// At most one git refresh per session this often.
const GIT_EVERY: Duration = Duration::from_secs(3);
/// Agents whose process died send no event: the agent half is re-read
/// this often anyway (a registry read and the process table, no git).
const AGENTS_EVERY: Duration = Duration::from_secs(5);

/// One watched repository.
pub struct Repo {
    pub ws: Workspace,
    /// Its short name with `--all` (what `REPO/NAME` takes), else empty.
    pub short: String,
}

type Key = (usize, String);
type Warnings = (usize, BTreeMap<String, Vec<String>>);

pub struct Model {
    pub repos: Vec<Repo>,
    pub rows: Vec<Row>,
    /// The sessions' worktrees being watched, to re-watch when they change.
    watched: BTreeSet<Key>,
    notifications: Option<Notifications>,
    /// Folders that could not be watched (kept for a note).
    pub unwatched: Vec<PathBuf>,
    /// Last file event of a session waiting for its git refresh.
    dirty: HashMap<Key, Instant>,
    refreshed: HashMap<Key, Instant>,
    agents_at: Instant,
    radar_due: Vec<bool>,
    radar_busy: Vec<bool>,
    radar: (Sender<Warnings>, Receiver<Warnings>),
    /// For the radar's own workspaces.
    ui: &'static dyn Ui,
    /// The last refresh that failed (one repository's, say), for the
    /// caller to show: the view goes on.
    pub problem: Option<String>,
}

impl Model {
    /// Every session of REPOS, both halves, watched from now on.
    pub fn load(repos: Vec<Repo>, ui: &'static dyn Ui) -> Result<Model> {
        let mut rows = Vec::new();
        for repo in &repos {
            for summary in watch::summarize_all(&repo.ws)? {
                rows.push(Row {
                    repo: repo.short.clone(),
                    summary,
                    warnings: Vec::new(),
                });
            }
        }
        let n = repos.len();
        let mut model = Model {
            repos,
            rows,
            watched: BTreeSet::new(),
            notifications: None,
            unwatched: Vec::new(),
            dirty: HashMap::new(),
            refreshed: HashMap::new(),
            agents_at: Instant::now(),
            radar_due: vec![true; n],
            radar_busy: vec![false; n],
            radar: channel(),
            ui,
            problem: None,
        };
        model.rewatch()?;
        Ok(model)
    }

    fn index_of(&self, repo: &str) -> usize {
        self.repos.iter().position(|r| r.short == repo).unwrap_or(0)
    }

    fn keys(&self) -> BTreeSet<Key> {
        self.rows
            .iter()
            .map(|r| (self.index_of(&r.repo), r.name().to_string()))
            .collect()
    }

    /// Watches the registries, Claude's live records and every session's
    /// folders (again, when sessions came or went).
    fn rewatch(&mut self) -> Result<()> {
        let mut routes = Vec::new();
        for (i, repo) in self.repos.iter().enumerate() {
            let file = repo.ws.registry.file();
            if let Some(folder) = file.parent() {
                routes.push(Route {
                    path: folder.to_path_buf(),
                    recursive: false,
                    change: Change::Registry(i),
                    only: Some(file.clone()),
                });
            }
            for (name, folders) in watch::watched_folders(&repo.ws)? {
                routes.extend(folders.into_iter().map(|path| Route {
                    path,
                    recursive: true,
                    change: Change::Worktree(i, name.clone()),
                    only: None,
                }));
            }
        }
        // Made by Claude's first run: until then, the periodic refresh.
        let live = crate::claude::config_dir().map(|d| d.join("sessions"));
        if let Some(live) = live.filter(|d| d.is_dir()) {
            routes.push(Route {
                path: live,
                recursive: false,
                change: Change::Live,
                only: None,
            });
        }
        // The old watcher goes first: two would report every change twice.
        self.notifications = None;
        let (notifications, unwatched) = fs::watch(routes)?;
        self.notifications = Some(notifications);
        self.unwatched = unwatched;
        self.watched = self.keys();
        Ok(())
    }

    /// Re-reads the agent half of repository I's sessions; new sessions get
    /// their git half too, removed ones go.
    pub fn agents(&mut self, i: usize) -> Result<()> {
        let entries = watch::agents(&self.repos[i].ws)?;
        let short = self.repos[i].short.clone();
        let names: BTreeSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        self.rows
            .retain(|r| r.repo != short || names.contains(r.name()));
        for entry in entries {
            match self
                .rows
                .iter_mut()
                .find(|r| r.repo == short && r.name() == entry.name)
            {
                Some(row) => row.summary.entry = entry,
                None => {
                    let summary = watch::summarize(&self.repos[i].ws, entry)?;
                    self.rows.push(Row {
                        repo: short.clone(),
                        summary,
                        warnings: Vec::new(),
                    });
                    self.radar_due[i] = true;
                }
            }
        }
        if self.keys() != self.watched {
            self.rewatch()?;
        }
        Ok(())
    }

    /// Refreshes session NAME of repository I: its git half.
    fn git(&mut self, i: usize, name: &str) -> Result<()> {
        let short = &self.repos[i].short;
        let Some(row) = self
            .rows
            .iter_mut()
            .find(|r| &r.repo == short && r.name() == name)
        else {
            return Ok(());
        };
        row.summary = watch::summarize(&self.repos[i].ws, row.summary.entry.clone())?;
        self.radar_due[i] = true;
        Ok(())
    }

    /// Waits up to WAIT for a change, then applies what has come: the
    /// changes, due git refreshes, the radar's results. Returns at once when
    /// a change is already there.
    pub fn tick(&mut self, wait: Duration) -> Result<()> {
        let mut changes = Vec::new();
        if let Some(n) = &self.notifications {
            match n.changes.recv_timeout(wait.min(self.next_due())) {
                Ok(change) => changes.push(change),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
            }
            changes.extend(n.changes.try_iter());
        }
        let mut agents: BTreeSet<usize> = BTreeSet::new();
        let now = Instant::now();
        for change in changes {
            match change {
                Change::Registry(i) => {
                    agents.insert(i);
                }
                Change::Live => agents.extend(0..self.repos.len()),
                Change::Worktree(i, name) => {
                    self.dirty.insert((i, name), now);
                }
            }
        }
        if now.duration_since(self.agents_at) >= AGENTS_EVERY {
            agents.extend(0..self.repos.len());
        }
        if agents.len() == self.repos.len() {
            self.agents_at = now;
        }
        for i in agents {
            let refreshed = self.agents(i);
            self.report(refreshed);
        }
        let due: Vec<Key> = self
            .dirty
            .iter()
            .filter(|(key, changed)| {
                now.duration_since(**changed) >= SETTLE
                    && self
                        .refreshed
                        .get(*key)
                        .is_none_or(|at| now.duration_since(*at) >= GIT_EVERY)
            })
            .map(|(key, _)| key.clone())
            .collect();
        for (i, name) in due {
            self.dirty.remove(&(i, name.clone()));
            let refreshed = self.git(i, &name);
            self.report(refreshed);
            self.refreshed.insert((i, name), Instant::now());
        }
        self.radar_results();
        self.start_radars();
        Ok(())
    }

    /// How soon a pending git refresh falls due.
    fn next_due(&self) -> Duration {
        let now = Instant::now();
        self.dirty
            .iter()
            .map(|(key, changed)| {
                let settled = *changed + SETTLE;
                let allowed = self
                    .refreshed
                    .get(key)
                    .map_or(settled, |at| *at + GIT_EVERY);
                settled.max(allowed).saturating_duration_since(now)
            })
            .min()
            .unwrap_or(Duration::MAX)
            .max(Duration::from_millis(20))
    }

    /// One repository's failure is a message, not the end of `watch`.
    fn report(&mut self, result: Result<()>) {
        if let Err(e) = result {
            self.problem = Some(format!("{e:#}"));
        }
    }

    fn start_radars(&mut self) {
        for i in 0..self.repos.len() {
            if !self.radar_due[i] || self.radar_busy[i] {
                continue;
            }
            self.radar_due[i] = false;
            self.radar_busy[i] = true;
            let dir = self.repos[i].ws.repo.common_dir().to_path_buf();
            let send = self.radar.0.clone();
            let ui = self.ui;
            std::thread::spawn(move || {
                // Its own handles: the radar may take seconds, and must not
                // hold the view up.
                let warnings = Workspace::at(&dir, ui)
                    .and_then(|ws| watch::warnings(&ws))
                    .unwrap_or_default();
                let _ = send.send((i, warnings));
            });
        }
    }

    fn radar_results(&mut self) {
        while let Ok((i, mut warnings)) = self.radar.1.try_recv() {
            self.radar_busy[i] = false;
            let short = &self.repos[i].short;
            for row in self.rows.iter_mut().filter(|r| &r.repo == short) {
                row.warnings = warnings.remove(row.name()).unwrap_or_default();
            }
        }
    }

    /// The rows, most urgent first.
    pub fn sorted(&mut self, now: jiff::Timestamp) -> &[Row] {
        watch::sort(&mut self.rows, now);
        &self.rows
    }
}

/// Attention per session as last seen, to tell what changed.
#[derive(Default)]
pub struct Seen {
    seen: HashMap<(String, String), (String, Attention, Row)>,
}

/// What happened to one session since the last look.
pub enum Sighting<'a> {
    Added(&'a Row),
    Changed(&'a Row, Attention),
    Removed(Box<Row>),
}

impl Seen {
    /// The sessions of ROWS that changed, by FINGERPRINT (what a reader
    /// would see of the row), and the ones gone.
    pub fn update<'a>(
        &mut self,
        rows: &'a [Row],
        now: jiff::Timestamp,
        fingerprint: impl Fn(&Row) -> String,
    ) -> Vec<Sighting<'a>> {
        let mut out = Vec::new();
        let mut present = BTreeSet::new();
        for row in rows {
            let key = (row.repo.clone(), row.name().to_string());
            present.insert(key.clone());
            let print = fingerprint(row);
            let attention = row.attention(now);
            match self
                .seen
                .insert(key, (print.clone(), attention, row.clone()))
            {
                None => out.push(Sighting::Added(row)),
                Some((before, ..)) if before == print => {}
                Some((_, was, _)) => out.push(Sighting::Changed(row, was)),
            }
        }
        let gone: Vec<(String, String)> = self
            .seen
            .keys()
            .filter(|k| !present.contains(*k))
            .cloned()
            .collect();
        for key in gone {
            if let Some((.., row)) = self.seen.remove(&key) {
                out.push(Sighting::Removed(Box::new(row)));
            }
        }
        out
    }
}
