//! Live processes, their working folders and their children: an agent still
//! working inside a worktree must never have that worktree removed from
//! under it. The facts only; what they mean for a removal is
//! `session/safety.rs`.

use std::path::{Path, PathBuf};

/// A running process, the folder it works in (`None` when we may not read
/// it: another user's), its parent and its process group (its job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    pub name: String,
    pub cwd: Option<PathBuf>,
    pub parent: u32,
    pub group: u32,
    /// A shell that may be sitting at its prompt: started with no script and
    /// no `-c` command, its input a terminal. `bash deploy.sh`, `sh -c ...`
    /// and a `#!/usr/bin/env bash` script are shells running a program.
    pub interactive: bool,
}

/// Shells a person types commands into.
const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "fish", "dash", "ash", "ksh", "mksh", "oksh", "pdksh", "yash", "tcsh",
    "csh", "nu", "elvish", "xonsh", "pwsh",
];

/// Programs that only hold terminals for the processes under them: their
/// working folder is wherever they were started, not where anyone works.
const TERMINAL_HOLDERS: &[&str] = &["tmux", "screen", "script"];

impl std::fmt::Display for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "process {} (pid {})", self.name, self.pid)
    }
}

impl Process {
    pub fn works_in(&self, dir: &Path) -> bool {
        self.cwd.as_ref().is_some_and(|cwd| cwd.starts_with(dir))
    }

    /// The program's own name: a login shell's `-zsh` is `zsh`, tmux's
    /// `tmux: server` is `tmux`.
    fn program(&self) -> &str {
        let name = self.name.strip_prefix('-').unwrap_or(&self.name);
        name.split(':').next().unwrap_or_default()
    }

    /// Whether it is a shell (bash, zsh, fish, sh, dash, ksh, tcsh...).
    pub fn is_shell(&self) -> bool {
        SHELLS.contains(&self.program())
    }

    /// Whether it is a shell a person types into, not one running a script.
    pub fn is_interactive_shell(&self) -> bool {
        self.is_shell() && self.interactive
    }

    /// Whether it only holds terminals for others: tmux, screen, script.
    pub fn holds_terminals(&self) -> bool {
        TERMINAL_HOLDERS.contains(&self.program().to_ascii_lowercase().as_str())
    }
}

/// Whether ARGS, the arguments SHELL was started with (after its name),
/// start it to read commands from a person: no command (`-c`, also in a
/// cluster such as `-ec`, or `--command`) and no script operand, also after
/// `--` or `-`. The options that take a value, which differ from shell to
/// shell (`-C` is fish's init command but bash's noclobber), skip it.
fn prompt_arguments<S: AsRef<str>>(shell: &str, args: &[S]) -> bool {
    let takes_value: &[&str] = match shell {
        "fish" => &[
            "-C",
            "--init-command",
            "-d",
            "--debug",
            "-o",
            "--debug-output",
        ],
        "bash" => &["-o", "+o", "-O", "+O", "--rcfile", "--init-file"],
        _ => &["-o", "+o"],
    };
    let mut args = args.iter().map(AsRef::as_ref);
    while let Some(arg) = args.next() {
        match arg {
            value if takes_value.contains(&value) => {
                args.next();
            }
            "--" | "-" => return args.next().is_none(),
            long if long.starts_with("--command") => return false,
            long if long.starts_with("--") => {}
            short if short.starts_with(['-', '+']) => {
                if short.contains('c') {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

/// The processes of SNAPSHOT that PID started and that still run.
pub fn children_of(snapshot: &[Process], pid: u32) -> impl Iterator<Item = &Process> {
    snapshot.iter().filter(move |p| p.parent == pid)
}

/// Every running process except this one (zombies, which have finished,
/// left out). Taken once and matched against many worktrees, since reading
/// it costs a scan.
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
    stat_of(pid).map(|s| s.parent)
}

/// What `/proc/PID/stat` says of a process.
#[cfg(target_os = "linux")]
struct Stat {
    name: String,
    state: char,
    parent: u32,
    group: u32,
}

#[cfg(target_os = "linux")]
fn stat_of(pid: impl std::fmt::Display) -> Option<Stat> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid pgrp ...`; comm may itself hold spaces and ')'.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    Some(Stat {
        name: stat.get(open + 1..close)?.to_string(),
        state: rest.next()?.chars().next()?,
        parent: rest.next()?.parse().ok()?,
        group: rest.next()?.parse().ok()?,
    })
}

/// This process's group: the job a shell runs it in, with the rest of its
/// pipeline.
pub fn own_group() -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        stat_of("self").map(|s| s.group)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let output = std::process::Command::new("ps")
            .args(["-o", "pgid=", "-p", &std::process::id().to_string()])
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        String::from_utf8_lossy(&output.stdout).trim().parse().ok()
    }
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

/// Where a person reaches process PID: the tmux pane it runs in (its
/// `TMUX_PANE`, when we may read its environment), else the terminal its
/// input comes from. `None` when neither can be told (another user's, or
/// not Linux).
pub fn whereabouts(pid: u32) -> Option<Whereabouts> {
    if let Some(pane) = environment_of(pid, "TMUX_PANE").filter(|p| !p.is_empty()) {
        return Some(Whereabouts::TmuxPane(pane));
    }
    let input = std::fs::read_link(format!("/proc/{pid}/fd/0")).ok()?;
    let terminal = input.starts_with("/dev/pts") || input.to_string_lossy().starts_with("/dev/tty");
    terminal.then_some(Whereabouts::Terminal(input))
}

/// Variable NAME in the environment process PID started with, where the
/// system lets us read it (Linux, our own processes).
pub fn environment_of(pid: u32, name: &str) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    environ.split(|b| *b == 0).find_map(|var| {
        let value = var.strip_prefix(name.as_bytes())?.strip_prefix(b"=")?;
        Some(String::from_utf8_lossy(value).into_owned())
    })
}

/// Where a process can be reached: see `whereabouts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whereabouts {
    /// A tmux pane id, such as `%3`.
    TmuxPane(String),
    /// A terminal device, such as `/dev/pts/4`.
    Terminal(PathBuf),
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
        // Uptime and start times are whole hundredths of a second: a
        // process that seems younger than the record by less than that
        // slack may still be its writer, so it errs towards alive.
        (Some(record_age), Some(age)) => age + AGE_SLACK >= record_age,
        _ => true,
    }
}

/// How far `age_of` may fall short of a process's real age.
const AGE_SLACK: std::time::Duration = std::time::Duration::from_millis(50);

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
            let stat = stat_of(pid).filter(|s| !matches!(s.state, 'Z' | 'X'))?;
            let shell = stat.name.trim_start_matches('-');
            let interactive = SHELLS.contains(&shell)
                && reads_a_terminal(&entry.path())
                && std::fs::read(entry.path().join("cmdline")).is_ok_and(|line| {
                    let args: Vec<String> = line
                        .split(|b| *b == 0)
                        .filter(|a| !a.is_empty())
                        .skip(1)
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect();
                    prompt_arguments(shell, &args)
                });
            Some(Process {
                pid,
                name: stat.name,
                cwd: std::fs::read_link(entry.path().join("cwd")).ok(),
                parent: stat.parent,
                group: stat.group,
                interactive,
            })
        })
        .collect()
}

