//! Living in the shell: the wrapper function `sessions init` prints, and the
//! binary's half of it. A process cannot change its parent shell's folder,
//! so the wrapper passes a file in `SESSIONS_CD_FILE`, the binary writes the
//! target folder there, and the wrapper `cd`s to it afterwards. Nothing the
//! binary prints is ever evaluated.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use clap::ValueEnum;

/// TEXT as one shell word: as it is when nothing in it means anything to a
/// shell, else in single quotes. A hint is a command one pastes, and a name
/// a remote chose (`$(curl ...)` is a valid branch name) must not run there.
pub fn quote(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+:,@%=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// PATH as one shell word, for hints (see `quote`).
pub fn quote_path(path: &Path) -> String {
    quote(&path.to_string_lossy())
}

/// The variable naming the file the wrapper reads the target folder from.
pub const CD_FILE_VAR: &str = "SESSIONS_CD_FILE";

/// The shells `sessions init` supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    /// The user's shell, from `$SHELL`, for hints.
    pub fn current() -> Shell {
        let shell = std::env::var("SHELL").unwrap_or_default();
        match shell.rsplit('/').next() {
            Some("zsh") => Shell::Zsh,
            Some("fish") => Shell::Fish,
            _ => Shell::Bash,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
        }
    }

    /// Where the init line goes.
    pub fn rc_file(self) -> &'static str {
        match self {
            Shell::Bash => "~/.bashrc",
            Shell::Zsh => "~/.zshrc",
            Shell::Fish => "~/.config/fish/config.fish",
        }
    }

    /// The line to put in the rc file.
    pub fn init_line(self) -> String {
        match self {
            Shell::Fish => "sessions init fish | source".into(),
            shell => format!("eval \"$(sessions init {})\"", shell.name()),
        }
    }

    /// The wrapper function and the dynamic completion registration.
    pub fn init_script(self) -> &'static str {
        match self {
            Shell::Bash | Shell::Zsh => POSIX_INIT,
            Shell::Fish => FISH_INIT,
        }
    }

    /// Registers the dynamic completion, which knows the session names.
    pub fn completion_line(self) -> &'static str {
        match self {
            // eval rather than `source <(...)`, which bash 3.2 (macOS) breaks.
            Shell::Bash => BASH_COMPLETION,
            // compdef exists only once the completion system is loaded.
            Shell::Zsh => {
                "if (( $+functions[compdef] )); then eval \"$(COMPLETE=zsh command sessions)\"; fi\n"
            }
            Shell::Fish => "COMPLETE=fish command sessions | source\n",
        }
    }
}

/// clap_complete's bash completion, registered through a function that
/// gives clap `--base=v` as bash split it (`--base`, `=`, `v`, the `=` a word
/// of its own by COMP_WORDBREAKS) without the `=`, which clap would take for
/// the option's value, leaving `v` a positional with nothing to offer.
const BASH_COMPLETION: &str = r#"eval "$(COMPLETE=bash command sessions)"
_sessions_complete() {
    local __words=() __cword=0 __i
    for ((__i = 0; __i < ${#COMP_WORDS[@]}; __i++)); do
        if [[ ${COMP_WORDS[__i]} == = && __i -gt 0 && __i -lt COMP_CWORD && ${COMP_WORDS[__i-1]} == --* ]]; then
            continue
        fi
        [[ __i -eq COMP_CWORD ]] && __cword=${#__words[@]}
        __words+=("${COMP_WORDS[__i]}")
    done
    local COMP_WORDS=("${__words[@]}") COMP_CWORD=$__cword
    _clap_complete_sessions "$@"
}
__sessions_registration="$(complete -p sessions)"
eval "${__sessions_registration/_clap_complete_sessions/_sessions_complete}"
unset __sessions_registration
"#;

/// For bash and zsh. Only commands that can change folder get a temporary
/// file: `new`, `cd`, `resume` and `watch` go into a session; `rm` and `land` come
/// back to the main worktree when they remove the session the shell is in.
/// Everything else runs as is. Written for `set -e` too: a refusal, or no
/// folder to go to, must not end the caller's script half-way.
const POSIX_INIT: &str = r#"# sessions shell integration: `sessions new`, `cd`, `resume` and `watch` (Enter) change folder;
# `rm`, `land` and `clean` return to the main worktree from the session they remove.
sessions() {
    local __sessions_arg __sessions_file __sessions_dir __sessions_status
    for __sessions_arg in "$@"; do
        case "$__sessions_arg" in
            new|cd|resume|rm|land|clean|watch)
                __sessions_file="$(mktemp)" || return 1
                __sessions_status=0
                SESSIONS_CD_FILE="$__sessions_file" command sessions "$@" || __sessions_status=$?
                __sessions_dir=""
                IFS= read -r __sessions_dir < "$__sessions_file" || :
                rm -f -- "$__sessions_file"
                if [ -n "$__sessions_dir" ]; then
                    builtin cd -- "$__sessions_dir" || return $?
                fi
                return $__sessions_status
                ;;
        esac
    done
    command sessions "$@"
}
"#;

const FISH_INIT: &str = r#"# sessions shell integration: `sessions new`, `cd`, `resume` and `watch` (Enter) change folder;
# `rm`, `land` and `clean` return to the main worktree from the session they remove.
function sessions --description 'sessions, changing folder after new, cd, resume, rm, land, clean and watch'
    if contains -- new $argv; or contains -- cd $argv; or contains -- resume $argv; or contains -- rm $argv; or contains -- land $argv; or contains -- clean $argv; or contains -- watch $argv
        set -l file (mktemp); or return 1
        env SESSIONS_CD_FILE=$file sessions $argv
        set -l code $status
        set -l dir (head -n 1 $file)
        rm -f -- $file
        if test -n "$dir"
            builtin cd -- $dir; or return $status
        end
        return $code
    end
    command sessions $argv
end
"#;

/// Tells the shell wrapper, if there is one, to change to DIR once this
/// process ends (`new`, `cd`, `resume`; `rm` and `land` when they remove
/// the folder the shell is in). Returns false when there is no wrapper: the caller then
/// prints the path and a hint instead.
pub fn cd_to(dir: &Path) -> Result<bool> {
    let Some(file) = std::env::var_os(CD_FILE_VAR).filter(|v| !v.is_empty()) else {
        return Ok(false);
    };
    // Only into the file the wrapper made: never create one at a path the
    // environment names.
    let mut out = OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&file)
        .with_context(|| format!("cannot write {}", Path::new(&file).display()))?;
    writeln!(out, "{}", dir.display())?;
    Ok(true)
}

/// The hint for a shell without the wrapper.
pub fn wrapper_hint() -> String {
    let shell = Shell::current();
    format!(
        "to have sessions change your shell's folder, add `{}` to {}",
        shell.init_line(),
        shell.rc_file()
    )
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quoted_words_never_run_anything() {
        assert_eq!(quote("origin/main"), "origin/main");
        assert_eq!(quote("$(touch${IFS}x)"), "'$(touch${IFS}x)'");
        assert_eq!(quote("/tmp/a'$(x)'"), r"'/tmp/a'\''$(x)'\'''");
        assert_eq!(quote(""), "''");
    }
}
