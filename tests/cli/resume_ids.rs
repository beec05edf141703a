//! `resume` with a stand-in `claude` that records its arguments: a
//! conversation Claude never saved is started again with its id, the
//! configured `[agent] args` come along, and `--id` opens an earlier
//! conversation, which `show` lists and completion offers.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::hints::{hint_of, pasted};
use crate::common::{TestEnv, make_executable, stderr_of, write_file};
use serde_json::{Value, json};

/// A stand-in `claude` at `<root>/bin/claude` that writes its arguments,
/// one a line, to `<root>/claude-args` (replacing what an earlier run
/// wrote), then exits 0. Not created when CREATE is false: a missing agent.
pub(crate) fn stand_in(env: &TestEnv, create: bool) -> (PathBuf, PathBuf) {
    let claude = env.root().join("bin/claude");
    let log = env.root().join("claude-args");
    if create {
        write_file(
            &claude,
            &format!(
                "#!/bin/sh\n: > '{0}'\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '{0}'; done\n",
                log.display()
            ),
        );
        make_executable(&claude);
    }
    (claude, log)
}

pub(crate) fn args_of(log: &Path) -> Vec<String> {
    fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn configure(env: &TestEnv, claude: &Path, args: &[&str]) {
    env.user_config(&format!(
        "[agent]\ncommand = {}\nargs = {}\n",
        json!(claude),
        json!(args)
    ));
}

/// A transcript of conversation ID in WT whose first typed prompt is PROMPT.
fn transcript(env: &TestEnv, wt: &Path, id: &str, prompt: &str) -> PathBuf {
    let file = env.claude_project_dir(wt).join(format!("{id}.jsonl"));
    let lines = [
        json!({"type": "user", "isMeta": true, "message": {"role": "user", "content": "Caveat: local commands"}}),
        json!({"type": "user", "message": {"role": "user", "content": "<command-name>/model</command-name>"}}),
        json!({"type": "user", "sessionId": id, "message": {"role": "user", "content": [{"type": "text", "text": prompt}]}}),
        json!({"type": "assistant", "message": {"role": "assistant", "content": [{"type": "text", "text": "ok"}]}}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    write_file(&file, &text);
    file
}

#[test]
fn a_conversation_claude_never_saved_is_started_again_with_its_id() {
    let env = TestEnv::new();
    let (claude, log) = stand_in(&env, true);
    // The first launch exits without a prompt: Claude saves nothing.
    env.sessions()
        .args(["new", "x", "--agent"])
        .arg(&claude)
        .assert()
        .success();
    let first = args_of(&log);
    assert_eq!(first[0], "--session-id");
    let id = first[1].clone();

    let output = env
        .sessions()
        .args(["resume", "x", "--", "-p", "hi"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let args = args_of(&log);
    assert_eq!(
        args[..4],
        ["--session-id", id.as_str(), "-n", "x"],
        "{args:?}"
    );
    assert!(!args.contains(&"--resume".to_string()), "{args:?}");
    assert_eq!(args[args.len() - 2..], ["-p", "hi"]);
    assert_eq!(env.listed("x")["agent"]["session_id"], id.as_str());

    // Once saved, it is resumed.
    transcript(&env, &env.sessions_dir().join("x"), &id, "hi");
    env.sessions().args(["resume", "x"]).assert().success();
    assert_eq!(args_of(&log)[..2], ["--resume", id.as_str()]);
}

#[test]
fn the_hint_after_an_agent_that_could_not_start_starts_it_once_it_can() {
    let env = TestEnv::new();
    let (claude, log) = stand_in(&env, false);
    configure(&env, &claude, &[]);
    let output = env.sessions().args(["new", "x"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let hint = hint_of(&stderr_of(&output));
    assert_eq!(hint, "sessions resume x");
    let id = env.listed("x")["agent"]["session_id"]
        .as_str()
        .unwrap()
        .to_string();

    stand_in(&env, true);
    let pasted = pasted(&env, &hint);
    assert!(pasted.status.success(), "{}", stderr_of(&pasted));
    assert_eq!(args_of(&log)[..4], ["--session-id", id.as_str(), "-n", "x"]);
}

#[test]
fn resume_passes_the_configured_agent_arguments_as_new_does() {
    let env = TestEnv::new();
    let (claude, log) = stand_in(&env, true);
    configure(&env, &claude, &["--model", "opus"]);
    env.sessions().args(["new", "x"]).assert().success();
    assert_eq!(args_of(&log)[..2], ["--model", "opus"]);
    env.sessions().args(["resume", "x"]).assert().success();
    let args = args_of(&log);
    assert_eq!(args[..3], ["--model", "opus", "--session-id"], "{args:?}");

    // Another program than the configured one does not get its arguments.
    let other = env.root().join("other/claude");
    fs::create_dir_all(other.parent().unwrap()).unwrap();
    fs::copy(&claude, &other).unwrap();
    env.sessions()
        .args(["new", "y", "--agent"])
        .arg(&other)
        .assert()
        .success();
    env.sessions().args(["resume", "y"]).assert().success();
    assert_eq!(args_of(&log)[0], "--session-id");
}

/// Session `x` whose Claude had three conversations: the one it started
/// with (never saved), `id-1` (saved), and the current `id-2`; and `id-3`,
/// a transcript of the worktree the registry never heard of.
fn three_conversations(env: &TestEnv) -> (PathBuf, String) {
    let (claude, log) = stand_in(env, true);
    env.sessions()
        .args(["new", "x", "--agent"])
        .arg(&claude)
        .assert()
        .success();
    let first = args_of(&log)[1].clone();
    let wt = env.sessions_dir().join("x");
    for id in ["id-1", "id-2"] {
        let input = json!({"session_id": id, "cwd": wt, "hook_event_name": "SessionStart"});
        env.sessions_in(&wt)
            .args(["hook", "SessionStart"])
            .write_stdin(input.to_string())
            .assert()
            .success();
    }
    transcript(env, &wt, "id-1", "fix the login bug\nand add a test");
    transcript(env, &wt, "id-2", "now the docs");
    transcript(env, &wt, "id-3", "an old one");
    (log, first)
}

#[test]
fn resume_id_opens_an_earlier_conversation_and_refuses_an_unknown_one() {
    let env = TestEnv::new();
    let (log, first) = three_conversations(&env);

    let output = env
        .sessions()
        .args(["resume", "x", "--id", "id-9"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    for known in ["id-1", "id-2", "id-3", first.as_str()] {
        assert!(stderr.contains(known), "{known} not listed: {stderr}");
    }
    assert_eq!(env.listed("x")["agent"]["session_id"], "id-2");

    env.sessions()
        .args(["resume", "x", "--id", "id-1"])
        .assert()
        .success();
    assert_eq!(args_of(&log)[..2], ["--resume", "id-1"]);
    let agent = env.listed("x")["agent"].clone();
    assert_eq!(agent["session_id"], "id-1");
    assert_eq!(agent["earlier_session_ids"], json!([first, "id-2"]));

    // One only the worktree's transcripts know; one never saved.
    env.sessions()
        .args(["resume", "x", "--id", "id-3"])
        .assert()
        .success();
    assert_eq!(args_of(&log)[..2], ["--resume", "id-3"]);
    env.sessions()
        .args(["resume", "x", "--id", &first])
        .assert()
        .success();
    assert_eq!(
        args_of(&log)[..4],
        ["--session-id", first.as_str(), "-n", "x"]
    );
}

#[test]
fn show_lists_earlier_conversations_with_their_first_prompt() {
    let env = TestEnv::new();
    let (_log, first) = three_conversations(&env);
    let shown = env.shown("x");
    let earlier = shown["earlier_conversations"].as_array().unwrap();
    let ids: Vec<&str> = earlier
        .iter()
        .map(|c| c["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{earlier:?}");
    assert!(!ids.contains(&"id-2"), "the current one is not earlier");
    let one = earlier.iter().find(|c| c["session_id"] == "id-1").unwrap();
    assert_eq!(one["first_prompt"], "fix the login bug");
    assert!(one["updated_at"].is_string());
    assert!(
        one["transcript_path"]
            .as_str()
            .unwrap()
            .ends_with("id-1.jsonl")
    );
    let unsaved = earlier.iter().find(|c| c["session_id"] == first).unwrap();
    assert_eq!(unsaved["first_prompt"], Value::Null);
    assert_eq!(unsaved["transcript_path"], Value::Null);

    let output = env
        .sessions()
        .args(["show", "x"])
        .env("COLUMNS", "40")
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("Earlier conversations (`sessions resume x --id ID`):"),
        "{text}"
    );
    let line = text.lines().find(|l| l.contains("id-1")).unwrap();
    assert!(line.contains(" UTC "), "{line}");
    assert!(line.ends_with(" fix the log…"), "cut to 40 columns: {line}");
    assert_eq!(line.chars().count(), 40, "{line}");
    assert!(text.contains("an old one"), "{text}");
}

#[test]
fn completion_offers_the_named_sessions_conversation_ids() {
    if !crate::common::require("bash") {
        return;
    }
    let env = TestEnv::new();
    let (_log, first) = three_conversations(&env);
    env.new_session("y");
    let wt_y = env.sessions_dir().join("y");
    transcript(&env, &wt_y, "id-y", "elsewhere");
    let mut expected = vec![first, "id-1".into(), "id-2".into(), "id-3".into()];
    expected.sort();
    let offered = crate::completion::offered(&env, &["sessions", "resume", "x", "--id", ""]);
    assert_eq!(offered, expected);
    let offered = crate::completion::offered(&env, &["sessions", "resume", "y", "--id", ""]);
    assert_eq!(offered, ["id-y"]);
}
