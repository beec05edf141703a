//! The hook's time when a change of state notifies (docs/notify.md): with
//! notifications off, with the desktop one, and with a slow command, which
//! runs detached and so must cost the hook nothing.

use std::fs;
use std::io::Write as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::measure::{Row, absolute_row, median, run};
use crate::world::World;

pub fn bench_notify(world: &World, runs: usize) -> Vec<Row> {
    if !world.supports("notify-send") {
        return Vec::new();
    }
    let name = "notify";
    if !world.session_path(name).exists() {
        run(&mut world.sessions(&["new", name, "--no-agent"]));
    }
    let cwd = world.session_path(name);
    let config = world.home.join(".config/sessions/config.toml");
    fs::create_dir_all(config.parent().unwrap()).unwrap();
    let hook = |event: &str| {
        let payload = format!(
            r#"{{"session_id":"9b1c","cwd":"{}","hook_event_name":"{event}","tool_name":"Bash"}}"#,
            cwd.display()
        );
        let mut child = world
            .sessions(&["hook", event])
            .current_dir(&cwd)
            // No real notification service disturbed: the desktop one is
            // still started, and fails in its own process.
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(payload.as_bytes()).unwrap();
        drop(stdin);
        assert!(child.wait().unwrap().success());
        start.elapsed()
    };
    let variants = [
        ("off", "[notify]\non = []\n"),
        ("desktop", "[notify]\ndesktop = true\n"),
        (
            "command `sleep 5`",
            "[notify]\ndesktop = false\ncommand = \"sleep 5\"\n",
        ),
    ];
    let rows = variants
        .iter()
        .map(|(what, text)| {
            fs::write(&config, text).unwrap();
            let samples = (0..runs.max(15))
                .map(|_| {
                    hook("UserPromptSubmit");
                    hook("PermissionRequest")
                })
                .collect();
            // A change of state writes the registry (with its fsync), which
            // a repeated Stop does not: hence more than `hook Stop`'s 10 ms.
            absolute_row(
                format!("hook waiting, notify {what}"),
                median(samples),
                Duration::from_millis(20),
            )
        })
        .collect();
    fs::remove_file(&config).unwrap();
    rows
}
