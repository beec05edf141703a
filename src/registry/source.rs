//! Where the state shown for an agent came from: not stored, only viewed.

/// Where the state shown for an agent came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateSource {
    /// What its hooks last reported.
    Hook,
    /// Claude Code's own live status, newer than the hooks' word.
    Claude,
    /// Whether a process of it runs: gone (`exited`), or alive with no
    /// state reported (`running`).
    Process,
}

impl StateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            StateSource::Hook => "hook",
            StateSource::Claude => "claude",
            StateSource::Process => "process",
        }
    }
}
