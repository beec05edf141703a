//! Timing, medians and the rows of the result table.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// One line of the result table.
pub struct Row {
    pub scenario: String,
    pub ours: String,
    pub baseline: String,
    pub ratio: Option<f64>,
    pub goal: String,
    pub met: Option<bool>,
}

pub fn run(command: &mut Command) {
    let output = command.output().expect("command starts");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

pub fn timed(command: &mut Command) -> Duration {
    let start = Instant::now();
    run(command);
    start.elapsed()
}

/// Whether PROGRAM is on PATH (worktrunk's `wt`, compared when it is).
pub fn on_path(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Flushes what untimed set-up wrote, so that the disk writing back one
/// run's files does not slow the next timed one.
pub fn settle() {
    run(&mut Command::new("sync"));
}

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Times A and B in alternating order, `runs` times each; each closure
/// undoes what its run made, untimed, so every run starts from the same state.
pub fn compare(
    runs: usize,
    mut a: impl FnMut(usize) -> Duration,
    mut b: impl FnMut(usize) -> Duration,
) -> (Duration, Duration) {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for i in 0..runs {
        if i % 2 == 0 {
            xs.push(a(i));
            ys.push(b(i));
        } else {
            ys.push(b(i));
            xs.push(a(i));
        }
    }
    (median(xs), median(ys))
}

pub fn ratio_row(scenario: String, ours: Duration, base: Duration, goal: f64) -> Row {
    let ratio = ours.as_secs_f64() / base.as_secs_f64();
    Row {
        scenario,
        ours: ms(ours),
        baseline: ms(base),
        ratio: Some(ratio),
        goal: format!("<= {goal:.2}x"),
        met: Some(ratio <= goal),
    }
}

pub fn absolute_row(scenario: String, ours: Duration, goal: Duration) -> Row {
    Row {
        scenario,
        ours: ms(ours),
        baseline: "-".into(),
        ratio: None,
        goal: format!("< {}", ms(goal)),
        met: Some(ours < goal),
    }
}

/// Reaps child PID and returns its resource usage: the benchmark's one
/// libc call, and its only `unsafe` (Cargo.toml denies it elsewhere).
#[allow(unsafe_code)]
pub fn wait_for(pid: u32) -> libc::rusage {
    let pid = pid as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 fills it in for our
    // own child, which nothing else reaps.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    usage
}

pub fn dir_bytes(path: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    total
}

pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
