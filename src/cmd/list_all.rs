//! `sessions list --all`: the sessions of every indexed repository, from
//! anywhere, each with its repository's short name (what `REPO/NAME`
//! takes).

use anyhow::Result;

use super::json;
use super::list::{current, table};
use crate::cli::ListArgs;
use crate::output;
use crate::session::{self, Summary};

pub fn run(args: ListArgs) -> Result<()> {
    let mut sessions: Vec<Summary> = Vec::new();
    let mut repos: Vec<String> = Vec::new();
    for (short, ws) in super::indexed_workspaces()? {
        // One broken repository must not hide the others' sessions.
        match session::list(&ws) {
            Ok(mut listed) => {
                if args.archived {
                    listed.retain(|s| s.entry.is_archived());
                }
                repos.extend(std::iter::repeat_n(short.clone(), listed.len()));
                sessions.extend(listed);
            }
            Err(e) => output::warn(format!("{short}: {e:#}")),
        }
    }
    if args.json {
        return output::print_json(&json::List::with_repos(&sessions, &repos));
    }
    if sessions.is_empty() {
        eprintln!(
            "No sessions in any repository sessions knows; `sessions new NAME` in a repository creates one."
        );
        return Ok(());
    }
    table(&sessions, &repos, None, current(&sessions)).print(args.wide)
}
