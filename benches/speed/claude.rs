//! What the `sessions` hooks cost inside Claude Code: one `claude -p` turn
//! making 20 Bash calls against the fake API, with the hooks installed
//! (`sessions claude install`, so 22 hook runs: UserPromptSubmit, 20 times
//! PostToolUse, Stop) and without, interleaved.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::fake_anthropic::{FakeAnthropic, Turn};
use crate::measure::{Row, median, ratio_row, run};
use crate::the_claude::claude_binary;
use crate::world::World;

const CALLS: usize = 20;
const API_KEY: &str = "sk-ant-bench-0123456789abcdefghijklmnop";

/// Rows for the whole `claude -p` run and for the turn alone (the fake
/// API's first to last request, which the 20 tool hooks fall within), and
/// the turn with hooks that do nothing, for what hooks cost in themselves.
pub fn bench_claude_hooks(world: &World, runs: usize) -> Vec<Row> {
    let Some(claude) = claude_binary() else {
        eprintln!(
            "SKIPPED: claude hooks: claude not found (set SESSIONS_TEST_CLAUDE, put it on PATH, or run .ci/run)"
        );
        return Vec::new();
    };
    let api = FakeAnthropic::start();
    run(&mut world.sessions(&["new", "hooks-bench", "--no-agent"]));
    let wt = world.session_path("hooks-bench");
    fs::write(
        world.home.join(".claude.json"),
        json!({"hasCompletedOnboarding": true, "numStartups": 5,
               "customApiKeyResponses": {"approved": [&API_KEY[API_KEY.len() - 20..]], "rejected": []},
               "projects": {wt.display().to_string(): {"hasTrustDialogAccepted": true}}})
        .to_string(),
    )
    .unwrap();
    let settings = world.home.join(".claude").join("settings.json");
    run(&mut world.sessions(&["claude", "install"]));
    let hooked = fs::read_to_string(&settings).unwrap();
    assert!(hooked.contains("PostToolUse"), "{hooked}");

    // A hook that does nothing: what Claude's running of hooks costs by
    // itself, the floor for any hook.
    let exe = env!("CARGO_BIN_EXE_sessions");
    let trivial = hooked.replace(&format!("{exe} hook "), "true ");
    assert_ne!(trivial, hooked, "hooks are `{exe} hook EVENT`: {hooked}");
    let variants = ["{}", trivial.as_str(), hooked.as_str()];

    let mut rows = Vec::new();
    for answer in [Duration::ZERO, Duration::from_millis(500)] {
        let (wall, turns) = measure(&api, world, &claude, &settings, &variants, runs, answer);
        let [wall_none, _, wall_ours] = wall.map(median);
        let [turn_none, turn_trivial, turn_ours] = turns.map(median);
        let model = if answer.is_zero() {
            "an instant model".to_string()
        } else {
            format!("a model answering in {} ms", answer.as_millis())
        };
        if answer.is_zero() {
            rows.push(ratio_row(
                format!("claude -p, {CALLS} Bash calls, {model}: with the hooks (vs none)"),
                wall_ours,
                wall_none,
                1.05,
            ));
        }
        rows.push(ratio_row(
            format!("the turn, {CALLS} Bash calls, {model}: with the hooks (vs none)"),
            turn_ours,
            turn_none,
            1.05,
        ));
        rows.push(ratio_row(
            format!("the turn, {CALLS} Bash calls, {model}: hooks running `true` (vs none)"),
            turn_trivial,
            turn_none,
            1.05,
        ));
    }
    rows
}

/// Each of VARIANTS (settings files) RUNS times, interleaved, every model
/// answer taking ANSWER: the wall times of `claude -p`, and of its turns.
fn measure(
    api: &FakeAnthropic,
    world: &World,
    claude: &Path,
    settings: &Path,
    variants: &[&str; 3],
    runs: usize,
    answer: Duration,
) -> ([Vec<Duration>; 3], [Vec<Duration>; 3]) {
    let (mut wall, mut turns) = ([vec![], vec![], vec![]], [vec![], vec![], vec![]]);
    let wt = world.session_path("hooks-bench");
    for i in 0..runs {
        // Interleaved, each in every position in turn.
        for k in 0..variants.len() {
            let v = (i + k) % variants.len();
            fs::write(settings, variants[v]).unwrap();
            let first = api.main_requests().len();
            // A tool answer pauses twice: before the call and before its input.
            api.script(
                std::iter::repeat_with(|| Turn::bash("true").spaced(answer / 2))
                    .take(CALLS)
                    .chain([Turn::text("All done.")]),
            );
            let mut command: Command = world.command(claude.to_str().unwrap(), &wt);
            command
                .args(["-p", "run true 20 times", "--allowedTools", "Bash"])
                .env_remove("CLAUDE_CONFIG_DIR")
                .env("ANTHROPIC_BASE_URL", api.base_url())
                .env("ANTHROPIC_API_KEY", API_KEY)
                .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
                .env("DISABLE_AUTOUPDATER", "1");
            let start = Instant::now();
            run(&mut command);
            wall[v].push(start.elapsed());
            let main = api.main_requests();
            assert_eq!(main.len(), first + CALLS + 1, "every scripted call ran");
            turns[v].push(main[first + CALLS].at - main[first].at);
        }
    }
    (wall, turns)
}
