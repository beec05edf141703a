use anyhow::Result;
use serde::Serialize;

use crate::cli::ConfigArgs;
use crate::config::{self, Config, PROJECT_FILE, Setting};
use crate::git::Repo;
use crate::output;

pub fn run(args: ConfigArgs) -> Result<()> {
    // Works outside a repository too: then only the user file counts.
    let repo = std::env::current_dir()
        .ok()
        .and_then(|cwd| Repo::discover(&cwd).ok());
    let root = repo.as_ref().and_then(|r| r.main_worktree());
    let config = Config::load(root)?;
    if args.json {
        return output::print_json(&config);
    }
    let file_note = |what: &str, file: Option<std::path::PathBuf>| match file {
        Some(f) if f.is_file() => format!("# {what}: {}", f.display()),
        Some(f) => format!("# {what}: {} (none)", f.display()),
        None => format!("# {what}: none"),
    };
    println!("{}", file_note("user file", config::user_file()));
    println!(
        "{}",
        file_note("project file", root.map(|r| r.join(PROJECT_FILE)))
    );
    let mut lines = vec![
        line("worktree_dir", &config.worktree_dir),
        line("branch_prefix", &config.branch_prefix),
        line("base", &config.base),
        line("copy", &config.copy),
        line("setup", &config.setup),
        line("teardown", &config.teardown),
        line("max_sessions", &config.max_sessions),
        line("port_base", &config.port_base),
        line("agent.command", &config.agent_command),
        line("agent.args", &config.agent_args),
        line("land.method", &config.land_method),
        line("land.check", &config.land_check),
        line("land.push", &config.land_push),
    ];
    for (name, profile) in &config.profiles {
        let prefix = format!("agent.profiles.{name}");
        let source = &profile.source;
        if let Some(command) = &profile.value.command {
            lines.push(line(&format!("{prefix}.command"), &with(command, source)));
        }
        if let Some(args) = &profile.value.args {
            lines.push(line(&format!("{prefix}.args"), &with(args, source)));
        }
    }
    let width = lines
        .iter()
        .map(|(k, v, _)| k.len() + v.len() + 3)
        .max()
        .unwrap_or(0);
    for (key, value, source) in lines {
        let assignment = format!("{key} = {value}");
        println!("{assignment:width$}  # {source}");
    }
    Ok(())
}

fn with<T: Clone>(value: &T, source: &config::Source) -> Setting<T> {
    Setting {
        value: value.clone(),
        source: source.clone(),
    }
}

/// `key = value` in TOML syntax, and where the value came from.
fn line<T: Serialize>(key: &str, setting: &Setting<T>) -> (String, String, String) {
    let value = toml::Value::try_from(&setting.value)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| "(not set)".into());
    (key.to_string(), value, setting.source.to_string())
}
