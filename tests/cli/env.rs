//! Each session's environment (issue 15): `[env]` with placeholders for
//! every session command and the agent, project values only once trusted,
//! blocks of ports, and copied ignored files that keep their times.

use std::fs;
use std::time::{Duration, SystemTime};

use crate::common::{TestEnv, stderr_of, write_file};
use serde_json::json;

/// A shell command appending `$VARS` of one line, `|`-separated, to FILE.
fn record(file: &std::path::Path, vars: &[&str]) -> String {
    let shown: Vec<String> = vars.iter().map(|v| format!("${{{v}}}")).collect();
    format!("echo \"{}\" >> '{}'", shown.join("|"), file.display())
}

fn lines(file: &std::path::Path) -> Vec<String> {
    fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn env_reaches_setup_teardown_land_checks_and_the_agent() {
    let env = TestEnv::new();
    let out = env.root().join("out");
    let vars = [
        "DATABASE_URL",
        "SITE",
        "SESSIONS_PORT",
        "SESSIONS_PORT_1",
        "SESSIONS_PORT_2",
    ];
    let command = record(&out, &vars);
    env.user_config(&format!(
        "ports = 3\nsetup = [{setup}]\nteardown = [{teardown}]\n\
         [land]\ncheck = [{check}]\n\
         [agent]\ncommand = \"sh\"\nargs = [\"-c\", {agent}]\n\
         [env]\nDATABASE_URL = \"postgres:///app_{{name}}\"\n\
         SITE = \"http://localhost:{{port}}/{{branch}}@{{repo}}:{{path}}\"\n",
        setup = json!(format!("echo setup >> '{}'; {command}", out.display())),
        teardown = json!(format!("echo teardown >> '{}'; {command}", out.display())),
        check = json!(format!("echo check >> '{}'; {command}", out.display())),
        agent = json!(format!("echo agent >> '{}'; {command}", out.display())),
    ));
    let output = env.sessions().args(["new", "feat"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let wt = env.sessions_dir().join("feat");
    env.commit_in(&wt, "f.txt", "f\n", "add f");
    let output = env.sessions().args(["land", "feat"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));

    let expected = format!(
        "postgres:///app_feat|http://localhost:4100/feat@repo:{}|4100|4101|4102",
        wt.display()
    );
    let got = lines(&out);
    let by_step: Vec<(&str, &str)> = got
        .chunks(2)
        .map(|pair| (pair[0].as_str(), pair[1].as_str()))
        .collect();
    assert_eq!(
        by_step,
        [
            ("setup", expected.as_str()),
            ("agent", expected.as_str()),
            ("check", expected.as_str()),
            ("teardown", expected.as_str()),
        ],
        "{got:#?}"
    );
}

#[test]
fn a_projects_env_counts_only_once_approved() {
    let env = TestEnv::new();
    let out = env.root().join("out");
    env.user_config(&format!(
        "setup = [{}]\n[env]\nMODE = \"mine\"\n",
        json!(record(&out, &["MODE", "EXTRA"]))
    ));
    env.write(
        ".sessions.toml",
        "[env]\nMODE = \"project-{name}\"\nEXTRA = \"x\"\n",
    );
    let output = env
        .sessions()
        .args(["new", "a", "--no-agent"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("not passing 2 [env] variables from project")
            && stderr.contains("sessions trust"),
        "{stderr}"
    );
    assert_eq!(lines(&out), ["mine|"]);

    env.sessions().args(["trust", "--yes"]).assert().success();
    let output = env
        .sessions()
        .args(["new", "b", "--no-agent"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(
        !stderr_of(&output).contains("[env]"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(lines(&out), ["mine|", "project-b|x"]);
}

#[test]
fn bad_env_values_are_refused_naming_the_key() {
    let env = TestEnv::new();
    for (text, expected) in [
        ("[env]\nURL = \"db_{nam}\"\n", "unknown placeholder {nam}"),
        ("[env]\n\"1X\" = \"a\"\n", "not a variable name"),
        ("[env]\nSESSIONS_PORT = \"1\"\n", "set by sessions itself"),
        ("ports = 0\n", "must be between 1 and"),
    ] {
        env.user_config(text);
        let stderr = env.exits_with(&["new", "x", "--no-agent"], 2);
        assert!(stderr.contains(expected), "{text}: {stderr}");
        assert!(env.registry_bytes().is_empty(), "{text}");
    }
}

#[test]
fn port_blocks_never_overlap_and_keep_their_size() {
    let env = TestEnv::new();
    let port = |name: &str| env.listed(name)["port"].as_u64().unwrap();
    env.user_config("ports = 3\n");
    env.new_session("a");
    env.new_session("b");
    assert_eq!((port("a"), port("b")), (4100, 4103));
    // A smaller block later leaves the earlier ones whole.
    env.user_config("ports = 1\n");
    env.new_session("c");
    assert_eq!(port("c"), 4106);
    env.sessions().args(["rm", "a"]).assert().success();
    env.user_config("ports = 2\n");
    env.new_session("d");
    env.new_session("e");
    // d takes a's freed block; e fits nowhere before c.
    assert_eq!((port("d"), port("e")), (4100, 4107));
}

#[test]
fn copied_ignored_files_keep_their_modification_times() {
    let env = TestEnv::new();
    env.user_config("copy = [\"target\", \"*.log\"]\n");
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for rel in [
        "target/debug/app.d",
        "target/debug/deps/libx.rlib",
        "run.log",
    ] {
        let file = env.repo.join(rel);
        write_file(&file, rel);
        fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let wt = env.new_session("x");
    for rel in [
        "target/debug/app.d",
        "target/debug/deps/libx.rlib",
        "run.log",
    ] {
        let copied = fs::metadata(wt.join(rel)).unwrap().modified().unwrap();
        assert_eq!(copied, old, "{rel}");
    }
}
