#!/usr/bin/env bash
# Conflict radar speed: `sessions conflicts` over 10 sessions (45 pairs and 10
# comparisons with the base: 55 trial merges) on a generated repository of
# FILES files. Every session has commits and uncommitted work (modified and
# untracked files); all of them touch one shared file in different places
# (overlaps), and two pairs edit the same lines (conflicts), so the full
# merges run too, not only the cheap "nothing in common" path.
#
# Usage: benches/conflicts.sh [FILES=20000] [RUNS=7]
# Builds the release binary (or uses $SESSIONS_BIN); prints the median wall
# time. Goal: < 2 s on 2 cores.
set -euo pipefail
files=${1:-20000}
runs=${2:-7}
cd "$(dirname "$0")/.."
bin=${SESSIONS_BIN:-}
if [ -z "$bin" ]; then
    cargo build --release --locked --quiet
    bin=$PWD/target/release/sessions
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sessions-conflicts-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp/home GIT_CONFIG_GLOBAL=$tmp/home/.gitconfig GIT_CONFIG_NOSYSTEM=1
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE SESSIONS_CONFIG
mkdir -p "$HOME" "$tmp/repo"
printf '[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n' >"$GIT_CONFIG_GLOBAL"

echo "generating $files files..." >&2
cd "$tmp/repo"
git init -q
mkdir -p $(seq -f 'src/m%03g' 0 $(((files - 1) / 100)))
awk -v n="$files" 'BEGIN {
    for (i = 0; i < n; i++) {
        f = sprintf("src/m%03d/f%d.rs", int(i / 100), i)
        for (j = 0; j < 12; j++) printf "pub fn f%d_%d(x: u64) -> u64 { x.wrapping_mul(%d) + %d }\n", i, j, j, i > f
        close(f)
    }
}'
seq -f 'shared line %g' 1 40 >shared.txt
git add -A
git commit -q -m generated

echo "creating 10 sessions..." >&2
shared=shared.txt
for k in $(seq 0 9); do
    dir=$("$bin" new "s$k" --no-agent 2>/dev/null)
    # Committed: a file of its own, and its own line of the shared file
    # (overlaps; git counts edits of adjacent lines as a conflict).
    sed -i "s/^pub fn f$((k + 100))_0/\/\/ s$k\npub fn f$((k + 100))_0/" "$dir/src/m001/f$((k + 100)).rs"
    sed -i "$((4 * k + 1))s/\$/ s$k/" "$dir/$shared"
    git -C "$dir" commit -q -am "s$k: committed work"
    # Uncommitted: a modified file of its own and an untracked one.
    echo "// s$k uncommitted" >>"$dir/src/m002/f$((k + 200)).rs"
    echo "untracked" >"$dir/src/m003/new$k.rs"
done
# Two conflicting pairs: s0/s1 committed, s2/s3 uncommitted, on the same line.
for k in 0 1; do
    dir=$("$bin" path "s$k")
    sed -i "12s/.*/conflict $k/" "$dir/src/m004/f400.rs"
    git -C "$dir" commit -q -am "s$k: conflicting line"
done
for k in 2 3; do
    sed -i "12s/.*/conflict $k/" "$("$bin" path "s$k")/src/m004/f400.rs"
done

# A checkout written in the same second as its index leaves entries "racily
# clean": every `git status` re-reads those files until some git command
# rewrites the index, which sessions never does (--no-optional-locks). Agents
# run git in their worktrees all the time; do it once, as they would.
for k in $(seq 0 9); do
    git -C "$("$bin" path "s$k")" status >/dev/null
done

times=()
for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    code=0
    "$bin" conflicts >/dev/null 2>&1 || code=$?
    end=$(date +%s%N)
    [ "$code" = 1 ] || { echo "expected exit 1 (conflicts predicted), got $code" >&2; exit 1; }
    times+=($(((end - start) / 1000000)))
done
"$bin" conflicts 2>&1 | sed 's/^/  /' >&2 || true
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
echo "conflicts, 10 sessions (55 comparisons), $files files, $(nproc) cores: median ${median} ms of $runs runs (${times[*]} ms); goal < 2000 ms"
