//! The desktop notification, through `notify-rust`: the freedesktop
//! notification service over D-Bus on Linux, the notification centre on
//! macOS. Where there is none, nothing is shown and nothing is said.

use std::sync::mpsc;
use std::time::Duration;

/// Shows SUMMARY and BODY, giving up after TIMEOUT (a bus that accepts and
/// never answers must not keep the process).
pub(super) fn show(summary: &str, body: &str, timeout: Duration) {
    let (done, finished) = mpsc::channel();
    let (summary, body) = (summary.to_string(), body.to_string());
    std::thread::spawn(move || {
        let _ = notify_rust::Notification::new()
            .appname("sessions")
            .summary(&summary)
            .body(&body)
            .show();
        let _ = done.send(());
    });
    let _ = finished.recv_timeout(timeout);
}
