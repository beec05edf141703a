//! What the fake answers: main-loop requests take the next scripted turn,
//! streamed as it goes (chunked SSE); everything else the default reply.

use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::http::http_response;
use super::{MainRequest, POLL, RecordedRequest, Shared, Turn, TurnKind, lock};

const USAGE: &str = r#"{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}"#;

/// Records REQ, then writes its answer to W.
pub(super) fn respond(req: RecordedRequest, shared: &Shared, w: &mut TcpStream) -> io::Result<()> {
    let route = req.route().to_string();
    let method = req.method.to_ascii_uppercase();
    let body: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
    lock(&shared.requests).push(req);
    if method == "HEAD" {
        return w.write_all(&http_response("200 OK", "application/json", "{}", true));
    }
    if method == "POST" && route == "/v1/messages/count_tokens" {
        let answer = http_response(
            "200 OK",
            "application/json",
            r#"{"input_tokens":10}"#,
            false,
        );
        return w.write_all(&answer);
    }
    if method != "POST" || route != "/v1/messages" {
        return w.write_all(&http_response("200 OK", "application/json", "{}", false));
    }
    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
    let msg = Message {
        id: format!("msg_fake_{id:06}"),
        tool_id: format!("toolu_fake_{id:06}"),
        model: body["model"]
            .as_str()
            .filter(|m| !m.is_empty())
            .unwrap_or("claude-fake-model")
            .to_string(),
    };
    let streaming = body["stream"] == true;
    let main = streaming && body["tools"].as_array().is_some_and(|t| !t.is_empty());
    if main {
        let turn = next_turn(shared, body).unwrap_or_else(|| Turn::text(&shared.reply));
        return stream_turn(w, shared, &turn, &msg);
    }
    if streaming {
        let mut events = String::new();
        for (name, data) in text_events(&msg, &shared.reply) {
            events.push_str(&format!("event: {name}\ndata: {data}\n\n"));
        }
        return w.write_all(&http_response(
            "200 OK",
            "text/event-stream",
            &events,
            false,
        ));
    }
    let answer = json!({
        "id": msg.id, "type": "message", "role": "assistant", "model": msg.model,
        "content": [{"type": "text", "text": shared.reply}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 10, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0, "output_tokens": 8},
    });
    w.write_all(&http_response(
        "200 OK",
        "application/json",
        &answer.to_string(),
        false,
    ))
}

struct Message {
    id: String,
    tool_id: String,
    model: String,
}

/// Notes a main-loop request (waking `wait_main`) and takes its turn.
fn next_turn(shared: &Shared, body: Value) -> Option<Turn> {
    let mut script = lock(&shared.script);
    script.main.push(MainRequest {
        at: Instant::now(),
        continuation: is_continuation(&body),
        body,
    });
    shared.changed.notify_all();
    script.turns.pop_front()
}

/// Whether BODY goes on after a tool: Claude merges tool results with text
/// typed later into one user message, and adds `<system-reminder>` text
/// blocks, so the last user message's last other block tells.
pub(super) fn is_continuation(body: &Value) -> bool {
    let Some(messages) = body["messages"].as_array() else {
        return false;
    };
    let Some(user) = messages.iter().rev().find(|m| m["role"] == "user") else {
        return false;
    };
    user["content"].as_array().is_some_and(|blocks| {
        blocks
            .iter()
            .rfind(|b| {
                !(b["type"] == "text"
                    && b["text"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("<system-reminder>")))
            })
            .is_some_and(|b| b["type"] == "tool_result")
    })
}

/// The events of a whole text answer, for side requests.
fn text_events(msg: &Message, text: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("message_start", message_start(msg)),
        ("content_block_start", text_block_start()),
        ("content_block_delta", text_delta(text)),
        ("content_block_stop", block_stop()),
        ("message_delta", message_delta("end_turn")),
        ("message_stop", json!({"type": "message_stop"})),
    ]
}

fn message_start(msg: &Message) -> Value {
    let usage: Value = serde_json::from_str(USAGE).unwrap();
    json!({"type": "message_start", "message": {
        "id": msg.id, "type": "message", "role": "assistant", "model": msg.model,
        "content": [], "stop_reason": null, "stop_sequence": null, "usage": usage}})
}

