use anyhow::Result;

use super::json;
use super::list::agent_label;
use super::target::Otherwise;
use crate::cli::ShowArgs;
use crate::output::{self, age, bytes, printable, tilde};
use crate::registry::{AgentState, StateSource};
use crate::session;

pub fn run(args: ShowArgs) -> Result<()> {
    let (ws, name) = super::target::anywhere(args.name, Otherwise::Pick)?;
    let details = session::show(&ws, &name)?;
    let size = session::size::sizes(&ws, std::slice::from_ref(&details.summary.entry))?
        .pop()
        .flatten();
    if args.json {
        return output::print_json(&json::Show::new(&details, size.as_ref()));
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
        (
            "path",
            match s.sparse {
                true => format!("{path} (sparse checkout)"),
                false => path,
            },
        ),
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
                    let waiting_for = a
                        .waiting_for
                        .as_deref()
                        .map_or_else(String::new, |w| format!(" ({})", printable(w)));
                    let source = match (a.source, a.state) {
                        (Some(StateSource::Claude), _) => " · from Claude's live status",
                        (Some(StateSource::Process), Some(AgentState::Exited)) => {
                            " · no process of it left"
                        }
                        (Some(StateSource::Process), _) => " · a process of it runs",
                        _ => "",
                    };
                    format!(
                        "{} {}{waiting_for}{source} ({id}{unknown})",
                        a.kind,
                        agent_label(a, now)
                    )
                },
            ),
        ),
        (
            "last commit",
            s.last_commit_at
                .map_or_else(|| "-".into(), |t| format!("{} ago", age(t, now))),
        ),
        ("created", format!("{} ago", age(s.entry.created_at, now))),
        (
            "size",
            size.as_ref().map_or_else(|| "-".into(), describe_size),
        ),
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
        match s.entry.is_archived() {
            true => println!("\nUncommitted, saved by the archive:"),
            false => println!("\nUncommitted:"),
        }
        for c in &details.uncommitted {
            println!("  {:<10} {}", c.kind, printable(&c.path));
        }
    }
    earlier_conversations(&s.entry.name, &details.earlier_conversations);
    Ok(())
}

/// `1.2 GiB: 40 MiB tracked, 1 MiB untracked, 1.1 GiB ignored (node_modules 900 MiB*)`,
/// a star on what `clean --artifacts` deletes.
pub(super) fn describe_size(s: &session::size::Size) -> String {
    let largest: Vec<String> = s
        .largest_ignored
        .iter()
        .take(3)
        .map(|f| {
            let star = if f.artifact { "*" } else { "" };
            format!(
                "{} {}{star}",
                printable(&f.path.display().to_string()),
                bytes(f.bytes)
            )
        })
        .collect();
    let largest = match largest.is_empty() {
        true => String::new(),
        false => format!(" ({})", largest.join(", ")),
    };
    format!(
        "{}: {} tracked, {} untracked, {} ignored{largest}",
        bytes(s.total),
        bytes(s.tracked),
        bytes(s.untracked),
        bytes(s.ignored)
    )
}

/// The conversations `resume NAME --id ID` opens again: id, date and the
/// first line of the first prompt, cut to the terminal's width.
fn earlier_conversations(name: &str, conversations: &[session::Conversation]) {
    if conversations.is_empty() {
        return;
    }
    println!(
        "\nEarlier conversations (`sessions resume {} --id ID`):",
        crate::shell::quote(name)
    );
    let width = output::width();
    for c in conversations {
        let date = c.updated_at.map_or_else(
            || "not saved".to_string(),
            |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        );
        let line = format!("  {} {date:<20}", c.session_id);
        let prompt = printable(c.first_prompt.as_deref().unwrap_or("-"));
        let room = width.map_or(usize::MAX, |w| w.saturating_sub(line.chars().count() + 1));
        let prompt = output::cut(&prompt, room.max(8), output::Keep::Start);
        println!("{line} {prompt}");
    }
}
