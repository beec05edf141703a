use super::json;
use crate::cli::ConfigArgs;
use crate::config::{self, Config, PROJECT_FILE, Source};
use crate::git::Repo;
use crate::output::{self, Cell, Column, Keep, Table, cut, tilde};
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
    // The files' paths, once, above the settings that name only their
    // origin; a path too long for the width is cut, its end kept.
    let width = if args.wide { None } else { output::width() };
    let file_note = |what: &str, file: Option<std::path::PathBuf>| {
        let (path, none) = match file {
            Some(f) if f.is_file() => (tilde(&f), ""),
            Some(f) => (tilde(&f), " (none)"),
            None => return format!("# {what}: none"),
        };
        let prefix = format!("# {what}: ");
        let room = width.map_or(usize::MAX, |w| {
            w.saturating_sub(prefix.chars().count() + none.len())
        });
        format!("{prefix}{}{none}", cut(&path, room.max(8), Keep::End))
    };
    println!("{}", file_note("user file", config::user_file()));
    println!(
        "{}",
        file_note("project file", root.map(|r| r.join(PROJECT_FILE)))
    );
    let mut table = Table::new(vec![
        Column::new("").cut(10, 24, Keep::Start),
        Column::new(""),
    ])
    .without_headers();
    for key in config::KEYS.iter().filter(|key| !key.per_profile()) {
        let (value, source) = config
            .value_of(key.name)
            .expect("every key in KEYS has a value");
        table.row(shown(key.name, value, source));
    }
    for (name, value) in &config.env {
        let shown_value = toml::Value::try_from(&value.value).ok();
        table.row(shown(&format!("env.{name}"), shown_value, &value.source));
    }
    for (name, profile) in &config.profiles {
        let prefix = format!("agent.profiles.{name}");
        let source = &profile.source;
        if let Some(command) = &profile.value.command {
            let value = toml::Value::try_from(command).ok();
            table.row(shown(&format!("{prefix}.command"), value, source));
        }
        if let Some(args) = &profile.value.args {
            let value = toml::Value::try_from(args).ok();
            table.row(shown(&format!("{prefix}.args"), value, source));
        }
    }
    table.print(args.wide)
}

/// `key = value` in TOML syntax, and where the value came from (the notes
/// above name the files).
fn shown(key: &str, value: Option<toml::Value>, source: &Source) -> Vec<Cell> {
    let value = value.map_or_else(|| "(not set)".into(), |v| v.to_string());
    let origin = match source {
        Source::Default => "default",
        Source::User(_) => "user",
        Source::Project(_) => "project",
    };
    vec![
        Cell::new(format!("{key} = {value}")),
        Cell::new(format!("# {origin}")),
    ]
}
