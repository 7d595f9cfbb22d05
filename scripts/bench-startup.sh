#!/usr/bin/env bash
# Start-up cost of running a program under `pledge`, against the bare
# program and against bwrap and landrun where installed (issue 4, "Speed").
# Needs hyperfine (Debian: apt-get install hyperfine; bwrap: bubblewrap).
# Usage: scripts/bench-startup.sh [hyperfine options...]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench-startup: hyperfine not installed (apt-get install hyperfine)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/pledge" ./cmd/pledge
true=$(command -v true)
cmds=(
	-n bare "$true"
	-n pledge "$out/pledge -p stdio -v r:/ -- $true"
)
if command -v bwrap >/dev/null; then
	cmds+=(-n bwrap "bwrap --ro-bind / / --dev /dev -- $true")
fi
if command -v landrun >/dev/null; then
	cmds+=(-n landrun "landrun --ro / -- $true")
fi
hyperfine -N --warmup 20 --runs 300 "$@" "${cmds[@]}"