fn text_block_start() -> Value {
    json!({"type": "content_block_start", "index": 0,
           "content_block": {"type": "text", "text": ""}})
}

fn text_delta(text: &str) -> Value {
    json!({"type": "content_block_delta", "index": 0,
           "delta": {"type": "text_delta", "text": text}})
}

fn block_stop() -> Value {
    json!({"type": "content_block_stop", "index": 0})
}

fn message_delta(stop_reason: &str) -> Value {
    json!({"type": "message_delta",
           "delta": {"stop_reason": stop_reason, "stop_sequence": null},
           "usage": {"output_tokens": 8}})
}

/// Streams TURN as chunked SSE, each event flushed as it goes.
fn stream_turn(w: &mut TcpStream, shared: &Shared, turn: &Turn, msg: &Message) -> io::Result<()> {
    w.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
          transfer-encoding: chunked\r\nconnection: keep-alive\r\nrequest-id: req_fake\r\n\r\n",
    )?;
    send(w, "message_start", message_start(msg))?;
    let stop_reason = match &turn.kind {
        TurnKind::Text { text, held } => {
            send(w, "content_block_start", text_block_start())?;
            let words: Vec<&str> = if turn.spacing.is_zero() {
                vec![text.as_str()]
            } else {
                text.split_inclusive(' ').collect()
            };
            for (i, word) in words.iter().enumerate() {
                if i > 0 {
                    pause(shared, turn.spacing)?;
                }
                send(w, "content_block_delta", text_delta(word))?;
            }
            // Claude shows a text block once it is complete: hold after it.
            send(w, "content_block_stop", block_stop())?;
            if *held {
                held_until_released(shared, w)?;
            }
            "end_turn"
        }
        TurnKind::Tool { name, input } => {
            // A model takes its time before the call, not after: Claude
            // runs the tool as soon as the block ends.
            pause(shared, turn.spacing)?;
            send(
                w,
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block":
                       {"type": "tool_use", "id": msg.tool_id, "name": name, "input": {}}}),
            )?;
            pause(shared, turn.spacing)?;
            send(
                w,
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta":
                       {"type": "input_json_delta", "partial_json": input.to_string()}}),
            )?;
            send(w, "content_block_stop", block_stop())?;
            "tool_use"
        }
    };
    send(w, "message_delta", message_delta(stop_reason))?;
    send(w, "message_stop", json!({"type": "message_stop"}))?;
    w.write_all(b"0\r\n\r\n")
}

/// Writes one event as one chunk, flushed.
fn send(w: &mut TcpStream, name: &str, data: Value) -> io::Result<()> {
    let event = format!("event: {name}\ndata: {data}\n\n");
    write!(w, "{:x}\r\n{event}\r\n", event.len())?;
    w.flush()
}

/// Sleeps for HOW_LONG unless the server stops.
fn pause(shared: &Shared, how_long: Duration) -> io::Result<()> {
    let until = Instant::now() + how_long;
    while Instant::now() < until {
        if shared.stop.load(Ordering::SeqCst) {
            return Err(io::Error::other("server stopping"));
        }
        thread::sleep(POLL.min(until - Instant::now()));
    }
    Ok(())
}

/// Waits for a `release`, and uses it up; gives up without using one when
/// Claude drops the request (Esc) or the server stops, so that the release
/// meant for a later held turn is not lost on this one.
fn held_until_released(shared: &Shared, w: &TcpStream) -> io::Result<()> {
    let mut script = lock(&shared.script);
    loop {
        if script.releases > 0 {
            script.releases -= 1;
            return Ok(());
        }
        if shared.stop.load(Ordering::SeqCst) || peer_gone(w) {
            return Err(io::Error::other("the held request ended"));
        }
        script = shared
            .changed
            .wait_timeout(script, POLL)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// Whether the client closed the connection: a non-blocking peek reads its
/// end of stream. (The reading side waits for this answer meanwhile.)
fn peer_gone(w: &TcpStream) -> bool {
    if w.set_nonblocking(true).is_err() {
        return true;
    }
    let mut byte = [0u8; 1];
    let gone = match w.peek(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != io::ErrorKind::WouldBlock,
    };
    gone || w.set_nonblocking(false).is_err()
}
