//! The conversations Claude had in a session: the current one and the
//! earlier ones that `resume --id` opens again.

use jiff::Timestamp;

use crate::claude::{self, Transcript};
use crate::registry::Entry;

/// One conversation of a session, and what its transcript says of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub session_id: String,
    /// None until Claude saved a message of it.
    pub transcript: Option<Transcript>,
    pub first_prompt: Option<String>,
    pub updated_at: Option<Timestamp>,
}

/// Every conversation ENTRY's agent had, the current one first, then the
/// others newest first: the ids the registry kept (the current one,
/// `earlier_session_ids`) and any other transcript of its worktree.
pub fn conversations(entry: &Entry) -> Vec<Conversation> {
    let mut transcripts = claude::transcripts(&entry.path);
    let recorded = entry.agent.iter().flat_map(|a| {
        a.session_id
            .iter()
            .chain(a.earlier_session_ids.iter().rev())
            .cloned()
    });
    let current = entry.agent.as_ref().and_then(|a| a.session_id.clone());
    let mut ids: Vec<String> = Vec::new();
    for id in recorded {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    transcripts.sort_by_key(|t| std::cmp::Reverse(t.modified));
    for t in &transcripts {
        if !ids.contains(&t.session_id) {
            ids.push(t.session_id.clone());
        }
    }
    let mut all: Vec<Conversation> = ids
        .into_iter()
        .map(|session_id| {
            let transcript = transcripts
                .iter()
                .find(|t| t.session_id == session_id)
                .cloned();
            Conversation {
                first_prompt: transcript.as_ref().and_then(Transcript::first_prompt),
                updated_at: transcript
                    .as_ref()
                    .and_then(|t| Timestamp::try_from(t.modified).ok()),
                session_id,
                transcript,
            }
        })
        .collect();
    // The current one first, then newest first; one never saved, last.
    all.sort_by_key(|c| {
        (
            Some(&c.session_id) != current.as_ref(),
            std::cmp::Reverse(c.updated_at),
        )
    });
    all
}

/// ENTRY's conversations other than its current one.
pub fn earlier_conversations(entry: &Entry) -> Vec<Conversation> {
    let current = entry.agent.as_ref().and_then(|a| a.session_id.as_deref());
    conversations(entry)
        .into_iter()
        .filter(|c| Some(c.session_id.as_str()) != current)
        .collect()
}
