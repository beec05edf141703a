//! The scenarios, one function each, returning rows of the result table.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::measure::{
    Row, absolute_row, compare, dir_bytes, median, mib, ms, ratio_row, run, settle, timed, wait_for,
};
use crate::world::World;

pub fn bench_new(world: &World, files: usize, runs: usize) -> Row {
    let (ours, base) = compare(
        runs,
        |i| {
            let name = format!("new-{i}");
            let took = timed(&mut world.sessions(&["new", &name, "--no-agent"]));
            run(&mut world.sessions(&["rm", &name]));
            settle();
            took
        },
        |i| {
            let name = format!("plain-{i}");
            let path = world.root.join("plain").join(&name);
            let took = timed(
                world
                    .command("git", &world.repo)
                    .args(["worktree", "add", "-q", "-b", &name])
                    .arg(&path),
            );
            world.git(&["worktree", "remove", path.to_str().unwrap()]);
            world.git(&["branch", "-D", &name]);
            settle();
            took
        },
    );
    ratio_row(
        format!("new, {files} files (vs git worktree add -b)"),
        ours,
        base,
        1.05,
    )
}

pub fn bench_rm(world: &World, files: usize, runs: usize) -> Row {
    let (ours, base) = compare(
        runs,
        |i| {
            let name = format!("rm-{i}");
            run(&mut world.sessions(&["new", &name, "--no-agent"]));
            settle();
            timed(&mut world.sessions(&["rm", &name]))
        },
        |i| {
            let name = format!("plainrm-{i}");
            let path = world.root.join("plain").join(&name);
            world.git(&["worktree", "add", "-q", "-b", &name, path.to_str().unwrap()]);
            settle();
            let start = Instant::now();
            world.git(&["worktree", "remove", path.to_str().unwrap()]);
            world.git(&["branch", "-d", &name]);
            start.elapsed()
        },
    );
    ratio_row(
        format!("rm, {files} files (vs git worktree remove + branch -d)"),
        ours,
        base,
        1.10,
    )
}

/// Creates sessions s00..sNN (kept), one file changed in each.
pub fn make_sessions(world: &World, count: usize) -> Vec<String> {
    let names: Vec<String> = (0..count).map(|i| format!("s{i:02}")).collect();
    for name in &names {
        if !world.session_path(name).exists() {
            run(&mut world.sessions(&["new", name, "--no-agent"]));
            let file = world
                .session_path(name)
                .join(format!("src/m000/f{}.rs", name.len()));
            fs::OpenOptions::new()
                .append(true)
                .open(file)
                .unwrap()
                .write_all(format!("// {name}\n").as_bytes())
                .unwrap();
        }
    }
    names
}

pub fn bench_list(world: &World, files: usize, runs: usize) -> Row {
    let names = make_sessions(world, 20);
    let (ours, base) = compare(
        runs,
        |_| timed(&mut world.sessions(&["list"])),
        |_| {
            let start = Instant::now();
            for name in &names {
                run(world
                    .command("git", &world.session_path(name))
                    .args(["status", "--porcelain"]));
            }
            start.elapsed()
        },
    );
    ratio_row(
        format!("list, 20 sessions, {files} files (vs serial git status)"),
        ours,
        base,
        0.6,
    )
}

pub fn bench_path(world: &World, runs: usize) -> Row {
    make_sessions(world, 1);
    let samples = (0..runs.max(15))
        .map(|_| timed(&mut world.sessions(&["path", "s00"])))
        .collect();
    absolute_row(
        "path NAME".into(),
        median(samples),
        Duration::from_millis(5),
    )
}

/// `sessions status` over 20 sessions: the registry only, for a prompt or
/// tmux's status bar, which run it all the time.
pub fn bench_status(world: &World, runs: usize) -> Option<Row> {
    if !world.supports("status") {
        return None;
    }
    make_sessions(world, 20);
    let samples = (0..runs.max(15))
        .map(|_| timed(&mut world.sessions(&["status"])))
        .collect();
    Some(absolute_row(
        "status over 20 sessions".into(),
        median(samples),
        Duration::from_millis(5),
    ))
}

