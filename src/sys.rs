//! Every call into libc that needs `unsafe`, each behind a safe function
//! that says why it is sound. Cargo.toml denies `unsafe_code`; this module
//! alone is allowed it (in main.rs), so new unsafe code has one place to go.

/// Restores the default action for SIGPIPE, as other Unix tools have it:
/// end quietly when a reader such as `head` closes the pipe, rather than
/// failing on the next write. Call it first thing in `main`.
pub fn default_sigpipe() {
    // SAFETY: called before any other thread exists, and SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Whether process PID exists: signal 0 delivers nothing, and a process we
/// may not signal (EPERM) still exists.
pub fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks for existence and permission;
    // pid is positive, so it names one process, never a group.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Clock ticks per second, the unit of process start times in /proc.
#[cfg(target_os = "linux")]
pub fn clock_ticks() -> Option<u64> {
    // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|&t| t > 0)
}

/// This process's parent.
pub fn parent_pid() -> Option<u32> {
    // SAFETY: getppid has no preconditions and cannot fail.
    u32::try_from(unsafe { libc::getppid() }).ok()
}

/// The width in columns of the terminal on stdout, when stdout is one that
/// knows its size.
pub fn stdout_columns() -> Option<usize> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` into SIZE, which outlives the
    // call; on a file that is not a terminal it fails and writes nothing.
    let result = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
    (result == 0 && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// Waits until FD has input to read. A signal ends the wait with
/// `ErrorKind::Interrupted` even under `SA_RESTART` (poll is never
/// restarted), which is what lets Ctrl-C stop a question on the terminal.
pub fn wait_readable(fd: std::os::fd::BorrowedFd<'_>) -> std::io::Result<()> {
    poll_input(fd, None).map(|_| ())
}

/// What FD has to read after waiting for it at most TIMEOUT (`None`: as
/// long as it takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Ready,
    Nothing,
    /// The other end is gone: a terminal whose tmux or ssh went away.
    HungUp,
}

pub fn poll_input(
    fd: std::os::fd::BorrowedFd<'_>,
    timeout: Option<std::time::Duration>,
) -> std::io::Result<Input> {
    use std::os::fd::AsRawFd;
    let mut poll = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = timeout.map_or(-1, |t| i32::try_from(t.as_millis()).unwrap_or(i32::MAX));
    // SAFETY: one valid pollfd, borrowed for the call.
    match unsafe { libc::poll(&raw mut poll, 1, millis) } {
        -1 => Err(std::io::Error::last_os_error()),
        0 => Ok(Input::Nothing),
        _ if poll.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 => {
            Ok(Input::HungUp)
        }
        _ => Ok(Input::Ready),
    }
}

/// The settings of the terminal on stdin, saved to be put back.
pub struct TerminalState(libc::termios);

/// The settings of the terminal on stdin, when stdin is a terminal.
pub fn stdin_terminal() -> Option<TerminalState> {
    // SAFETY: an all-zero termios is a valid value of this plain C struct,
    // and tcgetattr only writes it; on a file that is not a terminal it
    // fails and we keep nothing.
    unsafe {
        let mut state: libc::termios = std::mem::zeroed();
        (libc::tcgetattr(libc::STDIN_FILENO, &mut state) == 0).then_some(TerminalState(state))
    }
}

/// Puts the terminal on stdin back as STATE had it; only from the
/// foreground, since a background process setting it would be stopped
/// (SIGTTOU) instead.
pub fn restore_stdin_terminal(state: &TerminalState) -> std::io::Result<()> {
    // SAFETY: tcgetpgrp and getpgrp have no preconditions; the first fails
    // (-1) on a file that is not a terminal.
    if unsafe { libc::tcgetpgrp(libc::STDIN_FILENO) != libc::getpgrp() } {
        return Ok(());
    }
    // SAFETY: STATE came from tcgetattr on the same kind of descriptor and
    // is only read.
    match unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &state.0) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}
