//! A tiny fake of the Anthropic Messages API (std and serde_json only), good
//! enough to drive the real Claude Code CLI offline, `-p` or interactive.
//!
//! ```ignore
//! let api = FakeAnthropic::start();               // or start_with_reply("text")
//! api.script([Turn::held("thinking"), Turn::bash("touch f"), Turn::text("done")]);
//! // env for claude: ANTHROPIC_BASE_URL=api.base_url(), ANTHROPIC_API_KEY=..., ...
//! let asked = api.wait_main(1);                   // when the 1st main-loop request came
//! api.release();                                  // ends the held turn
//! ```
//!
//! Behaviour:
//! * A main-loop request (`POST /v1/messages` streaming, with tools) takes the
//!   next scripted `Turn`, a continuation after a tool_result too; once the
//!   script is used up, or without one, it gets the default reply as text.
//! * Side requests (no tools, or not streaming: titles, summaries) always get
//!   the default reply: one JSON message, or an SSE stream.
//! * `POST /v1/messages/count_tokens` -> `{"input_tokens":N}`. `HEAD` -> 200,
//!   empty. Anything else -> 200 `{}`.
//! * HTTP/1.1 keep-alive, `Content-Length` and `chunked` request bodies,
//!   `Expect: 100-continue`; bounded, and every thread notices the stop flag
//!   within `POLL` after `Drop`.

mod http;
mod reply;

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Text the fake model answers with unless `start_with_reply` is used.
pub const DEFAULT_REPLY: &str = "Hello from the fake Anthropic server.";

const POLL: Duration = Duration::from_millis(100);

/// How long `wait_main` waits before it fails the test: generous, since a
/// loaded machine starts Claude slowly; the tests measure from the event.
const WAIT_LIMIT: Duration = Duration::from_secs(90);

/// One request the server received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path including the query string, e.g. `/v1/messages?beta=true`.
    pub path: String,
    /// Header names are lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Path without the query string.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }
}

/// What the fake model does in answer to one main-loop request.
#[derive(Clone, Debug)]
pub struct Turn {
    kind: TurnKind,
    /// Pause between deltas (and before the turn ends), so that a test can
    /// watch the turn stream.
    spacing: Duration,
}

#[derive(Clone, Debug)]
enum TurnKind {
    /// Words streamed as text deltas in one block; `held` stops after the
    /// block until the test calls `release`.
    Text { text: String, held: bool },
    /// One tool call, ending the message with `stop_reason: tool_use`.
    Tool { name: String, input: Value },
}

impl Turn {
    /// A text answer that ends the turn.
    pub fn text(text: &str) -> Turn {
        Turn {
            kind: TurnKind::Text {
                text: text.to_string(),
                held: false,
            },
            spacing: Duration::ZERO,
        }
    }

    /// A text answer that streams its text (which Claude then shows), then
    /// waits for `FakeAnthropic::release` before the message ends: a turn as
    /// long as the test needs it.
    pub fn held(text: &str) -> Turn {
        Turn {
            kind: TurnKind::Text {
                text: text.to_string(),
                held: true,
            },
            spacing: Duration::ZERO,
        }
    }

    /// A Bash tool call running COMMAND.
    pub fn bash(command: &str) -> Turn {
        Turn::tool(
            "Bash",
            json!({"command": command, "description": "Run a command"}),
        )
    }

    /// A call of tool NAME with INPUT (e.g. AskUserQuestion).
    pub fn tool(name: &str, input: Value) -> Turn {
        Turn {
            kind: TurnKind::Tool {
                name: name.to_string(),
                input,
            },
            spacing: Duration::ZERO,
        }
    }

    /// The same turn, slowed down: a text streamed a word per delta with
    /// PAUSE between them; a tool call PAUSE before it starts and again
    /// before its input, as a model thinks before it calls.
    pub fn spaced(mut self, pause: Duration) -> Turn {
        self.spacing = pause;
        self
    }
}

/// A main-loop request, as the script saw it.
#[derive(Clone, Debug)]
pub struct MainRequest {
    /// When it arrived, before any answer: the event a test measures from.
    pub at: Instant,
    /// It carries a tool's result (the turn goes on) rather than a prompt.
    pub continuation: bool,
    pub body: Value,
}

#[derive(Default)]
struct Script {
    turns: std::collections::VecDeque<Turn>,
    main: Vec<MainRequest>,
    /// `release` calls not yet used by a held turn.
    releases: usize,
}

struct Shared {
    stop: AtomicBool,
    reply: String,
    requests: Mutex<Vec<RecordedRequest>>,
    next_id: AtomicU64,
    script: Mutex<Script>,
    /// Signalled on every main-loop request and every `release`.
    changed: Condvar,
}

pub struct FakeAnthropic {
    pub port: u16,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

impl FakeAnthropic {
    /// Bind 127.0.0.1:0 and serve in a background thread.
    pub fn start() -> FakeAnthropic {
        Self::start_with_reply(DEFAULT_REPLY)
    }

    /// Like `start`, but the fake model answers every message with `reply`.
    pub fn start_with_reply(reply: &str) -> FakeAnthropic {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("set_nonblocking on listener");
        let port = listener.local_addr().expect("local_addr").port();
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            reply: reply.to_string(),
            requests: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            script: Mutex::new(Script::default()),
            changed: Condvar::new(),
        });
        let sh = Arc::clone(&shared);
        let accept_thread = thread::Builder::new()
            .name(format!("fake-anthropic-{port}"))
            .spawn(move || http::accept_loop(listener, sh))
            .expect("spawn accept thread");
        FakeAnthropic {
            port,
            shared,
            accept_thread: Some(accept_thread),
        }
    }

    /// `http://127.0.0.1:<port>` — the value for `ANTHROPIC_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Snapshot of every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// `(method, path)` of every request received so far.
    pub fn request_lines(&self) -> Vec<(String, String)> {
        lock(&self.shared.requests)
            .iter()
            .map(|r| (r.method.clone(), r.path.clone()))
            .collect()
    }

    /// Appends TURNS to the script the main-loop requests take, one each.
    pub fn script(&self, turns: impl IntoIterator<Item = Turn>) {
        lock(&self.shared.script).turns.extend(turns);
    }

    /// Lets one held turn end (the one streaming now, or else the next).
    pub fn release(&self) {
        lock(&self.shared.script).releases += 1;
        self.shared.changed.notify_all();
    }

    /// The main-loop requests so far.
    pub fn main_requests(&self) -> Vec<MainRequest> {
        lock(&self.shared.script).main.clone()
    }

    /// Waits until the N-th (from 1) main-loop request has arrived; when it
    /// did. Fails the test after a generous bound.
    pub fn wait_main(&self, n: usize) -> Instant {
        let start = Instant::now();
        let mut script = lock(&self.shared.script);
        while script.main.len() < n {
            assert!(
                start.elapsed() < WAIT_LIMIT,
                "the fake API got {} main-loop request(s) in {WAIT_LIMIT:?}, not {n}",
                script.main.len()
            );
            script = self
                .shared
                .changed
                .wait_timeout(script, POLL)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        script.main[n - 1].at
    }
}

impl Drop for FakeAnthropic {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
