//! Who is in a session's folder, and whether that stops removing or
//! rewriting it: the one rule for live processes, over `process.rs`'s facts.

use std::path::Path;

use super::Blocker;
use crate::claude;
use crate::process::{self, Process};

/// The blocker a worktree lock with REASON is, when Claude Code wrote it
/// and the process it names still runs (a background `claude --bg`, or a
/// `claude -w` whose folder is elsewhere): that Claude works on the
/// worktree wherever its folder is. Any other lock, a stale Claude one
/// included, is for the caller to weigh as a risk.
pub(super) fn claude_lock(session: &str, reason: &str) -> Option<Blocker> {
    let lock = claude::parse_lock(reason)?;
    lock.is_held().then(|| Blocker::ClaudeLock {
        session: session.to_string(),
        name: lock.session,
        pid: lock.pid,
    })
}

/// A live process working in a session's folder, judged by what it does
/// there: the one rule for removing (rm, clean, doctor --fix, land) and
/// rewriting (sync, land).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occupant<'a> {
    /// Doing something: an agent, an editor, a dev server, or a shell
    /// RUNNING a command (its child, which works elsewhere). It blocks.
    Busy {
        process: &'a Process,
        running: Option<&'a Process>,
    },
    /// Sitting there: a shell at its prompt, or a terminal multiplexer.
    /// Removing the folder leaves it in a deleted folder, which loses
    /// nothing: it never blocks, and is named in a warning.
    Idle(&'a Process),
}

impl Occupant<'_> {
    fn blocker(&self, path: &Path) -> Option<Blocker> {
        match self {
            Occupant::Busy { process, running } => Some(Blocker::Process {
                process: process.to_string(),
                running: running.map(|c| format!("{} (pid {})", c.name, c.pid)),
                path: path.to_path_buf(),
            }),
            Occupant::Idle(_) => None,
        }
    }
}

/// Who asked: our ancestors and our own job (process group). A shell
/// waiting for us, or for the rest of our pipeline, is not running a
/// command of its own.
struct Caller {
    ancestors: Vec<u32>,
    group: Option<u32>,
}

impl Caller {
    fn this() -> Caller {
        Caller {
            ancestors: process::ancestors(),
            group: process::own_group(),
        }
    }

    fn asked(&self, p: &Process) -> bool {
        Some(p.group) == self.group || self.ancestors.contains(&p.pid)
    }
}

/// The processes of PROCESSES working in DIR, except the pids in SPARED,
/// each judged busy or idle. A shell whose command works in DIR itself is
/// left out: that command is named instead.
fn occupants<'a>(
    processes: &'a [Process],
    dir: &Path,
    caller: &Caller,
    spared: &[u32],
) -> Vec<Occupant<'a>> {
    process::working_in(processes, dir, spared)
        .into_iter()
        .filter_map(|p| match busy_with(processes, p, caller, 0) {
            None => Some(Occupant::Idle(p)),
            Some(running) if running.is_some_and(|c| c.works_in(dir)) => None,
            Some(running) => Some(Occupant::Busy {
                process: p,
                running,
            }),
        })
        .collect()
}

/// Whether P is doing something, and what: `None` when it is idle, a
/// terminal holder or a shell whose every command (not ours) is itself
/// idle; `Some(None)` for any other program; `Some(Some(child))` for a
/// shell running CHILD. DEPTH stops a (corrupt) loop of parents.
fn busy_with<'a>(
    processes: &'a [Process],
    p: &'a Process,
    caller: &Caller,
    depth: usize,
) -> Option<Option<&'a Process>> {
    if p.holds_terminals() {
        return None;
    }
    // A shell is judged by what it runs when a person types into it, or when
    // it is the caller's own script running us; any other shell runs a
    // script, which is work even while it waits in a builtin.
    let judged_by_children =
        p.is_interactive_shell() || (p.is_shell() && caller.ancestors.contains(&p.pid));
    if !judged_by_children {
        return Some(None);
    }
    if depth > 32 {
        return Some(None);
    }
    process::children_of(processes, p.pid)
        .filter(|child| !caller.asked(child))
        .find(|child| busy_with(processes, child, caller, depth + 1).is_some())
        .map(Some)
}

