//! Ctrl-C and SIGTERM while a mutation is under way: remember the signal and
//! let the mutation notice it between steps and roll itself back, instead of
//! dying half-way.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;

use crate::error::Failure;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Failing to install only means a signal kills us the default way.
        let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    });
}

/// An error once a signal has arrived.
pub fn check() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(Failure::interrupted().into());
    }
    Ok(())
}
