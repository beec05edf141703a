//! Completion in a real bash, as `sessions init bash` sets it up: bash splits
//! `--base=v` into `--base`, `=` and `v` (COMP_WORDBREAKS), and the values
//! offered for `v` must be the same as for `--base v`.

use crate::common::{TestEnv, require, stderr_of};

/// What bash's completion of sessions offers for WORDS (as bash splits the
/// line) with the cursor on the last word.
pub(crate) fn offered(env: &TestEnv, words: &[&str]) -> Vec<String> {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_sessions"))
        .parent()
        .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "eval \"$(sessions init bash)\"\n\
         COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_TYPE=9\n\
         COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}\n\
         f=$(complete -p sessions); f=${{f##* -F }}; f=${{f%% *}}\n\
         \"$f\" sessions '{cur}' '{prev}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        words = quoted.join(" "),
        cword = words.len() - 1,
        cur = words[words.len() - 1],
        prev = words[words.len() - 2],
    );
    let out = env
        .command_in("bash", &env.repo)
        .args(["--norc", "--noprofile", "-c", &script])
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(out.stderr.is_empty(), "{}", stderr_of(&out));
    let mut values: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    values.sort();
    values
}

#[test]
fn bash_completes_an_option_value_after_an_equals_sign() {
    if !require("bash") {
        return;
    }
    let env = TestEnv::new();
    env.git(&["tag", "v1"]);
    env.git(&["branch", "vbranch"]);
    let spaced = offered(&env, &["sessions", "new", "--base", "v"]);
    assert_eq!(spaced, ["v1", "vbranch"]);
    let joined = offered(&env, &["sessions", "new", "--base", "=", "v"]);
    assert_eq!(joined, spaced, "--base=v offers what --base v does");
    // An earlier `--opt=value` does not shift what follows.
    let later = offered(
        &env,
        &[
            "sessions", "new", "--base", "=", "v1", "--branch", "=", "vb",
        ],
    );
    assert_eq!(later, ["vbranch"]);
}

#[test]
fn commands_that_take_repo_slash_name_offer_other_repositories_sessions() {
    if !require("bash") {
        return;
    }
    let env = TestEnv::new();
    env.new_session("here");
    let other = crate::repo_index::second_repo(&env, "work", "api");
    crate::repo_index::new_in(&env, &other, "fix");
    let names = |command: &str| -> Vec<String> {
        let mut all = offered(&env, &["sessions", command, ""]);
        all.retain(|word| !word.starts_with('-'));
        all
    };
    for command in ["cd", "show", "resume", "attach"] {
        assert_eq!(names(command), ["api/fix", "here"], "{command}");
    }
    // The others work on this repository's sessions only.
    assert_eq!(names("rm"), ["here"]);
}
