//! The integration tests, one binary with a module per area: one link of
//! the test harness instead of one per file, and `common` checked for dead
//! code as a whole. Each drives the built `sessions` against real git
//! repositories in an isolated HOME (see `common`).

mod common;

mod agent;
mod agent_states;
mod archive;
mod claude_e2e;
mod claude_hooks_e2e;
mod claude_resume_e2e;
mod claude_tty;
mod claude_tty_flows;
mod clean;
mod completion;
mod config;
mod conflicts;
mod core;
mod create;
mod disk;
mod disk_clean;
mod doctor;
mod doctor_advice;
mod env;
mod fake_api;
mod fixes_attacked;
mod guide;
mod hints;
mod hooks_lifecycle;
mod hostile_repo;
mod idle_shells;
mod in_progress;
mod integrate;
mod json;
mod kills;
mod land_clone;
mod launch;
mod live_status;
mod notify;
mod odd_states;
mod paths;
mod prompts;
mod props;
mod ready;
mod removal;
mod repair;
mod repo_index;
mod resume_ids;
mod resume_live;
mod security;
mod shell;
mod snapshots;
mod sparse;
mod stale;
mod status;
mod status_line;
mod statusline;
mod stress;
mod submodules;
mod sync_clone;
mod sync_land;
mod tmux;
mod watch;
