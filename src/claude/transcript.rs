//! Claude's transcripts: `<config>/projects/<encoded folder>/<session id>.jsonl`,
//! one per conversation, written from its first message on.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

/// A transcript Claude wrote for a folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub session_id: String,
    pub path: PathBuf,
    pub modified: SystemTime,
}

impl Transcript {
    /// The first line of the first prompt a person typed, if any: what the
    /// conversation was about. Claude's own lines (meta notes, slash
    /// commands and their output) are not prompts.
    pub fn first_prompt(&self) -> Option<String> {
        let file = std::fs::File::open(&self.path).ok()?;
        // The first prompt comes early; a transcript without one is not
        // read to its end.
        BufReader::new(file)
            .lines()
            .take(LINES_READ)
            .map_while(Result::ok)
            .find_map(|line| prompt_of(&line))
    }
}

const LINES_READ: usize = 200;

/// The prompt on one transcript LINE, when it is a person's.
fn prompt_of(line: &str) -> Option<String> {
    let record: Value = serde_json::from_str(line).ok()?;
    if record["type"] != "user" || record["isMeta"] == true || record["isSidechain"] == true {
        return None;
    }
    let content = &record["message"]["content"];
    let text = match content {
        Value::String(text) => text.as_str(),
        Value::Array(blocks) => blocks
            .iter()
            .find(|b| b["type"] == "text")?
            .get("text")?
            .as_str()?,
        _ => return None,
    };
    let text = text.trim();
    let claudes = [
        "<command-",
        "<local-command-",
        "<system-reminder>",
        "<bash-",
    ];
    if text.is_empty() || claudes.iter().any(|tag| text.starts_with(tag)) {
        return None;
    }
    text.lines().next().map(str::to_string)
}

/// Every transcript Claude wrote for DIR.
pub fn transcripts(dir: &Path) -> Vec<Transcript> {
    project_folders(dir)
        .iter()
        .filter_map(|folder| std::fs::read_dir(folder).ok())
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            if path.extension() != Some(OsStr::new("jsonl")) {
                return None;
            }
            let modified = entry.metadata().ok()?.modified().ok()?;
            let session_id = path.file_stem()?.to_str()?.to_string();
            Some(Transcript {
                session_id,
                path,
                modified,
            })
        })
        .collect()
}

/// The newest transcript of DIR.
pub fn latest_transcript(dir: &Path) -> Option<Transcript> {
    transcripts(dir).into_iter().max_by_key(|t| t.modified)
}

/// The transcript of conversation SESSION_ID in DIR, if Claude saved one
/// (it does once the conversation has a message).
pub fn transcript_of(dir: &Path, session_id: &str) -> Option<Transcript> {
    transcripts(dir)
        .into_iter()
        .find(|t| t.session_id == session_id)
}

/// The folders that may hold DIR's transcripts.
fn project_folders(dir: &Path) -> Vec<PathBuf> {
    let Some(projects) = super::config_dir().map(|c| c.join("projects")) else {
        return Vec::new();
    };
    let Ok(dir) = dir.canonicalize() else {
        return Vec::new();
    };
    let encoded = encode_project(&dir.to_string_lossy());
    if encoded.len() <= MAX_ENCODED {
        return vec![projects.join(&encoded)];
    }
    // Claude cuts long names and appends a hash of its own; match the cut
    // part rather than recompute the hash.
    let prefix = format!("{}-", &encoded[..MAX_ENCODED]);
    std::fs::read_dir(&projects)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

const MAX_ENCODED: usize = 200;

/// Claude's folder name for a project path: every character outside
/// `[A-Za-z0-9]` becomes `-` (per UTF-16 unit, as Claude counts them).
fn encode_project(path: &str) -> String {
    path.encode_utf16()
        .map(|unit| match char::from_u32(u32::from(unit)) {
            Some(c) if c.is_ascii_alphanumeric() => c,
            _ => '-',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_project_paths_like_claude() {
        assert_eq!(encode_project("/tmp/repo.3iunX8"), "-tmp-repo-3iunX8");
        assert_eq!(
            encode_project("/tmp/enc.TrSAeJ/My Repo_x.y+z@\u{e9}"),
            "-tmp-enc-TrSAeJ-My-Repo-x-y-z--"
        );
        assert_eq!(
            encode_project("/tmp/enc.6TnWux/e\u{1F600}x"),
            "-tmp-enc-6TnWux-e--x"
        );
    }

    #[test]
    fn the_first_prompt_is_a_persons_first_line() {
        let user =
            |content: &str| format!(r#"{{"type":"user","message":{{"content":{content}}}}}"#);
        assert_eq!(
            prompt_of(&user(r#""fix it\nplease""#)),
            Some("fix it".into())
        );
        assert_eq!(
            prompt_of(&user(r#"[{"type":"text","text":"add tests"}]"#)),
            Some("add tests".into())
        );
        assert_eq!(
            prompt_of(&user(r#""<command-name>/clear</command-name>""#)),
            None
        );
        assert_eq!(
            prompt_of(&user(r#"[{"type":"tool_result","content":"ok"}]"#)),
            None
        );
        assert_eq!(
            prompt_of(r#"{"type":"user","isMeta":true,"message":{"content":"Caveat"}}"#),
            None
        );
        assert_eq!(
            prompt_of(r#"{"type":"assistant","message":{"content":"hi"}}"#),
            None
        );
        assert_eq!(prompt_of("not json"), None);
    }
}
