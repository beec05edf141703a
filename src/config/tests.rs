//! The configuration's unit tests: reading files, precedence, templates.

use super::*;

fn parse(text: &str) -> Result<Layer> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, text).unwrap();
    Ok(read_layer(&file, true, Origin::User)?.unwrap())
}

fn message(text: &str) -> String {
    let err = parse(text).unwrap_err();
    crate::error::failure_of(&err).unwrap().message.clone()
}

#[test]
fn unknown_keys_and_wrong_types_name_the_key_and_line() {
    let m = message("base = \"main\"\nbogus = 1\n");
    assert!(m.contains("line 2") && m.contains("`bogus`"), "{m}");
    let m = message("[land]\nmetod = \"squash\"\n");
    assert!(
        m.contains("line 2") && m.contains("nearest is `land.method`"),
        "{m}"
    );
    let m = message("copy = [\".env\"]\nmax_sessions = \"many\"\n");
    assert!(m.contains("line 2") && m.contains("`max_sessions`"), "{m}");
    let m = message("[agent]\ncommand = \"claude\"\nargs = \"--x\"\n");
    assert!(m.contains("line 3") && m.contains("`agent.args`"), "{m}");
    let m = message("[agent.profiles.review]\nflags = []\n");
    assert!(m.contains("line 2") && m.contains("flags"), "{m}");
    let m = message("base = \"main\"\n[agent.profiles.\"a b\"]\nargs = []\n");
    assert!(m.contains("line 2") && m.contains("a b"), "{m}");
    // Keys are found by their spans, so inline tables name theirs too.
    let m = message("base = \"main\"\nagent = { args = \"x\" }\n");
    assert!(m.contains("line 2") && m.contains("`agent.args`"), "{m}");
}

#[test]
fn every_listed_key_has_a_value_and_is_read_from_files() {
    let config = Config::default();
    for key in KEYS.iter().filter(|k| !k.per_profile()).map(|k| k.name) {
        let (value, _) = config.value_of(key).unwrap_or_else(|| panic!("{key}"));
        // Unset by default: a value of the right type checks the key is read.
        let value = value.map_or_else(
            || {
                match key {
                    "max_sessions" => "2",
                    "stale_after" => "\"14d\"",
                    _ => "\"main\"",
                }
                .to_string()
            },
            |v| v.to_string(),
        );
        let text = match key.split_once('.') {
            Some((table, leaf)) => format!("[{table}]\n{leaf} = {value}\n"),
            None => format!("{key} = {value}\n"),
        };
        parse(&text).unwrap_or_else(|e| panic!("{key}: {e:#}"));
    }
    assert!(config.value_of("agent").is_none());
}

#[test]
fn templates_must_name_the_session() {
    let m = message("branch_prefix = \"me/\"\nworktree_dir = \"/tmp/x\"\n");
    assert!(m.contains("line 2") && m.contains("worktree_dir"), "{m}");
    let m = message("worktree_dir = \"/tmp/{nme}/{name}\"\n");
    assert!(m.contains("{nme}"), "{m}");
    parse("worktree_dir = \"~/wt/{repo}/{branch}\"\n").unwrap();
}

#[test]
fn worktree_paths_fill_the_template() {
    let mut config = Config::default();
    let root = Path::new("/src/app");
    assert_eq!(
        fill_template(
            &config.worktree_dir.value,
            root,
            "app",
            "feat/x",
            "me/feat/x"
        ),
        PathBuf::from("/src/app.sessions/feat-x")
    );
    config.worktree_dir.value = "wt/{branch}".into();
    assert_eq!(
        fill_template(&config.worktree_dir.value, root, "app", "x", "me/x"),
        PathBuf::from("/src/app/wt/me-x")
    );
    config.worktree_dir.value = "~/trees/{repo}-{name}".into();
    let home = dirs::home_dir().unwrap();
    assert_eq!(
        fill_template(&config.worktree_dir.value, root, "app", "x", "x"),
        home.join("trees/app-x")
    );
}

#[test]
fn ages_take_a_count_and_a_unit() {
    use jiff::SignedDuration;
    assert_eq!(parse_age("14d"), Some(SignedDuration::from_hours(14 * 24)));
    assert_eq!(parse_age("36h"), Some(SignedDuration::from_hours(36)));
    assert_eq!(parse_age("2w"), Some(SignedDuration::from_hours(14 * 24)));
    let bad = ["", "d", "14", "14y", "-1d", "0d", "1.5d"];
    assert!(bad.iter().all(|b| parse_age(b).is_none()));
    let m = message("stale_after = \"two weeks\"\n");
    assert!(m.contains("`stale_after`") && m.contains("14d"), "{m}");
}

#[test]
fn profiles_override_the_agent() {
    let mut config = Config::default();
    let layer = parse(
        "[agent]\ncommand = \"claude\"\nargs = [\"--verbose\"]\n\
         [agent.profiles.review]\nargs = [\"--model\", \"opus\"]\n\
         [agent.profiles.other]\ncommand = \"codex\"\n",
    )
    .unwrap();
    config.apply(layer, Source::User("u".into()));
    let review = config.agent(Some("review")).unwrap();
    assert_eq!(review.command, "claude");
    assert_eq!(review.args, ["--model", "opus"]);
    let other = config.agent(Some("other")).unwrap();
    assert_eq!((other.command.as_str(), other.args.len()), ("codex", 1));
    assert!(config.agent(Some("nope")).is_err());
    assert_eq!(config.agent(None).unwrap().args, ["--verbose"]);
}
