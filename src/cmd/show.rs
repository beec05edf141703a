use anyhow::Result;

use super::json;
use super::list::agent_label;
use super::target::Otherwise;
use crate::cli::ShowArgs;
use crate::output::{self, age, printable, tilde};
use crate::session;

pub fn run(args: ShowArgs) -> Result<()> {
    let (ws, name) = super::target::anywhere(args.name, Otherwise::Pick)?;
    let details = session::show(&ws, &name)?;
    if args.json {
        return output::print_json(&json::Show::new(&details));
    }
    let s = &details.summary;
    let now = crate::clock::now();
    let path = if s.missing {
        format!("{} (missing)", tilde(&s.entry.path))
    } else {
        tilde(&s.entry.path)
    };
    let started = details
        .started_from
        .as_ref()
        .map(|c| {
            format!(
                "{} ({} {})",
                s.entry.base,
                c.short_id,
                printable(&c.subject)
            )
        })
        .unwrap_or_else(|| s.entry.base.clone());
    let lines = [
        ("session", s.entry.name.clone()),
        ("branch", s.entry.branch.clone()),
        ("path", path),
        (
            "state",
            match &s.landed {
                Some(landed) => format!("{} ({})", s.state(), landed.note()),
                None => s.state().to_string(),
            },
        ),
        ("started from", started),
        (
            "changes",
            format!("{} modified, {} untracked", s.modified, s.untracked),
        ),
        (
            "vs base",
            format!("{} ahead, {} behind {}", s.ahead, s.behind, s.entry.base),
        ),
        ("locked", s.locked.clone().unwrap_or_else(|| "no".into())),
        (
            "agent",
            s.entry.agent.as_ref().map_or_else(
                || "-".into(),
                |a| {
                    let id = a.session_id.as_deref().unwrap_or("no session id");
                    let unknown = a
                        .unknown_notification
                        .as_deref()
                        .map_or_else(String::new, |t| {
                            format!(", unknown notification {}", printable(t))
                        });
                    format!("{} {} ({id}{unknown})", a.kind, agent_label(a, now))
                },
            ),
        ),
        (
            "last commit",
            s.last_commit_at
                .map_or_else(|| "-".into(), |t| format!("{} ago", age(t, now))),
        ),
        ("created", format!("{} ago", age(s.entry.created_at, now))),
    ];
    for (label, value) in lines {
        println!("{:<13} {value}", format!("{label}:"));
    }
    if !details.commits.is_empty() {
        println!("\nCommits not in {}:", s.entry.base);
        for c in &details.commits {
            println!("  {} {}", c.short_id, printable(&c.subject));
        }
    }
    if !details.files.is_empty() {
        println!("\nFiles changed in commits:");
        for f in &details.files {
            println!("  +{:<5} -{:<5} {}", f.added, f.deleted, printable(&f.path));
        }
    }
    if !details.uncommitted.is_empty() {
        println!("\nUncommitted:");
        for c in &details.uncommitted {
            println!("  {:<10} {}", c.kind, printable(&c.path));
        }
    }
    Ok(())
}