pub fn bench_hook(world: &World, runs: usize) -> Option<Row> {
    if !world.supports("hook") {
        return None;
    }
    make_sessions(world, 1);
    let cwd = world.session_path("s00");
    let payload = format!(
        r#"{{"session_id":"4f7c2a9e-1b3d-4e5f-8a6b-7c8d9e0f1a2b","transcript_path":"{home}/.claude/projects/x/4f7c2a9e.jsonl","cwd":"{cwd}","hook_event_name":"Stop","stop_hook_active":false}}"#,
        home = world.home.display(),
        cwd = cwd.display()
    );
    let samples = fed(world, &["hook", "Stop"], &cwd, &payload, runs);
    Some(absolute_row(
        "hook Stop (typical payload)".into(),
        median(samples),
        Duration::from_millis(10),
    ))
}

/// The times of RUNS (at least 15) runs of `sessions ARGS` in CWD, each fed
/// PAYLOAD on its input as Claude Code feeds its hooks and status line.
fn fed(world: &World, args: &[&str], cwd: &Path, payload: &str, runs: usize) -> Vec<Duration> {
    (0..runs.max(15))
        .map(|_| {
            let mut child = world
                .sessions(args)
                .current_dir(cwd)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            let start = Instant::now();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(payload.as_bytes())
                .unwrap();
            assert!(child.wait().unwrap().success());
            start.elapsed()
        })
        .collect()
}

/// `statusline`, as Claude Code runs it after every message: its JSON on
/// stdin, the registry read, one line out.
pub fn bench_statusline(world: &World, runs: usize) -> Option<Row> {
    if !world.supports("statusline") {
        return None;
    }
    make_sessions(world, 1);
    let cwd = world.session_path("s00");
    let payload = format!(
        r#"{{"session_id":"4f7c2a9e-1b3d-4e5f-8a6b-7c8d9e0f1a2b","cwd":"{cwd}","model":{{"id":"claude-opus-4-1","display_name":"Opus"}},"workspace":{{"current_dir":"{cwd}","project_dir":"{cwd}"}}}}"#,
        cwd = cwd.display()
    );
    let samples = fed(world, &["statusline"], &cwd, &payload, runs);
    Some(absolute_row(
        "statusline (Claude's payload)".into(),
        median(samples),
        Duration::from_millis(5),
    ))
}

/// Ten sessions with commits, uncommitted and untracked work; all of them
/// edit one shared file in different places (overlaps), and two pairs edit
/// the same line (conflicts, one committed, one not), so the full trial
/// merges run too, not only the cheap "nothing in common" path.
fn conflict_sessions(world: &World) -> Vec<String> {
    let names: Vec<String> = (0..10).map(|k| format!("c{k}")).collect();
    let edit = |file: &Path, f: &dyn Fn(&str) -> String| {
        let text = fs::read_to_string(file).unwrap();
        fs::write(file, f(&text)).unwrap();
    };
    let replace_line = |text: &str, n: usize, with: &dyn Fn(&str) -> String| -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines[n] = with(&lines[n]);
        lines.join("\n") + "\n"
    };
    for (k, name) in names.iter().enumerate() {
        run(&mut world.sessions(&["new", name, "--no-agent"]));
        let dir = world.session_path(name);
        let own = dir.join(format!("src/m001/f{}.rs", 100 + k));
        edit(&own, &|t| format!("// {name}\n{t}"));
        edit(&dir.join("shared.txt"), &|t| {
            replace_line(t, 4 * k, &|l| format!("{l} {name}"))
        });
        run(world
            .command("git", &dir)
            .args(["commit", "-q", "-am", "committed work"]));
        let mut uncommitted = fs::OpenOptions::new()
            .append(true)
            .open(dir.join(format!("src/m002/f{}.rs", 200 + k)))
            .unwrap();
        writeln!(uncommitted, "// {name} uncommitted").unwrap();
        fs::write(dir.join(format!("src/m003/new{k}.rs")), "untracked\n").unwrap();
        if k < 4 {
            let clash = dir.join("src/m004/f400.rs");
            edit(&clash, &|t| {
                replace_line(t, 11, &|_| format!("conflict {k}"))
            });
            if k < 2 {
                run(world
                    .command("git", &dir)
                    .args(["commit", "-q", "-am", "clash"]));
            }
        }
        // A fresh checkout's index is racily clean until a git command
        // rewrites it, which sessions never does; agents run git all the time.
        run(world.command("git", &dir).arg("status"));
    }
    names
}

