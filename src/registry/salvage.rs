//! What a registry that no longer parses still says: each `[[session]]`,
//! `[[left_branch]]` and `[[pending]]` table (with its sub-tables) is read on
//! its own, so one broken line costs only the table it is in. A table that
//! does not read is never guessed at: ports, agents and, above all, branch
//! ownership (a wrongly owned branch would be deleted) come only from what
//! parses.

use serde::Deserialize;

use super::{Entry, LeftBranch, Pending};

/// What could be read back from a broken registry file.
#[derive(Debug, Default)]
pub struct Salvaged {
    pub sessions: Vec<Entry>,
    pub left_branches: Vec<LeftBranch>,
    pub pending: Vec<Pending>,
    /// The tables that could not be read, each as "line N" and the session
    /// names it mentions, if any.
    pub lost: Vec<Lost>,
}

/// One table of the broken file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    /// Where it starts (1-based).
    pub line: usize,
    /// Its header, such as `[[session]]`.
    pub header: String,
    /// The `name = "..."` values found in it, as far as they can be told.
    pub names: Vec<String>,
}

/// One table of the file, read with everything else left out.
#[derive(Deserialize)]
struct Fragment {
    #[serde(default, rename = "session")]
    sessions: Vec<Entry>,
    #[serde(default, rename = "left_branch")]
    left_branches: Vec<LeftBranch>,
    #[serde(default)]
    pending: Vec<Pending>,
}

/// Reads TEXT, a registry that does not parse as a whole, table by table.
pub fn salvage(text: &str) -> Salvaged {
    let mut salvaged = Salvaged::default();
    for (line, chunk) in chunks(text) {
        let header = chunk.lines().next().unwrap_or_default().trim().to_string();
        let read = toml::from_str::<Fragment>(&chunk).ok().filter(|f| {
            // A header broken into another valid one (`[[sesion]]`) reads as
            // nothing: that is a loss too.
            f.sessions.len() + f.left_branches.len() + f.pending.len() == 1
        });
        match read {
            Some(f) => {
                salvaged.sessions.extend(f.sessions);
                salvaged.left_branches.extend(f.left_branches);
                salvaged.pending.extend(f.pending);
            }
            None => salvaged.lost.push(Lost {
                line,
                header,
                names: names_in(&chunk),
            }),
        }
    }
    salvaged
}

/// The tables of TEXT that start with an array-of-tables header (`[[...`),
/// each with the line it starts on; what comes before the first (the
/// version) is left out. Sub-tables (`[session.agent]`) stay with theirs.
fn chunks(text: &str) -> Vec<(usize, String)> {
    let mut chunks: Vec<(usize, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("[[") {
            chunks.push((i + 1, String::new()));
        }
        if let Some((_, chunk)) = chunks.last_mut() {
            chunk.push_str(line);
            chunk.push('\n');
        }
    }
    chunks
}

/// The values of the `name = "..."` lines in CHUNK, read as plainly as can
/// be: only to say which sessions were lost.
fn names_in(chunk: &str) -> Vec<String> {
    chunk
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "name").then_some(())?;
            let value = value.trim().strip_prefix('"')?.strip_suffix('"')?;
            Some(value.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"version = 1

[[session]]
name = "a"
branch = "a"
path = "/w/a"
base = "origin/main"
base_commit = "c9b5ba81cdf7e119bb0a18088a07e02b80db1312"
created_at = "2026-11-29T22:12:37.554805617Z"
owns_branch = true
port = 4100

[session.agent]
kind = "claude"
session_id = "id-a"

[[session]]
name = "b"
branch = "b"
path = "/w/b"
base = "origin/main"
base_commit = "c9b5ba81cdf7e119bb0a18088a07e02b80db1312"
created_at = "2026-11-29T22:12:37.554805617Z"
owns_branch = true
port = 4101

[[left_branch]]
session = "gone"
branch = "gone"
base = "main"
removed_at = "2026-11-29T22:12:37.554805617Z"
"#;

    #[test]
    fn every_table_that_reads_is_kept_with_its_sub_tables() {
        let broken = FILE.replace("port = 4101", "port = 41 01");
        assert!(toml::from_str::<toml::Value>(&broken).is_err());
        let s = salvage(&broken);
        assert_eq!(s.sessions.len(), 1);
        assert_eq!(s.sessions[0].name, "a");
        assert_eq!(s.sessions[0].port, Some(4100));
        assert!(s.sessions[0].owns_branch);
        let agent = s.sessions[0].agent.as_ref().unwrap();
        assert_eq!(agent.session_id.as_deref(), Some("id-a"));
        assert_eq!(s.left_branches.len(), 1);
        let lost = &s.lost[..];
        assert_eq!(lost.len(), 1, "{lost:?}");
        assert_eq!(
            (lost[0].line, lost[0].names.clone()),
            (17, vec!["b".into()])
        );
    }

    #[test]
    fn a_header_broken_into_another_table_is_a_loss_not_silence() {
        let broken = FILE.replacen("[[session]]\nname = \"b\"", "[[sesion]]\nname = \"b\"", 1);
        let s = salvage(&broken);
        assert_eq!(s.sessions.len(), 1);
        assert_eq!(s.lost[0].header, "[[sesion]]");
        assert_eq!(s.lost[0].names, ["b"]);
    }
}
