//! The fake Anthropic API's own tests (`common::fake_anthropic`): the
//! transport, and the script of turns.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::fake_anthropic::{DEFAULT_REPLY, FakeAnthropic, Turn};

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

fn post(w: &mut TcpStream, body: &str) {
    write!(
        w,
        "POST /v1/messages?beta=true HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
}

/// Reads lines up to one containing NEEDLE; everything read.
fn read_through(r: &mut BufReader<TcpStream>, needle: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(r.read_line(&mut line).unwrap() > 0, "eof: {seen}");
        seen.push_str(&line);
        // A needle starting with a newline matches a whole line.
        if line.contains(needle) || needle.strip_prefix('\n') == Some(&line) {
            return seen;
        }
    }
}

#[test]
fn main_loop_requests_take_the_scripted_turns_in_order() {
    let srv = FakeAnthropic::start();
    srv.script([
        Turn::held("first"),
        Turn::bash("touch f"),
        Turn::text("one two three").spaced(Duration::from_millis(50)),
    ]);
    let s = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    let tools = json!([{"name": "Bash"}]);
    let prompt = json!({"stream": true, "tools": tools, "messages": [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]}]});

    // A side request takes no turn.
    post(&mut w, r#"{"model":"m","messages":[]}"#);
    assert!(read_response(&mut r).1.contains(DEFAULT_REPLY));

    post(&mut w, &prompt.to_string());
    let at = srv.wait_main(1);
    assert!(read_through(&mut r, "text_delta").contains(r#""text":"first""#));
    // Held: nothing more until the release.
    assert!(!srv.main_requests()[0].continuation);
    srv.release();
    read_through(&mut r, r#"{"type":"message_stop"}"#);
    read_through(&mut r, "\n0\r\n");
    assert!(at.elapsed() < Duration::from_secs(10));

    let result = json!({"stream": true, "tools": tools, "messages": [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {"role": "system", "content": "x"},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t", "content": "ok"},
            {"type": "text", "text": "<system-reminder>x</system-reminder>"}]}]});
    post(&mut w, &result.to_string());
    let tool = read_through(&mut r, r#"{"type":"message_stop"}"#);
    assert!(tool.contains(r#""name":"Bash""#), "{tool}");
    assert!(tool.contains(r#"\"command\":\"touch f\""#), "{tool}");
    assert!(tool.contains(r#""stop_reason":"tool_use""#), "{tool}");
    srv.wait_main(2);
    let second = &srv.main_requests()[1];
    assert!(second.continuation);
    assert_eq!(second.body["messages"].as_array().unwrap().len(), 3);

    post(&mut w, &prompt.to_string());
    let started = Instant::now();
    let spaced = read_through(&mut r, r#"{"type":"message_stop"}"#);
    assert!(started.elapsed() >= Duration::from_millis(100), "{spaced}");
    assert_eq!(spaced.matches("text_delta").count(), 3, "{spaced}");
    read_through(&mut r, "\n0\r\n");

    // Past the script: the default reply.
    post(&mut w, &prompt.to_string());
    assert!(read_through(&mut r, r#"{"type":"message_stop"}"#).contains(DEFAULT_REPLY));
    assert_eq!(srv.main_requests().len(), 4);
}
