//! `rm` of a session holding a big ignored tree (a 200,000-file
//! `node_modules`), which goes to the trash and is deleted in the
//! background, against `git worktree remove --force` (and worktrunk's `wt
//! remove` when `wt` is on PATH), which delete before returning.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::measure::{Row, median, ms, on_path, ratio_row, run, settle, timed};
use crate::world::World;

const FILES: usize = 200_000;

/// FILES small files in DIR/node_modules, 100 per package folder.
fn fill(dir: &Path) {
    let modules = dir.join("node_modules");
    for i in 0..FILES {
        let package = modules.join(format!("pkg{}", i / 100));
        if i % 100 == 0 {
            fs::create_dir_all(&package).unwrap();
        }
        fs::write(package.join(format!("f{i}.js")), b"module.exports = 1;\n").unwrap();
    }
}

/// Waits until a background deleter has emptied TRASH (under the git dir),
/// so that the next run does not share the disk with it.
fn until_trash_is_empty(world: &World, trash: &str) {
    let trash = world.repo.join(".git").join(trash);
    let start = Instant::now();
    while fs::read_dir(&trash).is_ok_and(|mut l| l.next().is_some()) {
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "the trash was never emptied"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A plain worktree on a new BRANCH, its `node_modules` filled.
fn filled_worktree(world: &World, branch: &str) -> std::path::PathBuf {
    let path = world.root.join("plain").join(branch);
    world.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        branch,
        path.to_str().unwrap(),
    ]);
    fill(&path);
    path
}

pub fn bench_rm_big(world: &World, runs: usize) -> Vec<Row> {
    let runs = runs.clamp(1, 3);
    let exclude = world.repo.join(".git/info/exclude");
    fs::create_dir_all(exclude.parent().unwrap()).unwrap();
    fs::write(&exclude, "node_modules/\n").unwrap();
    let has_wt = on_path("wt");
    let (mut ours, mut git, mut wt) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        eprintln!("rm-big run {}/{runs}: filling {FILES} files...", i + 1);
        let name = format!("big-{i}");
        run(&mut world.sessions(&["new", &name, "--no-agent"]));
        fill(&world.session_path(&name));
        settle();
        ours.push(timed(&mut world.sessions(&["rm", &name])));
        let deleting = Instant::now();
        until_trash_is_empty(world, "sessions/trash");
        eprintln!(
            "  sessions rm: {} (then {} deleting in the background)",
            ms(ours[i]),
            ms(deleting.elapsed())
        );

        let branch = format!("bigplain-{i}");
        let plain = filled_worktree(world, &branch);
        settle();
        let start = Instant::now();
        world.git(&["worktree", "remove", "--force", plain.to_str().unwrap()]);
        git.push(start.elapsed());
        eprintln!("  git worktree remove --force: {}", ms(git[i]));
        world.git(&["branch", "-D", &branch]);

        if has_wt {
            let branch = format!("bigwt-{i}");
            filled_worktree(world, &branch);
            settle();
            wt.push(timed(
                world
                    .command("wt", &world.repo)
                    .args(["remove", "--force", "--yes", &branch]),
            ));
            // worktrunk deletes in the background too, from its own trash.
            let deleting = Instant::now();
            until_trash_is_empty(world, "wt/trash");
            eprintln!(
                "  wt remove: {} (then {} deleting in the background)",
                ms(wt[i]),
                ms(deleting.elapsed())
            );
            let _ = world
                .command("git", &world.repo)
                .args(["branch", "-D", &branch])
                .status();
        }
    }
    let ours = median(ours);
    let mut rows = vec![ratio_row(
        format!("rm, {FILES}-file node_modules (vs git worktree remove --force)"),
        ours,
        median(git),
        0.10,
    )];
    if has_wt {
        rows.push(ratio_row(
            format!("rm, {FILES}-file node_modules (vs wt remove, also in the background)"),
            ours,
            median(wt),
            1.00,
        ));
    } else {
        eprintln!(
            "wt is not on PATH: no worktrunk comparison (took {})",
            ms(ours)
        );
    }
    rows
}
