//! `--json` against docs/json.md: every document carries the
//! schema version, every field it prints is listed there with its type, and
//! every field listed there is printed, so the two cannot drift apart.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use serde_json::Value;

use crate::common::{TestEnv, stderr_of};

const SCHEMA: &str = include_str!("../../docs/json.md");

/// The fields docs/json.md lists for `sessions COMMAND`, by path, with their
/// types; a `setting of T` stands for the object it names.
pub(crate) fn documented(command: &str) -> BTreeMap<String, String> {
    let section = SCHEMA;
    let heading = format!("### `sessions {command}");
    let table = section
        .split("\n### ")
        .find(|s| format!("### {s}").starts_with(&heading))
        .unwrap_or_else(|| panic!("docs/json.md documents no `{command} --json`"));
    let mut fields = BTreeMap::new();
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let (path, ty) = (cells[0].trim_matches('`'), cells[1]);
        match ty.strip_prefix("setting of ") {
            Some(value) => {
                fields.insert(path.to_string(), "object".to_string());
                fields.insert(format!("{path}.value"), value.to_string());
                fields.insert(format!("{path}.source"), "object".to_string());
                fields.insert(format!("{path}.source.kind"), "string".to_string());
                fields.insert(format!("{path}.source.file"), "string or null".to_string());
            }
            None => {
                fields.insert(path.to_string(), ty.to_string());
            }
        }
    }
    assert!(
        fields.len() > 1,
        "docs/json.md lists no fields for `{command} --json`"
    );
    fields
}

