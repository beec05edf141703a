//! `sessions notify-send`: one notification, in the detached process a
//! hook starts (src/session/notify/). Prints nothing: nobody reads it.

use anyhow::Result;

use crate::cli::NotifySendArgs;
use crate::session::notify::{self, Notice};

pub fn run(args: NotifySendArgs) -> Result<()> {
    notify::deliver(&Notice {
        name: args.name,
        repo: args.repo,
        state: args.state,
        message: args.message,
        path: args.path,
        desktop: args.desktop,
        command: args.command,
    });
    Ok(())
}
