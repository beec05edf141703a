//! Claude keeps only the last `--settings` it is given, so a user's own
//! (from `[agent] args` or after `--`) would either drop our hooks or be
//! dropped. Each is taken out of the arguments and merged with ours into the
//! one flag Claude gets.

use std::path::Path;

use anyhow::{Result, bail};
use serde_json::{Map, Value};

use crate::error::Failure;

/// ARGS without their `--settings VALUE` / `--settings=VALUE`, and those
/// values in order.
pub fn take_settings(args: &[String]) -> Result<(Vec<String>, Vec<String>)> {
    let mut rest = Vec::new();
    let mut settings = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--settings" {
            let Some(value) = words.next() else {
                bail!(Failure::usage("--settings needs a file or JSON after it"));
            };
            settings.push(value.clone());
        } else if let Some(value) = word.strip_prefix("--settings=") {
            settings.push(value.to_string());
        } else {
            rest.push(word.clone());
        }
    }
    Ok((rest, settings))
}

/// The user's SETTINGS (each inline JSON or a file, a relative one taken
/// from HERE) merged in order, then OURS: every event's hook groups are
/// concatenated, ours last; for any other key the user's value stands.
pub fn merged(settings: &[String], ours: Value, here: &Path) -> Result<Value> {
    let mut all = Map::new();
    for value in settings {
        let (user, from) = read(value, here)?;
        let Value::Object(user) = user else {
            bail!(Failure::usage(format!(
                "--settings {from}: not a JSON object"
            )));
        };
        merge(&mut all, user, &from)?;
    }
    let Value::Object(ours) = ours else {
        unreachable!("our settings are an object")
    };
    merge(&mut all, ours, "of sessions")?;
    Ok(Value::Object(all))
}

/// The JSON of one `--settings` VALUE, and how to name it in an error.
fn read(value: &str, here: &Path) -> Result<(Value, String)> {
    if value.trim_start().starts_with('{') {
        let from = "(inline JSON)".to_string();
        return match serde_json::from_str(value) {
            Ok(json) => Ok((json, from)),
            Err(e) => bail!(Failure::usage(format!("--settings {from}: {e}"))),
        };
    }
    let file = here.join(value);
    let from = file.display().to_string();
    let text = std::fs::read_to_string(&file)
        .map_err(|e| Failure::usage(format!("--settings {from}: cannot read it: {e}")))?;
    match serde_json::from_str(&text) {
        Ok(json) => Ok((json, from)),
        Err(e) => bail!(Failure::usage(format!("--settings {from}: not JSON: {e}"))),
    }
}

fn merge(all: &mut Map<String, Value>, settings: Map<String, Value>, from: &str) -> Result<()> {
    for (key, value) in settings {
        if key != "hooks" {
            all.insert(key, value);
            continue;
        }
        let Value::Object(events) = value else {
            bail!(Failure::usage(format!(
                "--settings {from}: `hooks` is not an object"
            )));
        };
        let hooks = all
            .entry("hooks")
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(hooks) = hooks else {
            unreachable!("only objects are stored under hooks")
        };
        for (event, groups) in events {
            let Value::Array(groups) = groups else {
                bail!(Failure::usage(format!(
                    "--settings {from}: hooks.{event} is not a list"
                )));
            };
            if let Value::Array(kept) = hooks
                .entry(event)
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                kept.extend(groups);
            }
        }
    }
    Ok(())
}
