//! Ctrl-C, SIGTERM and SIGHUP while a mutation is under way: remember the
//! signal and let the mutation notice it between steps and roll itself back,
//! instead of dying half-way.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;

use crate::error::Failure;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // The flag is set in the signal handler itself, on whichever thread
        // the signal lands: once `kill` has reached us, the next `check`
        // sees it. (A handler thread, as `ctrlc` has, could set it only
        // after the step it should have stopped had already gone on.)
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // Failing to install only means a signal kills us the default way.
            let _ = signal_hook::flag::register(signal, &INTERRUPTED);
        }
    });
}

/// Whether a signal has arrived since `install`.
pub fn received() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// An error once a signal has arrived.
pub fn check() -> Result<()> {
    if received() {
        return Err(Failure::interrupted().into());
    }
    Ok(())
}