fn has_type(value: &Value, ty: &str) -> bool {
    if let Some(ty) = ty.strip_suffix(" or null") {
        return value.is_null() || has_type(value, ty);
    }
    let all = |each: fn(&Value) -> bool| value.as_array().is_some_and(|a| a.iter().all(each));
    match ty {
        "string" => value.is_string(),
        "integer" => value.is_u64() || value.is_i64(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array of strings" => all(Value::is_string),
        "array of objects" => all(Value::is_object),
        other => panic!("docs/json.md names a type this test does not know: {other}"),
    }
}

/// Checks VALUE at PATH and everything in it against FIELDS, noting in SEEN
/// the paths met.
fn walk(value: &Value, path: &str, fields: &BTreeMap<String, String>, seen: &mut BTreeSet<String>) {
    // An element's type is its array's (`array of objects`).
    if !path.is_empty() && !path.ends_with("[]") {
        let ty = fields
            .get(path)
            .unwrap_or_else(|| panic!("`{path}` is printed but not in docs/json.md"));
        assert!(
            has_type(value, ty),
            "`{path}` is documented as {ty}, but is {value}"
        );
        seen.insert(path.to_string());
    }
    let documented_under = |prefix: &str| fields.keys().any(|k| k.starts_with(prefix));
    let child = |key: &str| match path {
        "" => key.to_string(),
        _ => format!("{path}.{key}"),
    };
    match value {
        Value::Object(map) => {
            // An object listed as `PATH.*` is a map: its keys are names.
            let each = child("*");
            let is_map = documented_under(&each);
            for (key, value) in map {
                let at = if is_map { each.clone() } else { child(key) };
                walk(value, &at, fields, seen);
            }
        }
        Value::Array(items) => {
            let each = format!("{path}[]");
            if documented_under(&format!("{each}.")) {
                for item in items {
                    walk(item, &each, fields, seen);
                }
            }
        }
        _ => {}
    }
}

/// Checks DOCUMENTS, all printed by `COMMAND --json`, against docs/json.md:
/// version 1, no field it does not list, and each field it lists seen.
pub(crate) fn check(command: &str, fields: &BTreeMap<String, String>, documents: &[Value]) {
    let mut seen = BTreeSet::new();
    for document in documents {
        assert_eq!(document["version"], 1, "{document}");
        walk(document, "", fields, &mut seen);
    }
    let unseen: Vec<&String> = fields.keys().filter(|k| !seen.contains(*k)).collect();
    assert!(
        unseen.is_empty(),
        "`{command} --json` printed none of {unseen:?}"
    );
}

/// `sessions ARGS`, whatever its exit code: what it printed, parsed.
fn document(env: &TestEnv, args: &[&str]) -> Value {
    let output = env.sessions().args(args).output().unwrap();
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", stderr_of(&output)))
}

/// Sessions with a commit, an agent and a neighbour to compare with.
fn populated() -> TestEnv {
    let env = TestEnv::new();
    let path = env.new_session("a");
    env.commit_in(&path, "a.txt", "a\n", "add a");
    fs::write(path.join("notes.txt"), "not committed\n").unwrap();
    // An ignored folder, for sizes' `largest_ignored`.
    crate::disk::ignored_node_modules(&env, &path, 1);
    env.sessions()
        .args(["new", "b", "--agent", "true"])
        .assert()
        .success();
    // Archived, with its uncommitted work saved.
    let parked = env.new_session("z");
    fs::write(parked.join("draft.txt"), "saved\n").unwrap();
    env.sessions().args(["archive", "z"]).assert().success();
    env
}

#[test]
fn list_json_is_as_documented() {
    let env = populated();
    check(
        "list",
        &documented("list"),
        &[
            document(&env, &["list", "--json"]),
            document(&env, &["list", "--json", "--size"]),
        ],
    );
}

#[test]
fn show_json_is_as_documented() {
    let env = populated();
    // A shown session has every field a listed one has.
    let mut fields: BTreeMap<String, String> = documented("list")
        .into_iter()
        .filter_map(|(path, ty)| Some((path.strip_prefix("sessions[].")?.to_string(), ty)))
        .map(|(path, ty)| (format!("session.{path}"), ty))
        .collect();
    fields.extend(documented("show"));
    // Two conversations in a's worktree: the newer is current, the other earlier.
    let projects = env.claude_project_dir(&env.sessions_dir().join("a"));
    for id in ["c-1", "c-2"] {
        let prompt = serde_json::json!({"type": "user", "message": {"content": id}});
        crate::common::write_file(
            &projects.join(format!("{id}.jsonl")),
            &format!("{prompt}\n"),
        );
    }
    let documents = ["a", "b", "z"].map(|name| document(&env, &["show", name, "--json"]));
    check("show", &fields, &documents);
}

#[test]
fn conflicts_json_is_as_documented() {
    let env = populated();
    crate::in_progress::stopped_mid_rebase(&env, "c");
    let radar = document(&env, &["conflicts", "--json"]);
    // b has no work of its own: only a is compared, with its base.
    assert_eq!(radar["pairs"].as_array().map(Vec::len), Some(1), "{radar}");
    check("conflicts", &documented("conflicts"), &[radar]);
}

#[test]
fn doctor_json_is_as_documented() {
    let env = populated();
    fs::remove_dir_all(env.sessions_dir().join("a")).unwrap();
    let documents = [
        document(&env, &["doctor", "--json"]),
        document(&env, &["doctor", "--fix", "--json"]),
    ];
    assert_eq!(documents[0]["healthy"], false, "{}", documents[0]);
    check("doctor", &documented("doctor"), &documents);
}

#[test]
fn config_json_is_as_documented() {
    let env = TestEnv::new();
    let file = env.user_config(
        "[agent.profiles.review]\nargs = [\"--model\", \"opus\"]\n[env]\nDATABASE_URL = \"postgres:///app_{name}\"\n",
    );
    let settings = document(&env, &["config", "--json"]);
    let review = &settings["settings"]["profiles"]["review"];
    assert_eq!(
        settings["settings"]["env"]["DATABASE_URL"]["value"],
        "postgres:///app_{name}"
    );
    assert_eq!(
        review["source"]["file"],
        file.to_str().unwrap(),
        "{settings}"
    );
    check("config", &documented("config"), &[settings]);
}
