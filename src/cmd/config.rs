use super::json;
use crate::cli::ConfigArgs;
use crate::config::{self, Config, PROJECT_FILE, Source};
use crate::git::Repo;
use crate::output;
use anyhow::Result;

pub fn run(args: ConfigArgs) -> Result<()> {
    // Works outside a repository too: then only the user file counts.
    let repo = std::env::current_dir()
        .ok()
        .and_then(|cwd| Repo::discover(&cwd).ok());
    let root = repo.as_ref().and_then(|r| r.main_worktree());
    let config = Config::load(root)?;
    config.withheld_warnings().iter().for_each(output::warn);
    if args.json {
        return output::print_json(&json::Settings::new(&config));
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
    let mut lines: Vec<_> = config::KEYS
        .iter()
        .filter(|key| !key.per_profile())
        .map(|key| {
            let (value, source) = config
                .value_of(key.name)
                .expect("every key in KEYS has a value");
            shown(key.name, value, source)
        })
        .collect();
    for (name, profile) in &config.profiles {
        let prefix = format!("agent.profiles.{name}");
        let source = &profile.source;
        if let Some(command) = &profile.value.command {
            let value = toml::Value::try_from(command).ok();
            lines.push(shown(&format!("{prefix}.command"), value, source));
        }
        if let Some(args) = &profile.value.args {
            let value = toml::Value::try_from(args).ok();
            lines.push(shown(&format!("{prefix}.args"), value, source));
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

/// `key = value` in TOML syntax, and where the value came from.
fn shown(key: &str, value: Option<toml::Value>, source: &Source) -> (String, String, String) {
    let value = value.map_or_else(|| "(not set)".into(), |v| v.to_string());
    (key.to_string(), value, source.to_string())
}
