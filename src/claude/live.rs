//! Claude Code's own record of each of its running processes:
//! `<config>/sessions/<pid>.json`, rewritten by Claude as its status changes
//! (busy, idle, waiting) and removed when it exits cleanly. Read as files,
//! never by running `claude agents` (a quarter of a second per call).

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::Value;

use crate::process;
use crate::registry::AgentState;

/// One running Claude Code process, as it describes itself.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveRecord {
    pub pid: u32,
    pub session_id: Option<String>,
    pub cwd: Option<PathBuf>,
    pub status: Status,
    /// What a waiting Claude waits for: `permission prompt`, `input needed`.
    pub waiting_for: Option<String>,
    /// When the status last changed.
    pub status_updated_at: Option<Timestamp>,
}

/// What Claude says it is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Busy,
    Idle,
    Waiting,
    /// A value this version does not know (or none): the process runs, its
    /// state is unknown.
    Other(String),
}

impl Status {
    fn parse(value: Option<&str>) -> Status {
        match value {
            Some("busy") => Status::Busy,
            Some("idle") => Status::Idle,
            Some("waiting") => Status::Waiting,
            other => Status::Other(other.unwrap_or_default().to_string()),
        }
    }

    /// The agent state it means, `None` when unknown.
    pub fn state(&self) -> Option<AgentState> {
        match self {
            Status::Busy => Some(AgentState::Working),
            Status::Idle => Some(AgentState::Idle),
            Status::Waiting => Some(AgentState::Waiting),
            Status::Other(_) => None,
        }
    }
}

/// The records of every Claude Code process that still runs: one folder
/// read, whatever the number of sessions.
pub fn live_records() -> Vec<LiveRecord> {
    super::config_dir().map_or_else(Vec::new, |dir| live_records_in(&dir.join("sessions")))
}

/// The records in DIR whose process still runs and is the one that wrote
/// it: a record left by a killed Claude (its file stays after `kill -9`),
/// or one whose pid a later process was given, is ignored.
pub fn live_records_in(dir: &Path) -> Vec<LiveRecord> {
    let Ok(files) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    files
        .flatten()
        .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
        .filter_map(|f| parse(&std::fs::read(f.path()).ok()?))
        .filter(|(record, started)| {
            // Where the system does not tell a process's start, the pid decides.
            process::is_alive(record.pid)
                && process::start_of(record.pid)
                    .map_or(!cfg!(target_os = "linux"), |s| s == *started)
        })
        .map(|(record, _)| record)
        .collect()
}

/// A record and its process's start (`procStart`, /proc/<pid>/stat field
/// 22), or `None` when it lacks either. Unknown fields are ignored.
fn parse(bytes: &[u8]) -> Option<(LiveRecord, u64)> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    let pid = u32::try_from(value.get("pid")?.as_u64()?).ok()?;
    // A string in the releases seen; a number accepted as well.
    let started = match value.get("procStart")? {
        Value::String(s) => s.parse().ok()?,
        number => number.as_u64()?,
    };
    let record = LiveRecord {
        pid,
        session_id: text("sessionId"),
        cwd: text("cwd").map(PathBuf::from),
        status: Status::parse(value.get("status").and_then(Value::as_str)),
        waiting_for: text("waitingFor"),
        status_updated_at: value
            .get("statusUpdatedAt")
            .and_then(Value::as_i64)
            .and_then(|ms| Timestamp::from_millisecond(ms).ok()),
    };
    Some((record, started))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records_tolerantly() {
        let (record, started) = parse(
            br#"{"pid":23144,"sessionId":"fc1d","cwd":"/w/x","startedAt":1,"procStart":"1821909",
                "kind":"interactive","status":"waiting","waitingFor":"permission prompt",
                "statusUpdatedAt":1795997691786,"someday":{"new":true}}"#,
        )
        .unwrap();
        assert_eq!(started, 1_821_909);
        assert_eq!(record.pid, 23144);
        assert_eq!(record.status.state(), Some(AgentState::Waiting));
        assert_eq!(record.waiting_for.as_deref(), Some("permission prompt"));
        assert_eq!(
            record.status_updated_at.unwrap().as_millisecond(),
            1_795_997_691_786
        );

        let (record, _) =
            parse(br#"{"pid":1,"procStart":7,"status":"compacting","kind":"bg"}"#).unwrap();
        assert_eq!(record.status, Status::Other("compacting".into()));
        assert_eq!(record.status.state(), None);

        assert_eq!(parse(br#"{"pid":1}"#), None);
        assert_eq!(parse(b"not json"), None);
    }

    #[test]
    fn keeps_only_records_of_the_processes_that_wrote_them() {
        let dir = tempfile::tempdir().unwrap();
        let own = std::process::id();
        let start = process::own_start().unwrap();
        let write = |name: &str, pid: u32, start: u64| {
            let text = format!(r#"{{"pid":{pid},"procStart":"{start}","status":"busy"}}"#);
            std::fs::write(dir.path().join(name), text).unwrap();
        };
        write("mine.json", own, start);
        write("reused.json", own, start + 1);
        write("ignored.txt", own, start);
        let pids: Vec<u32> = live_records_in(dir.path()).iter().map(|r| r.pid).collect();
        assert_eq!(pids, [own]);
        assert!(live_records_in(&dir.path().join("none")).is_empty());
    }
}
