//! `watch`: what it costs while nothing happens, and how soon a hook's
//! change reaches its output (its `--json` lines, printed when the view
//! would redraw).

use std::io::{BufRead, BufReader, Write as _};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::measure::{Row, absolute_row, median};
use crate::scenarios::make_sessions;
use crate::world::World;

pub fn bench_watch(world: &World, files: usize, runs: usize) -> Vec<Row> {
    if !world.supports("watch") {
        return Vec::new();
    }
    let names = make_sessions(world, 20);
    let mut child = world
        .sessions(&["watch", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = send.send((Instant::now(), line));
        }
    });
    for _ in &names {
        lines
            .recv_timeout(Duration::from_secs(60))
            .expect("a line per session");
    }
    // Start-up work ends first (watching every folder, the radar's first
    // run over 20 worktrees, on a thread): idle is once no CPU is used for
    // two seconds running, or after two minutes.
    let pid = child.id();
    let start = Instant::now();
    let mut quiet = 0;
    while quiet < 2 && start.elapsed() < Duration::from_secs(120) {
        let before = cpu_ticks(pid);
        std::thread::sleep(Duration::from_secs(1));
        quiet = if cpu_ticks(pid) == before {
            quiet + 1
        } else {
            0
        };
    }
    while lines.try_recv().is_ok() {}

    let idle = Duration::from_secs(10);
    let before = cpu_ticks(pid);
    std::thread::sleep(idle);
    let used = cpu_ticks(pid) - before;
    let share = used as f64 / clock_ticks() / idle.as_secs_f64() * 100.0;

    let cwd = world.session_path(&names[0]);
    let samples = (0..runs.max(10))
        .map(|k| {
            let event = if k % 2 == 0 { "UserPromptSubmit" } else { "Stop" };
            let payload = format!(
                r#"{{"session_id":"w","transcript_path":"/t/w.jsonl","cwd":"{}","hook_event_name":"{event}"}}"#,
                cwd.display()
            );
            while lines.try_recv().is_ok() {}
            let start = Instant::now();
            let mut hook = world
                .sessions(&["hook", event])
                .current_dir(&cwd)
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            hook.stdin.take().unwrap().write_all(payload.as_bytes()).unwrap();
            assert!(hook.wait().unwrap().success());
            let (seen, _) = lines.recv_timeout(Duration::from_secs(10)).expect("a line per hook");
            // The next event must not land in the same refresh.
            std::thread::sleep(Duration::from_millis(300));
            seen - start
        })
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    let mut cpu = absolute_row(
        format!("watch idle CPU, 20 sessions, {files} files (% of one core over 10 s)"),
        Duration::ZERO,
        Duration::ZERO,
    );
    cpu.ours = format!("{share:.2}%");
    cpu.goal = "< 2%".into();
    cpu.met = Some(share < 2.0);
    vec![
        cpu,
        absolute_row(
            format!("watch hook-to-output, 20 sessions, {files} files"),
            median(samples),
            Duration::from_secs(1),
        ),
    ]
}

/// utime + stime of PID, in clock ticks (/proc/PID/stat fields 14 and 15).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn clock_ticks() -> f64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output();
    out.ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}
