//! Waiting, by condition and never by time, for processes a test set off
//! to be gone.

use std::path::Path;
use std::time::{Duration, Instant};

/// Waits until no process works in DIR (its working folder inside it) but
/// this test's own children (its sleepers): after a signal, the hooks git
/// ran there may take a moment to exit, and a shell running a hook counts
/// as busy. On systems without `/proc` it returns at once.
pub fn until_nothing_works_in(dir: &Path) {
    let own = std::process::id().to_string();
    let start = Instant::now();
    loop {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return;
        };
        let busy = entries.flatten().any(|e| {
            let works_here =
                std::fs::read_link(e.path().join("cwd")).is_ok_and(|cwd| cwd.starts_with(dir));
            // After `pid (comm)`: state, then the parent's pid.
            let ours = std::fs::read_to_string(e.path().join("stat")).is_ok_and(|stat| {
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1).map(|p| p == own))
                    .unwrap_or(false)
            });
            works_here && !ours
        });
        if !busy {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "processes still work in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// PID's start time as Claude Code writes it in its worktree locks
/// (`(pid N start S)`): field 22 of /proc/PID/stat, in clock ticks.
#[cfg(target_os = "linux")]
pub fn start_of(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the parenthesised name start with field 3.
    let rest = &stat[stat.rfind(')').unwrap() + 1..];
    rest.split_whitespace().nth(19).unwrap().parse().unwrap()
}

/// Spawns COMMAND, whose program the test has just written. Another test
/// thread forking at that moment holds the file open for writing until its
/// child execs, and exec then fails with ETXTBSY: that passes, so wait for it.
pub fn spawn_written(command: &mut std::process::Command) -> std::process::Child {
    let start = std::time::Instant::now();
    loop {
        match command.spawn() {
            Err(e)
                if e.kind() == std::io::ErrorKind::ExecutableFileBusy
                    && start.elapsed() < std::time::Duration::from_secs(30) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            spawned => return spawned.unwrap(),
        }
    }
}
