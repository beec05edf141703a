#!/usr/bin/env bash
# Times `sessions list` on a large repository with many sessions against
# running `git status --porcelain` serially in each session's worktree: the
# loop a person would otherwise run. Goal: list at most 0.6x of that loop.
#
#   benches/list.sh                      # 20,000 files, 20 sessions, best of 5
#   FILES=2000 SESSIONS=5 benches/list.sh
#   SESSIONS_BIN=/path/to/sessions benches/list.sh   # skip the release build
#
# Not a test: it prints timings and the ratio, and exits 0 either way.
set -euo pipefail

FILES=${FILES:-20000}
SESSIONS=${SESSIONS:-20}
RUNS=${RUNS:-5}
here=$(cd "$(dirname "$0")/.." && pwd)

bin=${SESSIONS_BIN:-}
if [[ -z $bin ]]; then
    cargo build --release --locked --manifest-path "$here/Cargo.toml" >&2
    bin=$here/target/release/sessions
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/sessions-bench.XXXXXX")
trap 'rm -rf "$root"' EXIT
# Isolated from the caller's git configuration and home.
export HOME=$root/home GIT_CONFIG_GLOBAL=$root/gitconfig GIT_CONFIG_NOSYSTEM=1
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
mkdir -p "$HOME"
printf '[user]\n\tname = Bench\n\temail = bench@example.com\n' >"$GIT_CONFIG_GLOBAL"

repo=$root/repo
mkdir -p "$repo"
cd "$repo"
git init -q -b main
echo "building a repository of $FILES files..." >&2
per_dir=100
for ((d = 0; d * per_dir < FILES; d++)); do
    mkdir -p "src/d$d"
    for ((f = 0; f < per_dir && d * per_dir + f < FILES; f++)); do
        echo "file $d/$f" >"src/d$d/f$f.txt"
    done
done
git add -A
git commit -q -m "$FILES files"

echo "creating $SESSIONS sessions..." >&2
paths=()
dirs=$(((FILES + per_dir - 1) / per_dir))
for ((i = 1; i <= SESSIONS; i++)); do
    path=$("$bin" new "s$i" --no-agent 2>/dev/null)
    paths+=("$path")
    # Some work in progress, as real sessions have: every other one has a
    # commit of its own, and each an edit and an untracked file.
    if ((i % 2 == 0)); then
        echo "change $i" >>"$path/src/d$((i % dirs))/f1.txt"
        git -C "$path" commit -q -am "work in s$i"
    fi
    echo "edit $i" >>"$path/src/d$((i % dirs))/f2.txt"
    echo "new" >"$path/untracked-$i.txt"
done

serial() {
    for path in "${paths[@]}"; do
        git -C "$path" status --porcelain >/dev/null
    done
}
list() {
    "$bin" list >/dev/null
}

now_ns() { date +%s%N; }

# Best of RUNS, in milliseconds, after one warm-up run.
best_ms() {
    local fn=$1 best='' start end ms
    "$fn"
    for ((r = 0; r < RUNS; r++)); do
        start=$(now_ns)
        "$fn"
        end=$(now_ns)
        ms=$(((end - start) / 1000000))
        if [[ -z $best ]] || ((ms < best)); then best=$ms; fi
    done
    echo "$best"
}

serial_ms=$(best_ms serial)
list_ms=$(best_ms list)
ratio=$(awk -v a="$list_ms" -v b="$serial_ms" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
echo "$FILES files, $SESSIONS sessions, $cores cores, best of $RUNS"
echo "git status --porcelain, serially in each worktree: ${serial_ms} ms"
echo "sessions list:                                     ${list_ms} ms"
echo "ratio: ${ratio}x (goal: at most 0.6x)"
