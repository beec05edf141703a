//! A tiny, std-only fake of the Anthropic Messages API, good enough to drive the
//! real Claude Code CLI (`claude -p ...`) offline in tests.
//!
//! Usage:
//! ```ignore
//! let srv = FakeAnthropic::start();               // or start_with_reply("text")
//! // env for claude: ANTHROPIC_BASE_URL=srv.base_url(), ANTHROPIC_API_KEY=dummy, ...
//! let reqs = srv.requests();                      // Vec<RecordedRequest>
//! drop(srv);                                      // stops the accept loop
//! ```
//!
//! Behaviour:
//! * `POST /v1/messages[?beta=true]` with `"stream": true` -> SSE stream
//!   (message_start, content_block_start, content_block_delta/text_delta,
//!   content_block_stop, message_delta{stop_reason:end_turn}, message_stop).
//! * `POST /v1/messages[?...]` without streaming -> one JSON message.
//! * `POST /v1/messages/count_tokens` -> `{"input_tokens":N}`.
//! * `HEAD` anything -> 200, empty body. Any other request -> 200 `{}`.
//! * HTTP/1.1 keep-alive, `Content-Length` and `chunked` request bodies,
//!   `Expect: 100-continue`.
//! * Bounded: header/body size limits, idle keep-alive timeout, and every
//!   thread notices the stop flag within `POLL` after `Drop`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Text the fake model answers with unless `start_with_reply` is used.
pub const DEFAULT_REPLY: &str = "Hello from the fake Anthropic server.";

const POLL: Duration = Duration::from_millis(100);
const IDLE_LIMIT: Duration = Duration::from_secs(30);
const MAX_HEADER_BYTES: usize = 64 * 1024;
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

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

struct Shared {
    stop: AtomicBool,
    reply: String,
    requests: Mutex<Vec<RecordedRequest>>,
    next_id: AtomicU64,
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
        });
        let sh = Arc::clone(&shared);
        let accept_thread = thread::Builder::new()
            .name(format!("fake-anthropic-{port}"))
            .spawn(move || accept_loop(listener, sh))
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
}

impl Drop for FakeAnthropic {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let sh = Arc::clone(&shared);
                if let Ok(h) = thread::Builder::new()
                    .name("fake-anthropic-conn".into())
                    .spawn(move || serve_connection(stream, sh))
                {
                    workers.push(h);
                }
            }
            Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(POLL / 4),
            Err(ref e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => thread::sleep(POLL / 4),
        }
        workers.retain(|h| !h.is_finished());
    }
    for h in workers {
        let _ = h.join();
    }
}

/// A reader that keeps retrying on read timeouts until the stop flag is set
/// or the connection has been idle for too long.
struct StopAwareReader {
    stream: TcpStream,
    shared: Arc<Shared>,
    last_activity: Instant,
}