/// What the processes working in DIR mean for removing it: the blockers,
/// and the idle ones to name once it is gone. Whoever asked (our
/// ancestors) is spared entirely with SPARE_CALLERS; otherwise only as idle:
/// the caller's own shell is the caller's business (`cmd/rm.rs` moves it).
pub(in crate::session) fn occupancy(
    processes: &[Process],
    dir: &Path,
    spare_callers: bool,
) -> (Vec<Blocker>, Vec<Process>) {
    let caller = Caller::this();
    let spared = if spare_callers {
        caller.ancestors.as_slice()
    } else {
        &[]
    };
    let (mut busy, mut idle) = (Vec::new(), Vec::new());
    for occupant in occupants(processes, dir, &caller, spared) {
        match occupant {
            Occupant::Idle(p) if caller.ancestors.contains(&p.pid) => {}
            Occupant::Idle(p) => idle.push(p.clone()),
            busy_one @ Occupant::Busy { .. } => busy.extend(busy_one.blocker(dir)),
        }
    }
    (busy, idle)
}

/// The first process busy in DIR other than our ancestors: what `sync` and
/// `land` take for an agent at work there.
pub(in crate::session) fn busy_in(dir: &Path) -> Option<Process> {
    let processes = process::snapshot();
    let caller = Caller::this();
    occupants(&processes, dir, &caller, &caller.ancestors)
        .into_iter()
        .find_map(|o| match o {
            Occupant::Busy { process, .. } => Some(process.clone()),
            Occupant::Idle(_) => None,
        })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// Process PID named NAME, child of PARENT in GROUP, working in CWD.
    fn p(pid: u32, name: &str, parent: u32, group: u32, cwd: &str) -> Process {
        Process {
            pid,
            name: name.into(),
            cwd: Some(PathBuf::from(cwd)),
            parent,
            group,
            interactive: true,
        }
    }

    /// What each process in /w is, by pid: `idle`, `busy`, or `busy:CHILD`.
    fn judged(processes: &[Process]) -> Vec<(u32, String)> {
        // We are pid 100 in group 100, run by shell 99.
        let caller = Caller {
            ancestors: vec![99],
            group: Some(100),
        };
        occupants(processes, Path::new("/w"), &caller, &[])
            .into_iter()
            .map(|o| match o {
                Occupant::Idle(p) => (p.pid, "idle".into()),
                Occupant::Busy {
                    process,
                    running: None,
                } => (process.pid, "busy".into()),
                Occupant::Busy {
                    process,
                    running: Some(c),
                } => (process.pid, format!("busy:{}", c.pid)),
            })
            .collect()
    }

    fn said(list: &[(u32, &str)]) -> Vec<(u32, String)> {
        list.iter().map(|(pid, s)| (*pid, s.to_string())).collect()
    }

    #[test]
    fn a_shell_blocks_only_while_it_runs_a_command_of_its_own() {
        let processes = [
            // At its prompt; a login shell; our own caller waiting for us.
            p(10, "zsh", 1, 10, "/w"),
            p(11, "-bash", 1, 11, "/w/sub"),
            p(99, "bash", 1, 99, "/w"),
            // Running a command elsewhere: the shell is named with it.
            p(20, "fish", 1, 20, "/w"),
            p(21, "sleep", 20, 21, "/"),
            // Running a command here: the command is named instead.
            p(30, "dash", 1, 30, "/w"),
            p(31, "vim", 30, 31, "/w"),
            // A bash inside a bash, both at their prompt.
            p(40, "bash", 1, 40, "/w"),
            p(41, "bash", 40, 41, "/tmp"),
            // The rest of our own pipeline does not make bash 50 busy, but
            // working here it blocks on its own: sparing our whole group
            // would spare a script's background server too.
            p(50, "bash", 1, 50, "/w"),
            p(51, "tee", 50, 100, "/w/logs"),
            // A tmux server started here, and an agent.
            p(60, "tmux: server", 1, 60, "/w"),
            p(61, "bash", 60, 61, "/elsewhere"),
            p(70, "claude", 1, 70, "/w"),
            // Not in /w at all.
            p(80, "bash", 1, 80, "/ww"),
        ];
        assert_eq!(
            judged(&processes),
            said(&[
                (10, "idle"),
                (11, "idle"),
                (99, "idle"),
                (20, "busy:21"),
                (31, "busy"),
                (40, "idle"),
                (50, "idle"),
                (51, "busy"),
                (60, "idle"),
                (70, "busy"),
            ])
        );
    }

    #[test]
    fn a_busy_shell_is_a_blocker_naming_its_command() {
        let (shell, child) = (p(20, "fish", 1, 20, "/w"), p(21, "sleep", 20, 21, "/"));
        let busy = Occupant::Busy {
            process: &shell,
            running: Some(&child),
        };
        assert_eq!(
            busy.blocker(Path::new("/w")).unwrap().to_string(),
            "process fish (pid 20) is running sleep (pid 21) in /w; stop it first"
        );
        assert_eq!(Occupant::Idle(&shell).blocker(Path::new("/w")), None);
    }
}
