//! Session names: they become branch names and folder names, so they must be
//! valid as both.

use crate::error::Failure;

const MAX_BYTES: usize = 100;

/// Refuses a NAME that cannot be a session name.
pub fn validate(name: &str) -> Result<(), Failure> {
    validate_as("session name", name)
}

/// Refuses a NAME that cannot serve as a `what` (session or branch name).
pub fn validate_as(what: &str, name: &str) -> Result<(), Failure> {
    problem(name).map_or(Ok(()), |why| {
        Err(
            Failure::usage(format!("invalid {what} '{}': {why}", name.escape_debug()))
                .with_hint("use letters, digits, '-', '_' and '/', e.g. feature/login"),
        )
    })
}

/// Refuses a REV (a base, a target) that git could read as an option or
/// that no git revision can be: it reaches `git` command lines.
pub fn validate_rev(what: &str, rev: &str) -> Result<(), Failure> {
    let why = if rev.trim().is_empty() {
        "it is empty".to_string()
    } else if rev.starts_with('-') {
        "it starts with '-'".to_string()
    } else if let Some(c) = rev.chars().find(|c| c.is_control()) {
        format!("it contains {}", describe_char(c))
    } else {
        return Ok(());
    };
    Err(
        Failure::usage(format!("invalid {what} '{}': {why}", rev.escape_debug()))
            .with_hint("name a branch, tag or commit, e.g. main or origin/main"),
    )
}

fn problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".into());
    }
    if name.len() > MAX_BYTES {
        return Some(format!("it is {} bytes long, over {MAX_BYTES}", name.len()));
    }
    if let Some(c) = name.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Some(format!("it contains {}", describe_char(c)));
    }
    if let Some(c) = name.chars().find(|c| "~^:?*[\\".contains(*c)) {
        return Some(format!("it contains '{c}'"));
    }
    if name.contains("@{") {
        return Some("it contains '@{'".into());
    }
    if name.contains("//") {
        return Some("it contains '//'".into());
    }
    if name.ends_with('/') {
        return Some("it ends with '/'".into());
    }
    if name.ends_with(".lock") {
        return Some("it ends with '.lock'".into());
    }
    if name.starts_with('-') {
        return Some("it starts with '-'".into());
    }
    if name == "@" {
        return Some("'@' alone means HEAD to git".into());
    }
    for component in name.split('/') {
        if component == "." || component == ".." {
            return Some(format!("it has a '{component}' component"));
        }
        if component.starts_with('.') {
            return Some("a part of it starts with '.'".into());
        }
        if component.ends_with(".lock") {
            return Some("a part of it ends with '.lock'".into());
        }
    }
    None
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        '\t' => "a tab".into(),
        '\n' => "a newline".into(),
        c => format!("the character U+{:04X}", c as u32),
    }
}

/// The folder a session lives in: '/' in a name would nest folders.
pub fn folder_name(name: &str) -> String {
    name.replace('/', "-")
}

const ADJECTIVES: &[&str] = &[
    "amber", "bold", "brave", "brisk", "calm", "clever", "cosmic", "crisp", "daring", "eager",
    "fancy", "fierce", "gentle", "golden", "happy", "humble", "jolly", "keen", "lively", "lucky",
    "mellow", "merry", "misty", "nimble", "noble", "plucky", "proud", "quick", "quiet", "rapid",
    "rustic", "shiny", "silent", "snowy", "solar", "spry", "steady", "sunny", "swift", "tidy",
    "vivid", "witty", "zesty",
];

const NOUNS: &[&str] = &[
    "badger", "beacon", "birch", "brook", "canyon", "cedar", "comet", "coral", "crane", "delta",
    "ember", "falcon", "fern", "fjord", "garnet", "harbor", "heron", "island", "lagoon", "lark",
    "maple", "meadow", "mesa", "nebula", "orchid", "otter", "pebble", "pine", "quartz", "raven",
    "reef", "ridge", "river", "sparrow", "summit", "thistle", "tiger", "tundra", "valley",
    "willow", "wren", "zephyr",
];

/// A short readable name that `taken` does not reject: two words, three when
/// two keep colliding.
pub fn generate(taken: impl Fn(&str) -> bool) -> String {
    let pick = |words: &[&'static str]| words[fastrand::usize(..words.len())];
    for attempt in 0.. {
        let mut name = format!("{}-{}", pick(ADJECTIVES), pick(NOUNS));
        if attempt >= 16 {
            name = format!("{}-{name}", pick(ADJECTIVES));
        }
        if !taken(&name) {
            return name;
        }
    }
    unreachable!("the loop above only ends by returning")
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for name in [
            "x",
            "feature-x",
            "feature/login",
            "fix_1.2",
            "a/b/c",
            "Ünïcode",
        ] {
            assert!(validate(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn rejects_each_class_of_bad_name() {
        let long = "a".repeat(101);
        for name in [
            "", ".", "..", "a/../b", "a/./b", "-x", ".x", "a/.x", "a b", "a\tb", "a\u{7}b", "a~b",
            "a^b", "a:b", "a?b", "a*b", "a[b", "a\\b", "a@{b", "a//b", "a/", "a.lock", "a.lock/b",
            "@", &long,
        ] {
            assert!(validate(name).is_err(), "{name:?} should be refused");
        }
        assert!(validate(&"a".repeat(100)).is_ok());
    }

    #[test]
    fn revs_that_read_as_options_are_refused() {
        for rev in ["main", "origin/main", "v1.0", "HEAD~2", "abc123"] {
            assert!(validate_rev("base", rev).is_ok(), "{rev}");
        }
        for rev in ["", " ", "-x", "--exec=touch x", "a\nb"] {
            assert!(validate_rev("base", rev).is_err(), "{rev:?}");
        }
    }

    #[test]
    fn generated_names_are_valid_and_avoid_taken_ones() {
        let first = generate(|_| false);
        assert!(validate(&first).is_ok());
        let second = generate(|n| n == first);
        assert_ne!(first, second);
        let three_words = generate(|n| n.matches('-').count() < 2);
        assert_eq!(three_words.matches('-').count(), 2);
    }
}