impl Read for StopAwareReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.shared.stop.load(Ordering::SeqCst) {
                return Err(io::Error::other("server stopping"));
            }
            match self.stream.read(buf) {
                Ok(n) => {
                    self.last_activity = Instant::now();
                    return Ok(n);
                }
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut =>
                {
                    if self.last_activity.elapsed() > IDLE_LIMIT {
                        return Err(io::Error::new(io::ErrorKind::TimedOut, "idle"));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    // Accepted sockets may inherit non-blocking mode on some platforms.
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(POLL)).is_err() {
        return;
    }
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(StopAwareReader {
        stream,
        shared: Arc::clone(&shared),
        last_activity: Instant::now(),
    });
    while let Ok(Some(req)) = read_request(&mut reader, &mut writer) {
        let close = req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let resp = respond(&req, &shared);
        lock(&shared.requests).push(req);
        if writer
            .write_all(&resp)
            .and_then(|_| writer.flush())
            .is_err()
            || close
        {
            break;
        }
    }
    let _ = writer.shutdown(Shutdown::Both);
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Reads one CRLF- (or LF-) terminated line, bounded by `budget`.
fn read_line<R: BufRead>(r: &mut R, budget: &mut usize) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = r
        .by_ref()
        .take(*budget as u64 + 1)
        .read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget {
        return Err(bad("header too large"));
    }
    *budget -= n;
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// Ok(None) = clean EOF before a request started.
fn read_request<R: BufRead>(r: &mut R, w: &mut TcpStream) -> io::Result<Option<RecordedRequest>> {
    let mut budget = MAX_HEADER_BYTES;
    // Skip stray empty lines between pipelined requests (RFC 9112 §2.2).
    let request_line = loop {
        match read_line(r, &mut budget)? {
            None => return Ok(None),
            Some(l) if l.is_empty() => continue,
            Some(l) => break l,
        }
    };
    let mut parts = request_line.split_whitespace();
    let method = parts.next().ok_or_else(|| bad("no method"))?.to_string();
    let path = parts.next().ok_or_else(|| bad("no path"))?.to_string();

    let mut headers = Vec::new();
    loop {
        let line = read_line(r, &mut budget)?.ok_or_else(|| bad("eof in headers"))?;
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let mut req = RecordedRequest {
        method,
        path,
        headers,
        body: String::new(),
    };
    if req
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let chunked = req
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        read_chunked(r)?
    } else if let Some(len) = req.header("content-length") {
        let len: usize = len.trim().parse().map_err(|_| bad("bad content-length"))?;
        if len > MAX_BODY_BYTES {
            return Err(bad("body too large"));
        }
        let mut b = vec![0u8; len];
        r.read_exact(&mut b)?;
        b
    } else {
        Vec::new()
    };
    req.body = String::from_utf8_lossy(&body).into_owned();
    Ok(Some(req))
}

fn read_chunked<R: BufRead>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut budget = MAX_HEADER_BYTES;
        let line = read_line(r, &mut budget)?.ok_or_else(|| bad("eof in chunk size"))?;
        let size_hex = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let t = read_line(r, &mut budget)?.ok_or_else(|| bad("eof in trailers"))?;
                if t.is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY_BYTES {
            return Err(bad("body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])?;
        let mut crlf = Vec::new();
        r.by_ref().take(2).read_until(b'\n', &mut crlf)?;
    }
}

/// Finds `"key"` followed by `:` and returns the rest of the text after the colon
/// (whitespace-trimmed). Good enough for the flat fields we look at.
fn json_value_after<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!("\"{key}\"");
    let mut from = 0;
    while let Some(i) = body[from..].find(&needle) {
        let rest = body[from + i + needle.len()..].trim_start();
        if let Some(after) = rest.strip_prefix(':') {
            return Some(after.trim_start());
        }
        from += i + needle.len();
    }
    None
}

fn is_streaming(body: &str) -> bool {
    json_value_after(body, "stream").is_some_and(|v| v.starts_with("true"))
}

fn model_of(body: &str) -> String {
    json_value_after(body, "model")
        .and_then(|v| v.strip_prefix('"'))
        .and_then(|v| v.split('"').next())
        .filter(|m| !m.is_empty() && m.len() < 200)
        .unwrap_or("claude-fake-model")
        .to_string()
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn http_response(status: &str, content_type: &str, body: &str, head_only: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         connection: keep-alive\r\nrequest-id: req_fake\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

fn respond(req: &RecordedRequest, shared: &Shared) -> Vec<u8> {
    let route = req.route();
    let head = req.method.eq_ignore_ascii_case("HEAD");
    if head {
        return http_response("200 OK", "application/json", "{}", true);
    }
    let post = req.method.eq_ignore_ascii_case("POST");
    if post && route == "/v1/messages/count_tokens" {
        return http_response(
            "200 OK",
            "application/json",
            r#"{"input_tokens":10}"#,
            false,
        );
    }
    if post && route == "/v1/messages" {
        let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
        let model = json_escape(&model_of(&req.body));
        let text = json_escape(&shared.reply);
        let msg_id = format!("msg_fake_{id:06}");
        let usage = r#"{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}"#;
        if is_streaming(&req.body) {
            let events = [
                (
                    "message_start",
                    format!(
                        r#"{{"type":"message_start","message":{{"id":"{msg_id}","type":"message","role":"assistant","model":"{model}","content":[],"stop_reason":null,"stop_sequence":null,"usage":{usage}}}}}"#
                    ),
                ),
                (
                    "content_block_start",
                    r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#.to_string(),
                ),
                (
                    "content_block_delta",
                    format!(
                        r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{text}"}}}}"#
                    ),
                ),
                (
                    "content_block_stop",
                    r#"{"type":"content_block_stop","index":0}"#.to_string(),
                ),
                (
                    "message_delta",
                    r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":8}}"#.to_string(),
                ),
                ("message_stop", r#"{"type":"message_stop"}"#.to_string()),
            ];
            let mut body = String::new();
            for (name, data) in events {
                body.push_str(&format!("event: {name}\ndata: {data}\n\n"));
            }
            return http_response("200 OK", "text/event-stream", &body, false);
        }
        let body = format!(
            r#"{{"id":"{msg_id}","type":"message","role":"assistant","model":"{model}","content":[{{"type":"text","text":"{text}"}}],"stop_reason":"end_turn","stop_sequence":null,"usage":{{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":8}}}}"#
        );
        return http_response("200 OK", "application/json", &body, false);
    }
    http_response("200 OK", "application/json", "{}", false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_response(r: &mut BufReader<TcpStream>) -> (String, String) {
        let mut status = String::new();
        r.read_line(&mut status).unwrap();
        let mut len = 0usize;
        loop {
            let mut l = String::new();
            r.read_line(&mut l).unwrap();
            let l = l.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0u8; len];
        r.read_exact(&mut body).unwrap();
        (
            status.trim_end().to_string(),
            String::from_utf8(body).unwrap(),
        )
    }

    #[test]
    fn keep_alive_chunked_and_streaming() {
        let srv = FakeAnthropic::start_with_reply("pong \"quoted\"");
        let s = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);

        let body = r#"{"model":"m-1","stream": true,"messages":[]}"#;
        write!(
            w,
            "POST /v1/messages?beta=true HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let (st, b) = read_response(&mut r);
        assert_eq!(st, "HTTP/1.1 200 OK");
        let names: Vec<&str> = b
            .lines()
            .filter_map(|l| l.strip_prefix("event: "))
            .collect();
        assert_eq!(
            names,
            [
                "message_start",
                "content_block_start",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        assert!(b.contains(r#""text":"pong \"quoted\"""#));
        assert!(b.contains(r#""model":"m-1""#));

        // Same connection, chunked body, non-streaming.
        w.write_all(
            b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
              6\r\n{\"mode\r\n9\r\nl\":\"m-2\"}\r\n0\r\n\r\n",
        )
        .unwrap();
        let (st, b) = read_response(&mut r);
        assert_eq!(st, "HTTP/1.1 200 OK");
        assert!(
            b.starts_with(r#"{"id":"msg_fake_000002","type":"message""#),
            "{b}"
        );
        assert!(b.contains(r#""model":"m-2""#));

        w.write_all(b"GET /v1/other HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        assert_eq!(read_response(&mut r).1, "{}");

        let lines = srv.request_lines();
        assert_eq!(
            lines,
            [
                ("POST".to_string(), "/v1/messages?beta=true".to_string()),
                ("POST".to_string(), "/v1/messages".to_string()),
                ("GET".to_string(), "/v1/other".to_string()),
            ]
        );
        assert_eq!(srv.requests()[1].body, r#"{"model":"m-2"}"#);

        // Drop returns promptly although the keep-alive connection is still open.
        let t = Instant::now();
        drop(srv);
        assert!(t.elapsed() < Duration::from_secs(2));
    }
}
