//! The speed harness: `cargo bench --bench speed [-- OPTIONS]`.
//!
//! Generates its own repositories and measures `sessions` against what a
//! person would otherwise run by hand, as medians over interleaved runs.
//! Options: `--files N` (repeatable; default 2000 and 20000), `--runs N`
//! (default 7), `--save FILE` (also write the table as Markdown), `--only NAME`
//! (repeatable: run only these of new, rm, list, conflicts, copies, path, hook,
//! memory).

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SESSIONS: &str = env!("CARGO_BIN_EXE_sessions");

struct Options {
    files: Vec<usize>,
    runs: usize,
    save: Option<PathBuf>,
    only: Vec<String>,
}

impl Options {
    fn wants(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == scenario)
    }
}

fn options() -> Options {
    let mut options = Options {
        files: Vec::new(),
        runs: 7,
        save: None,
        only: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--files" => options
                .files
                .push(value().parse().expect("--files takes a number")),
            "--runs" => options.runs = value().parse().expect("--runs takes a number"),
            "--save" => options.save = Some(PathBuf::from(value())),
            "--only" => options.only.push(value()),
            // cargo bench passes --bench to every bench target.
            "--bench" => {}
            other => panic!("unknown option {other}"),
        }
    }
    if options.files.is_empty() {
        options.files = vec![2_000, 20_000];
    }
    options
}

/// One line of the result table.
struct Row {
    scenario: String,
    ours: String,
    baseline: String,
    ratio: Option<f64>,
    goal: String,
    met: Option<bool>,
}

/// An isolated world: HOME, git config, and a generated repository.
struct World {
    _root: tempfile::TempDir,
    root: PathBuf,
    repo: PathBuf,
    home: PathBuf,
}

impl World {
    fn new(files: usize) -> World {
        let root_dir = tempfile::Builder::new()
            .prefix("sessions-bench")
            .tempdir()
            .unwrap();
        let root = root_dir.path().canonicalize().unwrap();
        let home = root.join("home");
        let repo = root.join("repo");
        fs::create_dir_all(&home).unwrap();
        fs::create_dir_all(&repo).unwrap();
        fs::write(
            home.join(".gitconfig"),
            "[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n",
        )
        .unwrap();
        let world = World {
            _root: root_dir,
            root,
            repo,
            home,
        };
        world.generate(files);
        world
    }

    /// FILES source-like files in folders of 100, committed once.
    fn generate(&self, files: usize) {
        self.git(&["init", "-q"]);
        let mut line = String::new();
        for i in 0..files {
            let dir = self.repo.join(format!("src/m{:03}", i / 100));
            if i % 100 == 0 {
                fs::create_dir_all(&dir).unwrap();
            }
            line.clear();
            for j in 0..12 {
                writeln!(
                    line,
                    "pub fn f{i}_{j}(x: u64) -> u64 {{ x.wrapping_mul({j}) + {i} }}"
                )
                .unwrap();
            }
            fs::write(dir.join(format!("f{i}.rs")), &line).unwrap();
        }
        fs::write(self.repo.join(".gitignore"), "target/\n").unwrap();
        let shared: String = (1..=40).map(|i| format!("shared line {i}\n")).collect();
        fs::write(self.repo.join("shared.txt"), shared).unwrap();
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", "generated"]);
    }

