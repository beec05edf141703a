//! What `sessions doctor` advises and keeps: a command that never loses
//! work without saying so, and a rebuilt registry that keeps every table of
//! the broken one that still reads.

use std::fs;

use serde_json::Value;

use crate::common::{TestEnv, stderr_of};

/// The one finding of KIND in doctor's report.
fn finding_of(env: &TestEnv, kind: &str) -> Value {
    let (_, report) = env.doctor(&[]);
    let found: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect();
    assert_eq!(found.len(), 1, "{report}");
    found[0].clone()
}

#[test]
fn a_gone_folder_whose_branch_holds_work_is_cleared_with_keep_branch() {
    let env = TestEnv::new();
    let dir = env.new_session("x");
    env.commit_in(&dir, "x.txt", "unsaved\n", "work found nowhere else");
    let work = env.git(&["rev-parse", "x"]);
    fs::remove_dir_all(&dir).unwrap();

    let found = finding_of(&env, "missing_folder");
    assert_eq!(found["fix"], "sessions rm --keep-branch x", "{found}");
    let problem = found["problem"].as_str().unwrap();
    assert!(
        problem.contains("`rm --force` would delete it"),
        "{problem}"
    );
    // What a plain `rm` says leads to --force: doctor's advice does not.
    let plain = env.exits_with(&["rm", "x"], 3);
    assert!(plain.contains("--force"), "{plain}");

    let fix = found["fix"].as_str().unwrap();
    let args: Vec<&str> = fix.split(' ').skip(1).collect();
    let output = env.sessions().args(&args).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(env.git(&["rev-parse", "x"]), work, "the work stays");
    assert!(env.session_names().is_empty());
    let (output, report) = env.doctor(&[]);
    assert!(output.status.success(), "{report}");
}

#[test]
fn a_gone_folder_with_nothing_to_lose_is_cleared_with_plain_rm() {
    let env = TestEnv::new();
    let dir = env.new_session("y");
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(finding_of(&env, "missing_folder")["fix"], "sessions rm y");
}

#[test]
fn an_unmerged_left_branch_is_shown_before_it_is_deleted() {
    let env = TestEnv::new();
    let dir = env.new_session("z");
    env.commit_in(&dir, "z.txt", "work\n", "work");
    env.git(&["branch", "-q", "copy", "z"]);
    env.sessions().args(["rm", "z"]).assert().success();

    let found = finding_of(&env, "left_branch");
    assert_eq!(found["fix"], "git log --oneline main..z", "{found}");
    let problem = found["problem"].as_str().unwrap();
    assert!(
        problem.contains("`git branch -D z` deletes it"),
        "{problem}"
    );
    env.git(&["log", "--oneline", "main..z"]);
}

/// The registry's text with an agent table after each session's port line.
fn with_agents(text: &str, names: &[&str]) -> String {
    let mut out = String::new();
    let mut name = None;
    for line in text.lines() {
        out += line;
        out += "\n";
        if let Some(n) = names.iter().find(|n| line == format!("name = \"{n}\"")) {
            name = Some(*n);
        }
        if line.starts_with("port = ")
            && let Some(n) = name.take()
        {
            out += &format!("\n[session.agent]\nkind = \"claude\"\nsession_id = \"id-{n}\"\n");
        }
    }
    out
}

#[test]
fn a_rebuilt_registry_keeps_every_session_table_that_still_reads() {
    let env = TestEnv::new();
    for name in ["a", "b", "c"] {
        env.new_session(name);
    }
    let text = fs::read_to_string(env.registry_file()).unwrap();
    fs::write(env.registry_file(), with_agents(&text, &["a", "b", "c"])).unwrap();
    assert_eq!(env.listed("b")["agent"]["session_id"], "id-b");
    // One line of b's table broken.
    let text = fs::read_to_string(env.registry_file()).unwrap();
    fs::write(
        env.registry_file(),
        text.replace("port = 4101", "port = 41 01"),
    )
    .unwrap();

    let (output, fixed) = env.doctor(&["--fix"]);
    assert!(output.status.success(), "{fixed}");
    for (name, port) in [("a", 4100), ("c", 4102)] {
        let s = env.listed(name);
        assert_eq!(s["port"], port, "{s}");
        assert_eq!(s["agent"]["session_id"], format!("id-{name}"), "{s}");
        assert_eq!(s["owns_branch"], true, "{s}");
    }
    let b = env.listed("b");
    assert_eq!(
        (b["port"].clone(), b["agent"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(b["owns_branch"], false, "never claimed without evidence");
    let done = fixed["fixed"][0]["done"].as_str().unwrap();
    assert!(done.contains("2 session(s) read back"), "{done}");
    assert!(
        done.contains("could not read [[session]] at line"),
        "{done}"
    );
    assert!(
        done.contains("('b')") && done.contains("without their ports"),
        "{done}"
    );
}