/// Whether the process at PROC (its `/proc/<pid>` folder) reads its
/// standard input from a terminal.
#[cfg(target_os = "linux")]
fn reads_a_terminal(proc: &Path) -> bool {
    std::fs::read_link(proc.join("fd/0")).is_ok_and(|input| {
        input.starts_with("/dev/pts") || input.to_string_lossy().starts_with("/dev/tty")
    })
}

/// Elsewhere `ps` lists the processes and `lsof` knows their working
/// folders.
#[cfg(not(target_os = "linux"))]
fn scan() -> Vec<Process> {
    let run = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    let mut cwds = std::collections::HashMap::new();
    let mut pid = None;
    for line in run("lsof", &["-n", "-P", "-d", "cwd", "-F", "pn"]).lines() {
        let (tag, value) = line.split_at(line.len().min(1));
        match tag {
            "p" => pid = value.parse::<u32>().ok(),
            "n" => {
                if let Some(pid) = pid {
                    cwds.insert(pid, PathBuf::from(value));
                }
            }
            _ => {}
        }
    }
    // Each shell's arguments, to tell one at its prompt from one running a
    // script; `tty` is `??` for a process without a terminal.
    let mut prompts = std::collections::HashMap::new();
    for line in run("ps", &["-axo", "pid=,tty=,args="]).lines() {
        let mut fields = line.split_whitespace();
        let (Some(pid), Some(tty)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some(program) = fields.next() else {
            continue;
        };
        let shell = program.rsplit('/').next().unwrap_or_default();
        let args: Vec<&str> = fields.collect();
        if let Ok(pid) = pid.parse::<u32>() {
            let shell = shell.trim_start_matches('-');
            prompts.insert(pid, tty != "??" && prompt_arguments(shell, &args));
        }
    }
    run("ps", &["-axo", "pid=,ppid=,pgid=,stat=,comm="])
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let pid: u32 = fields.next()?.parse().ok()?;
            let parent = fields.next()?.parse().ok()?;
            let group = fields.next()?.parse().ok()?;
            if fields.next()?.starts_with('Z') {
                return None;
            }
            // The command is the rest of the line, spaces and all; macOS
            // gives the program's path, of which its name is the last part.
            let command = fields.collect::<Vec<_>>().join(" ");
            let name = command.rsplit('/').next().unwrap_or_default().to_string();
            Some(Process {
                pid,
                name,
                cwd: cwds.remove(&pid),
                parent,
                group,
                interactive: prompts.remove(&pid).unwrap_or(false),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shell_at_its_prompt_has_no_script_and_no_command() {
        for prompt in [&[][..], &["-i"], &["-l"], &["--login"], &["-f"], &["--"]] {
            assert!(prompt_arguments("bash", prompt), "{prompt:?}");
        }
        assert!(prompt_arguments("fish", &["-C", "init x", "-i"]));
        for running in [
            &["deploy.sh"][..],
            &["-c", "make"],
            &["-ec", "x"],
            &["-x", "./a.sh"],
            &["--", "a.sh"],
            &["-", "a.sh"],
            &["-C", "a.sh"],
        ] {
            assert!(!prompt_arguments("bash", running), "{running:?}");
        }
        assert!(!prompt_arguments("fish", &["--command=read x"]));
        assert!(!prompt_arguments("zsh", &["-f", "-C", "a.sh"]));
    }

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
