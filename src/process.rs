//! Live processes and their working folders: an agent still working inside a
//! worktree must never have that worktree removed from under it.

use std::path::{Path, PathBuf};

/// A running process and the folder it works in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    pub name: String,
    pub cwd: PathBuf,
}

impl std::fmt::Display for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "process {} (pid {})", self.name, self.pid)
    }
}

impl Process {
    pub fn works_in(&self, dir: &Path) -> bool {
        self.cwd.starts_with(dir)
    }
}

/// Every process whose working folder we can read, except this one. Taken
/// once and matched against many worktrees, since reading it costs a scan.
pub fn snapshot() -> Vec<Process> {
    let own = std::process::id();
    let mut all = scan();
    all.retain(|p| p.pid != own);
    all
}

/// The processes of `snapshot` working inside `dir`, except the pids in
/// `spared`: those that asked for what we are doing (`ancestors`).
pub fn working_in<'a>(snapshot: &'a [Process], dir: &Path, spared: &[u32]) -> Vec<&'a Process> {
    snapshot
        .iter()
        .filter(|p| p.works_in(dir) && !spared.contains(&p.pid))
        .collect()
}

/// The processes that started this one, nearest first: whoever asked for
/// what we are doing (a shell, or Claude Code running one of its hooks).
pub fn ancestors() -> Vec<u32> {
    let mut chain = Vec::new();
    let mut pid = std::process::id();
    while let Some(parent) = parent_of(pid) {
        if parent <= 1 || chain.contains(&parent) {
            break;
        }
        chain.push(parent);
        pid = parent;
    }
    chain
}

#[cfg(target_os = "linux")]
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may itself hold spaces and ')'.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(not(target_os = "linux"))]
fn parent_of(pid: u32) -> Option<u32> {
    let output = std::process::Command::new("ps")
        .args(["-o", "ppid=", "-p", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

/// Whether process PID exists (a process we may not signal still exists).
pub fn is_alive(pid: u32) -> bool {
    crate::sys::process_exists(pid)
}

/// When process PID started, as a stamp to tell it from a later process
/// given the same pid: clock ticks since boot on Linux, `None` elsewhere.
/// Records keep their writer's (`own_start`) next to its pid.
pub fn start_of(pid: u32) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // After `pid (comm)`: state is field 3, starttime field 22.
        let rest = &stat[stat.rfind(')')? + 1..];
        rest.split_whitespace().nth(19)?.parse().ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

/// This process's `start_of`, for the records it writes.
pub fn own_start() -> Option<u64> {
    start_of(std::process::id())
}

/// How long ago process PID started, where the system tells.
fn age_of(pid: u32) -> Option<std::time::Duration> {
    #[cfg(target_os = "linux")]
    {
        let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
        let uptime: f64 = uptime.split_whitespace().next()?.parse().ok()?;
        let ticks = crate::sys::clock_ticks()?;
        let started = start_of(pid)? as f64 / ticks as f64;
        Some(std::time::Duration::from_secs_f64(
            (uptime - started).max(0.0),
        ))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

/// Whether the process that wrote a record is still alive: pid PID
/// exists and is that process, not a later one given the same pid (pids are
/// reused, all the more after the reboot that follows a power cut). STARTED
/// is the writer's `own_start` when the record kept it; otherwise WRITTEN,
/// when the record was written: a process younger than the record cannot
/// have written it. Without either, the pid alone decides.
pub fn wrote_and_runs(
    pid: u32,
    started: Option<u64>,
    written: Option<std::time::SystemTime>,
) -> bool {
    if !is_alive(pid) {
        return false;
    }
    if let Some(started) = started
        && let Some(now) = start_of(pid)
    {
        return now == started;
    }
    match (written.and_then(|w| w.elapsed().ok()), age_of(pid)) {
        // Start times are whole ticks, rounded down: it errs towards alive.
        (Some(record_age), Some(age)) => age >= record_age,
        _ => true,
    }
}

/// The process that ran this one as a hook: our parent, or the parent of the
/// shell that ran the hook command.
pub fn hook_caller() -> Option<u32> {
    let parent = crate::sys::parent_pid()?;
    #[cfg(target_os = "linux")]
    {
        let name = std::fs::read_to_string(format!("/proc/{parent}/comm")).ok()?;
        if matches!(name.trim_end(), "sh" | "bash" | "dash" | "zsh") {
            let stat = std::fs::read_to_string(format!("/proc/{parent}/stat")).ok()?;
            // The fields after the parenthesised name: state, then ppid.
            let rest = &stat[stat.rfind(')')? + 1..];
            return rest.split_whitespace().nth(1)?.parse().ok();
        }
    }
    Some(parent)
}

#[cfg(target_os = "linux")]
fn scan() -> Vec<Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let dir = entry.path();
            let cwd = std::fs::read_link(dir.join("cwd")).ok()?;
            let name = std::fs::read_to_string(dir.join("comm")).ok()?;
            Some(Process {
                pid,
                name: name.trim_end().to_string(),
                cwd,
            })
        })
        .collect()
}

/// Elsewhere `lsof` knows every process's working folder.
#[cfg(not(target_os = "linux"))]
fn scan() -> Vec<Process> {
    let Ok(output) = std::process::Command::new("lsof")
        .args(["-n", "-P", "-d", "cwd", "-F", "pcn"])
        .stderr(std::process::Stdio::null())
        .output()
    else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let mut all = Vec::new();
    let (mut pid, mut name) = (None, String::new());
    for line in text.lines() {
        let (tag, value) = line.split_at(line.len().min(1));
        match tag {
            "p" => pid = value.parse().ok(),
            "c" => name = value.to_string(),
            "n" => {
                if let Some(pid) = pid {
                    all.push(Process {
                        pid,
                        name: name.clone(),
                        cwd: PathBuf::from(value),
                    });
                }
            }
            _ => {}
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_child_working_in_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().canonicalize().unwrap();
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .current_dir(&dir)
            .spawn()
            .unwrap();
        let found = snapshot();
        let inside = working_in(&found, &dir, &[]);
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(inside.len(), 1, "{found:?}");
        assert_eq!(inside[0].pid, child.id());
        assert_eq!(inside[0].name, "sleep");
    }

    #[test]
    fn ancestors_start_with_the_parent() {
        let output = std::process::Command::new("sh")
            .args(["-c", "echo $PPID"])
            .output()
            .unwrap();
        let parent: u32 = String::from_utf8(output.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(parent, std::process::id());
        let ours = ancestors();
        assert!(!ours.contains(&std::process::id()));
        assert_eq!(ours.first().copied(), parent_of(std::process::id()));
    }

    #[test]
    fn knows_live_from_dead_pids() {
        assert!(is_alive(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!is_alive(pid));
        assert!(!is_alive(0));
    }

    #[test]
    fn a_pid_reused_after_the_record_is_not_its_writer() {
        let own = std::process::id();
        let now = std::time::SystemTime::now();
        assert!(wrote_and_runs(own, own_start(), Some(now)));
        assert!(wrote_and_runs(own, None, Some(now)));
        if cfg!(target_os = "linux") {
            let other = own_start().unwrap() + 1;
            assert!(!wrote_and_runs(own, Some(other), None));
            // Written long before this process started.
            let long_ago = now - std::time::Duration::from_secs(20 * 365 * 86400);
            assert!(!wrote_and_runs(own, None, Some(long_ago)));
        }
    }
}
