//! "Ready to work": a new worktree of a Rust project plus its first
//! `cargo build`, when the main worktree's `target/` is warm. `sessions`
//! copies `target/` (`copy = ["target"]`) keeping modification times, so
//! only the project's own crate is rebuilt; a plain `git worktree add`
//! starts from nothing and builds every dependency.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::measure::{Row, compare, on_path, ratio_row, run, settle};
use crate::world::World;

/// The project's dependencies: in the local cargo cache (this repository
/// uses them), so the benchmark builds offline.
const MANIFEST: &str = r#"[package]
name = "ready"
version = "0.1.0"
edition = "2021"

[dependencies]
serde = { version = "1", features = ["derive"] }
serde_json = "1"
"#;

const MAIN: &str = r##"#[derive(serde::Serialize, serde::Deserialize, Debug)]
struct Point { x: i32, y: i32 }

fn main() {
    let p: Point = serde_json::from_str(r#"{"x":1,"y":2}"#).unwrap();
    println!("{}", serde_json::to_string(&p).unwrap());
}
"##;

/// Builds have minutes to spare but not hours: at most this many runs.
const MAX_RUNS: usize = 3;

pub fn bench_ready(runs: usize) -> Vec<Row> {
    let world = World::new(0);
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| dirs_home().join(".cargo"));
    let cargo = |dir: &Path| {
        let mut command = world.command("cargo", dir);
        command
            .args(["build", "--offline", "--quiet"])
            .env("CARGO_HOME", &cargo_home)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("RUSTFLAGS");
        command
    };
    fs::write(world.repo.join("Cargo.toml"), MANIFEST).unwrap();
    fs::create_dir_all(world.repo.join("src")).unwrap();
    fs::write(world.repo.join("src/main.rs"), MAIN).unwrap();
    eprintln!("ready: warming the main worktree's target/...");
    run(&mut cargo(&world.repo));
    world.git(&["add", "-A"]);
    world.git(&["commit", "-q", "-m", "a rust project"]);
    let config = world.home.join(".config/sessions/config.toml");
    fs::create_dir_all(config.parent().unwrap()).unwrap();
    fs::write(&config, "copy = [\"target\"]\n").unwrap();

    // `sessions new NAME` and the build, timed; then removed, untimed.
    let ours = |name: &str| {
        settle();
        let start = Instant::now();
        run(&mut world.sessions(&["new", name, "--no-agent"]));
        run(&mut cargo(&world.session_path(name)));
        let took = start.elapsed();
        run(&mut world.sessions(&["rm", "--force", name]));
        took
    };
    let (ours_time, base) = compare(
        runs.min(MAX_RUNS),
        |i| ours(&format!("ready-{i}")),
        |i| {
            let name = format!("plain-{i}");
            let path = world.root.join("plain").join(&name);
            settle();
            let start = Instant::now();
            world.git(&["worktree", "add", "-q", "-b", &name, path.to_str().unwrap()]);
            run(&mut cargo(&path));
            let took = start.elapsed();
            world.git(&["worktree", "remove", "--force", path.to_str().unwrap()]);
            world.git(&["branch", "-D", &name]);
            took
        },
    );
    let mut rows = vec![ratio_row(
        "ready to work: new + first cargo build, warm target/ (vs git worktree add + build)".into(),
        ours_time,
        base,
        0.50,
    )];
    if !on_path("wt") {
        eprintln!("wt is not on PATH: no worktrunk comparison");
        return rows;
    }
    // worktrunk's way: `wt switch --create`, then its copy of ignored files.
    let (ours_time, wt) = compare(
        runs.min(MAX_RUNS),
        |i| ours(&format!("ready-wt-{i}")),
        |i| {
            let name = format!("wt-{i}");
            let wt = |args: &[&str]| {
                let mut command = world.command("wt", &world.repo);
                command.args(args).arg("--yes");
                command
            };
            settle();
            let start = Instant::now();
            run(&mut wt(&["switch", "--create", &name, "--no-cd"]));
            run(&mut wt(&["step", "copy-ignored", "--to", &name]));
            let path = worktree_of(&world, &name);
            run(&mut cargo(&path));
            let took = start.elapsed();
            world.git(&["worktree", "remove", "--force", path.to_str().unwrap()]);
            world.git(&["branch", "-D", &name]);
            took
        },
    );
    rows.push(ratio_row(
        "ready to work: new + first cargo build, warm target/ (vs wt switch --create + copy-ignored + build)".into(),
        ours_time,
        wt,
        1.00,
    ));
    rows
}

/// Where `git worktree list` has BRANCH checked out.
fn worktree_of(world: &World, branch: &str) -> PathBuf {
    let output = world
        .command("git", &world.repo)
        .args(["worktree", "list", "--porcelain"])
        .stdout(std::process::Stdio::piped())
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let wanted = format!("branch refs/heads/{branch}");
    text.split("\n\n")
        .find(|block| block.lines().any(|l| l == wanted))
        .and_then(|block| block.lines().next()?.strip_prefix("worktree "))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no worktree has {branch}: {text}"))
}

/// `new --sparse` of a tenth of the folders (a 10% cone) against a full
/// `new`, on WORLD's repository of FILES files in folders of 100.
pub fn bench_sparse(world: &World, files: usize, runs: usize) -> Row {
    let folders: Vec<String> = (0..files.div_ceil(100) / 10)
        .map(|i| format!("src/m{i:03}"))
        .collect();
    let (ours, base) = compare(
        runs,
        |i| {
            let name = format!("sparse-{i}");
            let mut args = vec!["new", name.as_str(), "--no-agent", "--sparse"];
            args.extend(folders.iter().map(String::as_str));
            let took = crate::measure::timed(&mut world.sessions(&args));
            run(&mut world.sessions(&["rm", &name]));
            settle();
            took
        },
        |i| {
            let name = format!("full-{i}");
            let took = crate::measure::timed(&mut world.sessions(&["new", &name, "--no-agent"]));
            run(&mut world.sessions(&["rm", &name]));
            settle();
            took
        },
    );
    ratio_row(
        format!("new --sparse, 10% cone of {files} files (vs full new)"),
        ours,
        base,
        0.40,
    )
}

fn dirs_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
}
