//! Kill `new`, `rm`, `land`, `sync` and `clean` at random points, a few
//! hundred times, and check after each batch that nothing was lost and that
//! `doctor` sees and repairs what the kills left behind:
//!
//! - the registry parses;
//! - git and the registry agree, or `doctor` reports every difference;
//! - `doctor --fix` repairs it (then `doctor` finds nothing, and they agree);
//! - no file or commit that existed before is gone.
//!
//! Kill points: a `git` on PATH that SIGKILLs the whole process group just
//! before or just after its Nth run (deterministic), or a SIGKILL to the
//! group after a random delay (which lands between git's runs: registry
//! writes, in-process ref changes). The PRNG seed is fixed unless
//! `SESSIONS_STRESS_SEED` is set; it is printed either way. What each round
//! does follows from the seed; where a delayed kill lands does not, which is
//! why every assertion is an invariant that must hold after any kill point.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TestEnv, write_file};
use serde_json::Value;

mod invariants;

const DEFAULT_SEED: u64 = 0x5e55_1017;
const ROUNDS: usize = 24;
const KILLS_PER_ROUND: usize = 10;
/// Sessions kept around to act on.
const SESSIONS: usize = 5;

#[test]
fn random_kills_lose_nothing_and_doctor_reports_and_repairs_them() {
    let seed = std::env::var("SESSIONS_STRESS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    eprintln!("stress seed: {seed} (set SESSIONS_STRESS_SEED to change it)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut stress = Stress::new(rng.u64(..));
    let (mut killed, mut finished) = (0, 0);
    let mut verbs_killed = BTreeSet::new();
    let mut failures = Vec::new();
    let start = Instant::now();
    for round in 0..ROUNDS {
        stress.populate();
        let before = stress.snapshot();
        let mut log = Vec::new();
        for _ in 0..KILLS_PER_ROUND {
            log.push(stress.kill_one());
        }
        // Every failing round is reported, not just the first: once one
        // fails, the next rounds start over in a fresh repository.
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            stress.check(round, &before, &log)
        }));
        if let Err(panic) = checked {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(message);
            killed += stress.killed;
            finished += stress.finished;
            verbs_killed.append(&mut stress.verbs_killed);
            stress = Stress::new(rng.u64(..));
        }
    }
    killed += stress.killed;
    finished += stress.finished;
    verbs_killed.append(&mut stress.verbs_killed);
    eprintln!(
        "stress: {killed} commands killed ({verbs_killed:?}), {finished} finished first, in {:.1?}",
        start.elapsed()
    );
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {ROUNDS} rounds failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(
        killed >= ROUNDS * KILLS_PER_ROUND / 2,
        "only {killed} of {} commands were killed: the kill points miss",
        ROUNDS * KILLS_PER_ROUND
    );
    // Each of them is killed dozens of times in a run: one never killed
    // means its kill points miss.
    assert_eq!(
        verbs_killed,
        BTreeSet::from(["clean", "land", "new", "rm", "sync"].map(String::from)),
        "some commands were never killed"
    );
}

struct Stress {
    env: TestEnv,
    rng: fastrand::Rng,
    /// Holds the `git` that kills.
    wrapper_dir: PathBuf,
    real_git: PathBuf,
    counter: PathBuf,
    serial: usize,
    killed: usize,
    /// The commands (`new`, `rm`...) killed at least once.
    verbs_killed: BTreeSet<String>,
    finished: usize,
}

/// What existed before a batch of kills.
struct Before {
    commits: BTreeSet<String>,
    /// Modified and untracked files, anywhere: path to content.
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl Stress {
    fn new(seed: u64) -> Stress {
        let env = TestEnv::new();
        // Where users live: a clone of a remote, sessions based on origin/main.
        let origin = env.root().join("origin.git");
        env.git(&["clone", "-q", "--bare", ".", origin.to_str().unwrap()]);
        env.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
        env.git(&["fetch", "-q", "origin"]);
        env.git(&["remote", "set-head", "origin", "main"]);
        env.git(&["branch", "-q", "--set-upstream-to", "origin/main", "main"]);

        let real_git = which_git();
        let wrapper_dir = env.root().join("killing-git");
        let git = wrapper_dir.join("git");
        write_file(
            &git,
            "#!/bin/sh\n\
             # The Nth git run, counted atomically across concurrent runs.\n\
             if [ -n \"$STRESS_KILL_AT\" ]; then\n\
             \x20 i=1\n\
             \x20 while ! mkdir \"$STRESS_COUNTER/$i\" 2>/dev/null; do i=$((i+1)); done\n\
             \x20 if [ \"$i\" = \"$STRESS_KILL_AT\" ]; then\n\
             \x20   [ \"$STRESS_KILL_WHEN\" = after ] && \"$STRESS_REAL_GIT\" \"$@\"\n\
             \x20   kill -KILL 0\n\
             \x20 fi\n\
             fi\n\
             exec \"$STRESS_REAL_GIT\" \"$@\"\n",
        );
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&git, fs::Permissions::from_mode(0o755)).unwrap();
        let counter = env.root().join("git-runs");
        Stress {
            env,
            rng: fastrand::Rng::with_seed(seed),
            wrapper_dir,
            real_git,
            counter,
            serial: 0,
            killed: 0,
            verbs_killed: BTreeSet::new(),
            finished: 0,
        }
    }

