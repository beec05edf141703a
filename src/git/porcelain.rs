//! The parser of `git status --porcelain=v2 -z`.

use std::path::PathBuf;

/// What `git status` reports for a working tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkStatus {
    /// Tracked files with staged or unstaged changes, conflicts included.
    pub modified: usize,
    /// Untracked files and folders that are not ignored.
    pub untracked: usize,
}

impl WorkStatus {
    pub fn is_clean(&self) -> bool {
        self.modified == 0 && self.untracked == 0
    }

    /// "2 modified files and 1 untracked file", for messages.
    pub fn describe(&self) -> String {
        let count = |n: usize, what: &str| match n {
            1 => format!("1 {what} file"),
            n => format!("{n} {what} files"),
        };
        match (self.modified, self.untracked) {
            (0, 0) => "no changes".into(),
            (m, 0) => count(m, "modified"),
            (0, u) => count(u, "untracked"),
            (m, u) => format!("{} and {}", count(m, "modified"), count(u, "untracked")),
        }
    }
}

/// One record of `git status --porcelain=v2 -z`: its kind (`1` changed,
/// `2` renamed or copied, `u` unmerged, `?` untracked, `#` header, `!`
/// ignored), its path, and a rename's original path.
pub(super) struct StatusRecord<'a> {
    pub kind: u8,
    /// The staged and unstaged status letters of a `1`, `2` or `u` record.
    pub xy: &'a [u8],
    pub path: &'a [u8],
    pub original: Option<&'a [u8]>,
}

pub(super) fn porcelain_records(out: &[u8]) -> Vec<StatusRecord<'_>> {
    // Fields before the path: "1 XY sub mH mI mW hH hI path",
    // "2 XY sub mH mI mW hH hI Xscore path", "u XY sub m1 m2 m3 mW h1 h2 h3 path".
    let start = |record: &[u8], fields: usize| -> usize {
        let mut spaces = 0;
        for (i, b) in record.iter().enumerate() {
            if *b == b' ' {
                spaces += 1;
                if spaces == fields {
                    return i + 1;
                }
            }
        }
        record.len()
    };
    let mut all = Vec::new();
    let mut records = out.split(|b| *b == 0);
    while let Some(record) = records.next() {
        let Some(&kind) = record.first() else {
            continue;
        };
        let (path, original) = match kind {
            b'1' => (&record[start(record, 8)..], None),
            // A rename record is followed by its original path.
            b'2' => (&record[start(record, 9)..], records.next()),
            b'u' => (&record[start(record, 10)..], None),
            _ => (record.get(2..).unwrap_or_default(), None),
        };
        all.push(StatusRecord {
            kind,
            xy: record.get(2..4).unwrap_or_default(),
            path,
            original,
        });
    }
    all
}

pub(super) fn parse_porcelain_v2(out: &[u8]) -> WorkStatus {
    let mut status = WorkStatus::default();
    for record in porcelain_records(out) {
        match record.kind {
            b'1' | b'2' | b'u' => status.modified += 1,
            b'?' => status.untracked += 1,
            _ => {}
        }
    }
    status
}

/// One uncommitted change in a worktree, as `git status` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkChange {
    /// Relative to the worktree; an untracked folder ends in `/`.
    pub path: String,
    /// `modified`, `added`, `deleted`, `renamed`, `conflicted` or `untracked`.
    pub kind: &'static str,
}

pub(super) fn parse_changes(out: &[u8]) -> Vec<WorkChange> {
    porcelain_records(out)
        .into_iter()
        .filter_map(|record| {
            let kind = match record.kind {
                b'u' => "conflicted",
                b'2' => "renamed",
                b'?' => "untracked",
                b'1' if record.xy.contains(&b'A') => "added",
                b'1' if record.xy.contains(&b'D') => "deleted",
                b'1' => "modified",
                _ => return None,
            };
            let path = String::from_utf8_lossy(record.path).into_owned();
            Some(WorkChange { path, kind })
        })
        .collect()
}

pub(super) fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_counts_modified_renamed_conflicted_and_untracked() {
        let out = b"1 .M N... 100644 100644 100644 a a src/a.rs\0\
2 R. N... 100644 100644 100644 a a R100 new.rs\0old.rs\0\
u UU N... 1 2 3 4 a b c d conflict.rs\0\
? notes.txt\0\
? build/\0";
        assert_eq!(
            parse_porcelain_v2(out),
            WorkStatus {
                modified: 3,
                untracked: 2
            }
        );
        assert!(parse_porcelain_v2(b"").is_clean());
        let kinds: Vec<_> = parse_changes(out).iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                "modified",
                "renamed",
                "conflicted",
                "untracked",
                "untracked"
            ]
        );
        let added = parse_changes(b"1 A. N... 0 100644 100644 a a new.rs\0");
        assert_eq!(added[0].kind, "added");
    }
}