    fn command(&self, program: &str, dir: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(dir)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("GIT_CONFIG_GLOBAL", self.home.join(".gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("SESSIONS_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    fn git(&self, args: &[&str]) {
        run(self.command("git", &self.repo).args(args));
    }

    fn sessions(&self, args: &[&str]) -> Command {
        let mut command = self.command(SESSIONS, &self.repo);
        command.args(args);
        command
    }

    fn session_path(&self, name: &str) -> PathBuf {
        self.root.join("repo.sessions").join(name)
    }

    fn supports(&self, subcommand: &str) -> bool {
        self.sessions(&[subcommand, "--help"])
            .status()
            .is_ok_and(|s| s.success())
    }
}

fn run(command: &mut Command) {
    let output = command.output().expect("command starts");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn timed(command: &mut Command) -> Duration {
    let start = Instant::now();
    run(command);
    start.elapsed()
}

/// Flushes what untimed set-up wrote, so that the disk writing back one
/// run's files does not slow the next timed one.
fn settle() {
    run(&mut Command::new("sync"));
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Times A and B in alternating order, `runs` times each; each closure
/// undoes what its run made, untimed, so every run starts from the same state.
fn compare(
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

fn ratio_row(scenario: String, ours: Duration, base: Duration, goal: f64) -> Row {
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

fn absolute_row(scenario: String, ours: Duration, goal: Duration) -> Row {
    Row {
        scenario,
        ours: ms(ours),
        baseline: "-".into(),
        ratio: None,
        goal: format!("< {}", ms(goal)),
        met: Some(ours < goal),
    }
}

fn bench_new(world: &World, files: usize, runs: usize) -> Row {
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

fn bench_rm(world: &World, files: usize, runs: usize) -> Row {
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
fn make_sessions(world: &World, count: usize) -> Vec<String> {
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

fn bench_list(world: &World, files: usize, runs: usize) -> Row {
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

fn bench_path(world: &World, runs: usize) -> Row {
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

fn bench_hook(world: &World, runs: usize) -> Option<Row> {
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
    let samples = (0..runs.max(15))
        .map(|_| {
            let mut child = world
                .sessions(&["hook", "Stop"])
                .current_dir(&cwd)
                .stdin(Stdio::piped())
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
        .collect();
    Some(absolute_row(
        "hook Stop (typical payload)".into(),
        median(samples),
        Duration::from_millis(10),
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

fn bench_conflicts(world: &World, files: usize, runs: usize) -> Option<Row> {
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
fn bench_memory(files: usize) -> Row {
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

/// Reaps child PID and returns its resource usage: the benchmark's one
/// libc call, and its only `unsafe` (Cargo.toml denies it elsewhere).
#[allow(unsafe_code)]
fn wait_for(pid: u32) -> libc::rusage {
    let pid = pid as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 fills it in for our
    // own child, which nothing else reaps.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    usage
}

fn dir_bytes(path: &Path) -> u64 {
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

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Makes a copy into a folder, for the Nth run.
type MakeCopy<'a> = &'a dyn Fn(&Path, usize) -> Command;

/// Creation time and disk of each way to get a second working copy: the
/// guide's decision matrix. `claude -w` runs `git worktree add` itself, so
/// its row is that command's.
fn bench_copies(world: &World, files: usize, runs: usize) -> Vec<Row> {
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

fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| scenario | measured | baseline | ratio | goal | met |\n|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let ratio = row.ratio.map_or("-".into(), |r| format!("{r:.2}x"));
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        writeln!(
            out,
            "| {} | {} | {} | {ratio} | {} | {met} |",
            row.scenario, row.ours, row.baseline, row.goal
        )
        .unwrap();
    }
    out
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.into());
    let git = Command::new("git")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!("{cpus} cores, {model}, {}, {git}", std::env::consts::OS)
}

fn main() {
    let options = options();
    let mut rows = Vec::new();
    for &files in &options.files {
        eprintln!("generating a repository of {files} files...");
        let world = World::new(files);
        if options.wants("new") {
            rows.push(bench_new(&world, files, options.runs));
        }
        if options.wants("rm") {
            rows.push(bench_rm(&world, files, options.runs));
        }
        if options.wants("list") {
            rows.push(bench_list(&world, files, options.runs));
        }
        if options.wants("conflicts") {
            // `conflicts NAME...` compares them with every session: only
            // its own ten may exist.
            rows.extend(bench_conflicts(&World::new(files), files, options.runs));
        }
        if options.wants("copies") {
            rows.extend(bench_copies(&world, files, options.runs));
        }
        if files == options.files[0] {
            if options.wants("path") {
                rows.push(bench_path(&world, options.runs));
            }
            if options.wants("hook") {
                rows.extend(bench_hook(&world, options.runs));
            }
        }
    }
    if options.wants("memory") {
        eprintln!("measuring memory with 200 sessions...");
        rows.push(bench_memory(options.files[0]));
    }

    let table = markdown(&rows);
    let machine = machine();
    println!(
        "machine: {machine}\nmedians of {} interleaved runs\n\n{table}",
        options.runs
    );
    if let Some(path) = options.save {
        let text = format!(
            "Measured {} on {machine}, medians of {} interleaved runs \
             (`cargo bench --bench speed -- --runs {}`).\n\n{table}",
            jiff::Timestamp::now().strftime("%Y-%m-%d"),
            options.runs,
            options.runs
        );
        fs::write(&path, text).unwrap();
        eprintln!("saved to {}", path.display());
    }
}
