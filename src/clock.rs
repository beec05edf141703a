//! The one source of "now" for what the registry records and what ages are
//! shown against, so that tests can pin it.

use jiff::Timestamp;

/// The current time, or `SESSIONS_NOW` (RFC 3339, e.g.
/// `2026-01-02T03:04:05Z`) when set: a hook for tests, like
/// `SOURCE_DATE_EPOCH`, that makes ages and recorded times reproducible.
pub fn now() -> Timestamp {
    pinned(std::env::var("SESSIONS_NOW").ok().as_deref()).unwrap_or_else(Timestamp::now)
}

/// The time VALUE pins; a value that does not parse pins nothing.
fn pinned(value: Option<&str>) -> Option<Timestamp> {
    value?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_rfc_3339_time_pins_the_clock() {
        let at = pinned(Some("2026-01-02T03:04:05Z")).unwrap();
        assert_eq!(at.as_second(), 1_767_323_045);
        assert_eq!(pinned(Some("2026-01-02T04:04:05+01:00")), Some(at));
        assert_eq!(pinned(Some("yesterday")), None);
        assert_eq!(pinned(Some("")), None);
        assert_eq!(pinned(None), None);
    }
}