    fn registry(&self) -> Value {
        let text = fs::read_to_string(self.env.registry_file()).unwrap_or_default();
        let parsed: toml::Value = toml::from_str(&text)
            .unwrap_or_else(|e| panic!("the registry does not parse after a kill: {e}\n{text}"));
        serde_json::to_value(parsed).unwrap()
    }

    fn session_names(&self) -> Vec<String> {
        self.registry()["session"]
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|s| s["name"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Tops the sessions up to `SESSIONS`, in assorted states, and moves
    /// the base on now and then so that `sync` and `land` have work.
    fn populate(&mut self) {
        let names = self.session_names();
        for _ in names.len()..SESSIONS {
            self.serial += 1;
            let name = format!("s{}", self.serial);
            let out = self
                .env
                .sessions()
                .args(["new", &name, "--no-agent"])
                .output()
                .unwrap();
            if !out.status.success() {
                // Left over from a kill that doctor did not repair: the
                // round's checks say so; go on with fewer.
                continue;
            }
            let path = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim_end());
            match self.rng.u8(0..4) {
                // Committed work, sometimes two commits.
                0 | 1 => {
                    for k in 0..self.rng.usize(1..3) {
                        self.env.commit_in(
                            &path,
                            &format!("{name}-{k}.txt"),
                            &format!("{name} {k}\n"),
                            &format!("{name}: work {k}"),
                        );
                    }
                    if self.rng.bool() {
                        // And uncommitted work on top.
                        write_file(&path.join(format!("{name}-wip.txt")), "not committed\n");
                    }
                }
                // Only uncommitted work.
                2 => write_file(&path.join(format!("{name}-notes.txt")), "notes\n"),
                // Nothing yet: `clean` takes it.
                _ => {}
            }
        }
        if self.rng.u8(0..3) == 0 {
            self.serial += 1;
            let file = format!("main-{}.txt", self.serial);
            self.env
                .commit_in(&self.env.repo, &file, "main\n", "main moves on");
            self.env.git(&["push", "-q", "origin", "main"]);
        }
    }

    fn snapshot(&self) -> Before {
        let commits = self
            .git(&["rev-list", "--all", "--reflog"])
            .lines()
            .map(str::to_string)
            .collect();
        let mut files = BTreeMap::new();
        for wt in self.worktrees() {
            let status = self.env.git_in(
                &wt,
                &["status", "--porcelain", "-z", "--untracked-files=all"],
            );
            for record in status.split('\0').filter(|r| r.len() > 3) {
                let path = wt.join(&record[3..]);
                if let Ok(bytes) = fs::read(&path) {
                    files.insert(path, bytes);
                }
            }
        }
        Before { commits, files }
    }

    /// Runs one command and kills it somewhere; what it ran and how it ended.
    fn kill_one(&mut self) -> String {
        let names = self.session_names();
        let pick = |rng: &mut fastrand::Rng| -> String {
            if names.is_empty() {
                "none".into()
            } else {
                names[rng.usize(..names.len())].clone()
            }
        };
        let args: Vec<String> = match self.rng.u8(0..6) {
            0 => {
                self.serial += 1;
                vec![
                    "new".into(),
                    format!("k{}", self.serial),
                    "--no-agent".into(),
                ]
            }
            1 => vec!["rm".into(), pick(&mut self.rng)],
            2 => vec!["land".into(), pick(&mut self.rng)],
            3 if self.rng.bool() => vec!["sync".into(), "--all".into()],
            3 => vec!["sync".into(), "--merge".into(), pick(&mut self.rng)],
            4 => vec!["clean".into(), "--yes".into()],
            _ => vec!["rm".into(), pick(&mut self.rng), pick(&mut self.rng)],
        };
        let _ = fs::remove_dir_all(&self.counter);
        fs::create_dir_all(&self.counter).unwrap();
        // `sessions` runs rebases and merges in a process group of their
        // own, so that Ctrl-C does not cut them in half; a kill of its group
        // leaves them to finish. Every process of the command inherits fd 9,
        // the write end of a pipe, so that the pipe's end of file says when
        // the last of them is gone and the next step may look.
        let (mut all_gone, write_end) = std::io::pipe().unwrap();
        let program = self
            .env
            .sessions_std(&self.env.repo)
            .get_program()
            .to_owned();
        let mut command = self.env.command_in("sh", &self.env.repo);
        command
            .args(["-c", "exec \"$0\" \"$@\" 9>&1 >/dev/null"])
            .arg(program)
            .args(&args)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(write_end)
            .stderr(Stdio::null());
        let by_git = self.rng.u8(0..10) < 7;
        let point = if by_git {
            // Roughly how many times each command runs git.
            let runs = match args[0].as_str() {
                "new" => 1,
                "sync" | "rm" => 3,
                _ => 4,
            };
            let at = self.rng.usize(1..=runs);
            let when = if self.rng.bool() { "before" } else { "after" };
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut dirs = vec![self.wrapper_dir.clone()];
            dirs.extend(std::env::split_paths(&path));
            command
                .env("PATH", std::env::join_paths(dirs).unwrap())
                .env("STRESS_KILL_AT", at.to_string())
                .env("STRESS_KILL_WHEN", when)
                .env("STRESS_COUNTER", &self.counter)
                .env("STRESS_REAL_GIT", &self.real_git);
            format!("{when} git run {at}")
        } else {
            String::new()
        };
        let delay = Duration::from_millis(self.rng.u64(0..30));
        let mut child = command.spawn().unwrap();
        if !by_git {
            std::thread::sleep(delay);
            // The child is not reaped yet, so its pid, which is the group's
            // id, cannot have been reused.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
        }
        let status = child.wait().unwrap();
        // Our copy of the write end went to the child with `command`.
        drop(command);
        std::io::Read::read_to_end(&mut all_gone, &mut Vec::new()).unwrap();
        let point = if by_git {
            point
        } else {
            format!("after {delay:?}")
        };
        let ended = if status.signal() == Some(9) {
            self.killed += 1;
            self.verbs_killed.insert(args[0].clone());
            "killed".to_string()
        } else {
            self.finished += 1;
            format!("finished with {status}")
        };
        format!("sessions {} ({point}): {ended}", args.join(" "))
    }

    /// The invariants, after a batch of kills, around `doctor --fix`.
    fn check(&mut self, round: usize, before: &Before, log: &[String]) {
        let context = format!("round {round}:\n  {}", log.join("\n  "));
        self.registry();
        // Commits are counted after `doctor --fix`: a kill inside `git
        // worktree add` can leave an admin entry (an empty `commondir`) on
        // which `git rev-list --all` fails until doctor removes it.
        self.files_kept(before, &context);
        let differences = self.differences();
        let report = self.doctor(&["doctor", "--json"]);
        if !differences.is_empty() {
            assert_eq!(
                report["healthy"], false,
                "{context}\ndoctor finds nothing, but: {differences:#?}"
            );
        }
        let findings = report["findings"].to_string();
        for (what, key) in &differences {
            assert!(
                findings.contains(key.as_str()),
                "{context}\ndoctor does not report {what}: {findings}"
            );
        }
        let fixed = self.doctor(&["doctor", "--fix", "--json"]);
        let after = self.doctor(&["doctor", "--json"]);
        // A branch a removed session left behind because it holds commits
        // no remote has (`rm` after a `land` into the unpushed local main)
        // is rightly reported and rightly not deleted: that, and only that,
        // may remain.
        let remaining: Vec<&Value> = after["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !self.holds_unpushed_work(f))
            .collect();
        assert!(
            remaining.is_empty(),
            "{context}\ndoctor --fix left {after}\nit said {fixed}"
        );
        let left = self.differences();
        assert!(
            left.is_empty(),
            "{context}\nafter doctor --fix, git and the registry still differ: {left:#?}"
        );
        self.nothing_lost(before, &format!("{context}\nafter doctor --fix"));
    }

    /// Whether FINDING is an unfixable left-behind branch with commits no
    /// remote-tracking branch has.
    fn holds_unpushed_work(&self, finding: &Value) -> bool {
        if finding["kind"] != "left_branch" || finding["fixable"] != false {
            return false;
        }
        let problem = finding["problem"].as_str().unwrap_or_default();
        let Some(branch) = problem
            .strip_prefix("branch '")
            .and_then(|rest| rest.split('\'').next())
        else {
            return false;
        };
        !self
            .git(&[
                "rev-list",
                &format!("refs/heads/{branch}"),
                "--not",
                "--remotes",
            ])
            .trim()
            .is_empty()
    }

    fn doctor(&self, args: &[&str]) -> Value {
        let out = self.env.sessions().args(args).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "sessions {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }
}

fn which_git() -> PathBuf {
    let out = Command::new("sh")
        .args(["-c", "command -v git"])
        .output()
        .unwrap();
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}