pub fn bench_conflicts(world: &World, files: usize, runs: usize) -> Option<Row> {
    if !world.supports("conflicts") {
        return None;
    }
    let names = conflict_sessions(world);
    let mut args = vec!["conflicts"];
    args.extend(names.iter().map(String::as_str));
    let samples = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let status = world.sessions(&args).status().unwrap();
            // Exit 1 is "conflict predicted", which this scenario must be.
            assert_eq!(
                status.code(),
                Some(1),
                "conflicts should predict the two clashes"
            );
            start.elapsed()
        })
        .collect();
    Some(absolute_row(
        format!("conflicts, 10 sessions (55 merges), {files} files"),
        median(samples),
        Duration::from_secs(2),
    ))
}

/// Peak resident memory of one `sessions list` over 200 sessions, in MiB.
pub fn bench_memory(files: usize) -> Row {
    let world = World::new(files);
    make_sessions(&world, 200);
    // Reaped by wait4 below, which also reports the child's peak memory.
    #[allow(clippy::zombie_processes)]
    let child = world
        .sessions(&["list"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let usage = wait_for(child.id());
    // Linux reports KiB, macOS bytes.
    let kib = if cfg!(target_os = "macos") {
        usage.ru_maxrss / 1024
    } else {
        usage.ru_maxrss
    };
    let mib = kib as f64 / 1024.0;
    Row {
        scenario: format!("peak memory of list, 200 sessions, {files} files"),
        ours: format!("{mib:.1} MiB"),
        baseline: "-".into(),
        ratio: None,
        goal: "< 50 MiB".into(),
        met: Some(mib < 50.0),
    }
}

/// Makes a copy into a folder, for the Nth run.
type MakeCopy<'a> = &'a dyn Fn(&Path, usize) -> Command;

/// Creation time and disk of each way to get a second working copy: the
/// guide's decision matrix. `claude -w` runs `git worktree add` itself, so
/// its row is that command's.
pub fn bench_copies(world: &World, files: usize, runs: usize) -> Vec<Row> {
    let repo = world.repo.to_str().unwrap().to_string();
    let target = |what: &str, i: usize| world.root.join("copies").join(format!("{what}-{i}"));
    let ways: [(&str, MakeCopy); 5] = [
        ("sessions new --no-agent", &|_, i| {
            world.sessions(&["new", &format!("copy-{i}"), "--no-agent"])
        }),
        ("git worktree add (as claude -w)", &|dir, i| {
            let mut c = world.command("git", &world.repo);
            c.args(["worktree", "add", "-q", "-b", &format!("wt-{i}")])
                .arg(dir);
            c
        }),
        ("git clone --shared", &|dir, _| {
            let mut c = world.command("git", &world.root);
            c.args(["clone", "-q", "--shared", &repo]).arg(dir);
            c
        }),
        ("full git clone", &|dir, _| {
            let mut c = world.command("git", &world.root);
            c.args(["clone", "-q", "--no-local", &repo]).arg(dir);
            c
        }),
        ("plain copy (cp -a)", &|dir, _| {
            let mut c = world.command("cp", &world.root);
            c.args(["-a", &repo]).arg(dir);
            c
        }),
    ];
    // Interleaved, each timed copy after a flush: one copy's writeback must
    // not land on the next one's clock.
    let runs = runs.min(3);
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); ways.len()];
    let mut bytes = vec![0; ways.len()];
    for i in 0..runs {
        for step in 0..ways.len() {
            let way = (step + i) % ways.len();
            let (what, make) = &ways[way];
            let dir = target(&format!("way{way}"), i);
            fs::create_dir_all(dir.parent().unwrap()).unwrap();
            settle();
            samples[way].push(timed(&mut make(&dir, i)));
            let made = if what.starts_with("sessions") {
                world.session_path(&format!("copy-{i}"))
            } else {
                dir
            };
            bytes[way] = dir_bytes(&made);
        }
    }
    let times: Vec<Duration> = samples.into_iter().map(median).collect();
    ways.iter()
        .enumerate()
        .map(|(way, (what, _))| Row {
            scenario: format!("second copy, {files} files: {what}"),
            ours: format!("{}, {}", ms(times[way]), mib(bytes[way])),
            baseline: "-".into(),
            ratio: Some(times[way].as_secs_f64() / times[0].as_secs_f64()),
            goal: "-".into(),
            met: None,
        })
        .collect()
}
