//! An isolated world to measure in: its own HOME and git configuration, and
//! a generated repository.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::measure::run;

const SESSIONS: &str = env!("CARGO_BIN_EXE_sessions");

/// An isolated world: HOME, git config, and a generated repository.
pub struct World {
    _root: tempfile::TempDir,
    pub root: PathBuf,
    pub repo: PathBuf,
    pub home: PathBuf,
}

impl World {
    pub fn new(files: usize) -> World {
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

    pub fn command(&self, program: &str, dir: &Path) -> Command {
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

    pub fn git(&self, args: &[&str]) {
        run(self.command("git", &self.repo).args(args));
    }

    pub fn sessions(&self, args: &[&str]) -> Command {
        let mut command = self.command(SESSIONS, &self.repo);
        command.args(args);
        command
    }

    pub fn session_path(&self, name: &str) -> PathBuf {
        self.root.join("repo.sessions").join(name)
    }

    pub fn supports(&self, subcommand: &str) -> bool {
        self.sessions(&[subcommand, "--help"])
            .status()
            .is_ok_and(|s| s.success())
    }
}
