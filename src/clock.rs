//! The one source of "now" for what the registry records and what ages are
//! shown against, so that tests can pin it.

use jiff::Timestamp;

/// The current time, or `SESSIONS_NOW` (RFC 3339, e.g.
/// `2026-01-02T03:04:05Z`) when set: a hook for tests, like
/// `SOURCE_DATE_EPOCH`, that makes ages and recorded times reproducible. A
/// value that does not parse is ignored.
pub fn now() -> Timestamp {
    std::env::var("SESSIONS_NOW")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(Timestamp::now)
}
