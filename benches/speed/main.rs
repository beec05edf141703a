//! The speed harness: `cargo bench --bench speed [-- OPTIONS]`.
//!
//! Generates its own repositories and measures `sessions` against what a
//! person would otherwise run by hand, as medians over interleaved runs.
//! Options: `--files N` (repeatable; default 2000 and 20000), `--runs N`
//! (default 7), `--save FILE` (also write the table as Markdown), `--only NAME`
//! (repeatable: run only these of new, rm, list, conflicts, copies, path, hook,
//! status, statusline, notify, claude, memory, ready, sparse, watch, rm-big).

mod claude;
mod disk;
// The tests' fake Anthropic API, which the Claude scenario runs against.
#[allow(dead_code)]
#[path = "../../tests/cli/common/fake_anthropic/mod.rs"]
mod fake_anthropic;
mod measure;
mod notify;
mod ready;
mod scenarios;
// Which Claude the tests run, found the same way here.
#[path = "../../tests/cli/common/claude.rs"]
#[allow(dead_code, reason = "the tests' lock and version pin serve only them")]
mod the_claude;
mod watch;
mod world;

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use measure::Row;
use scenarios::{
    bench_conflicts, bench_copies, bench_hook, bench_list, bench_memory, bench_new, bench_path,
    bench_rm, bench_status, bench_statusline,
};
use world::World;

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
        if options.wants("sparse") {
            rows.push(ready::bench_sparse(&world, files, options.runs));
        }
        if options.wants("watch") {
            rows.extend(watch::bench_watch(&world, files, options.runs));
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
            if options.wants("statusline") {
                rows.extend(bench_statusline(&world, options.runs));
            }
            if options.wants("status") {
                rows.extend(bench_status(&world, options.runs));
            }
            if options.wants("notify") {
                rows.extend(notify::bench_notify(&world, options.runs));
            }
            if options.wants("claude") {
                rows.extend(claude::bench_claude_hooks(&world, options.runs));
            }
        }
    }
    if options.wants("ready") {
        rows.extend(ready::bench_ready(options.runs));
    }
    if options.wants("rm-big") {
        // Its own repository, small: what it measures is the ignored tree.
        rows.extend(disk::bench_rm_big(&World::new(2_000), options.runs));
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
