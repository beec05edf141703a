//! The `--json` of sizes: `list --size`, `show` and `du`.

use std::path::PathBuf;

use serde::Serialize;

use super::VERSION;
use crate::session::Usage;
use crate::session::size::Size;

/// A session's size on disk, in bytes of disk usage.
#[derive(Serialize)]
pub(super) struct SizeJson {
    total: u64,
    tracked: u64,
    untracked: u64,
    ignored: u64,
    artifacts: u64,
    largest_ignored: Vec<Folder>,
}

#[derive(Serialize)]
struct Folder {
    path: PathBuf,
    bytes: u64,
    artifact: bool,
}

impl From<&Size> for SizeJson {
    fn from(s: &Size) -> SizeJson {
        SizeJson {
            total: s.total,
            tracked: s.tracked,
            untracked: s.untracked,
            ignored: s.ignored,
            artifacts: s.artifacts,
            largest_ignored: s
                .largest_ignored
                .iter()
                .map(|f| Folder {
                    path: f.path.clone(),
                    bytes: f.bytes,
                    artifact: f.artifact,
                })
                .collect(),
        }
    }
}

/// `du --json`.
#[derive(Serialize)]
pub struct Du {
    version: u32,
    sessions: Vec<DuSession>,
    objects: u64,
    reclaimable: u64,
    total: u64,
}

#[derive(Serialize)]
struct DuSession {
    name: String,
    path: PathBuf,
    size: Option<SizeJson>,
}

impl Du {
    pub fn new(usage: &Usage) -> Du {
        let sessions: u64 = usage
            .sessions
            .iter()
            .filter_map(|(_, s)| s.as_ref().map(|s| s.total))
            .sum();
        Du {
            version: VERSION,
            sessions: usage
                .sessions
                .iter()
                .map(|(e, s)| DuSession {
                    name: e.name.clone(),
                    path: e.path.clone(),
                    size: s.as_ref().map(SizeJson::from),
                })
                .collect(),
            objects: usage.objects,
            reclaimable: usage.reclaimable,
            total: sessions + usage.objects,
        }
    }
}
