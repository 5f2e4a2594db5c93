#!/usr/bin/env bash
# How long `bin/grid local-cluster` takes from its start to every node ready, and where each node's
# time went. usage: bench/local-cluster-ready.sh [ROUNDS] [local-cluster options...]
# Each round starts a local cluster in a fresh directory, waits for "ready in", stops it, then
# starts it again over the same directory (a restart of the whole cluster) and waits again.
# Prints the cluster's own "ready in" figure and the time from exec to it, then per node: ms from process start to GridNode.start ("jvm"), raft server start, APIs,
# bootstrap or join, and "ready N ms after start" (from GridNode.start). Uses the fixed local-cluster
# ports (HTTP 8081-, gRPC 9091-, raft 11001-) on loopback; every wait is bounded.
# GRID=<launcher> runs another build (default: bin/grid of this checkout).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GRID="${GRID:-$ROOT/bin/grid}"
ROUNDS="${1:-3}"
shift || true
PID=""

cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true; }
trap cleanup EXIT

run_once() {  # dir label
  local dir=$1 label=$2 out="$1/out-$2.txt" t0 wall=""
  t0=$(date +%s.%N)
  "$GRID" local-cluster --dir "$dir" "${@:3}" > "$out" 2>&1 &
  PID=$!
  for _ in $(seq 1 1200); do
    if grep -q "is ready in" "$out"; then wall=$(echo "$(date +%s.%N) - $t0" | bc); break; fi
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  local ready
  ready=$(grep -o "is ready in [0-9.]* s" "$out" | awk '{print $4}' || true)
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
  printf '%-8s ready %5s s (%.1f s from exec) |' "$label" "${ready:-FAILED}" "${wall:-0}"
  for log in "$dir"/node*.log; do
    local n jvm phases ready_ms
    n=$(basename "$log" .log)
    jvm=$(grep "starting with" "$log" | tail -1 | grep -o '([0-9-]* ms after the process started)' | grep -o '[0-9-]*' || true)
    phases=$(grep "start-up so far" "$log" | tail -1 | sed -E 's/.*raft server ([0-9]+) ms, then APIs ([0-9]+) ms, and bootstrap or join ([0-9]+) ms.*/raft \1 api \2 member \3/' || true)
    ready_ms=$(grep -o "ready [0-9]* ms after start" "$log" | tail -1 | awk '{print $2}' || true)
    printf ' %s: jvm %s %s ready %s |' "$n" "${jvm:-?}" "${phases:-?}" "${ready_ms:-?}"
  done
  echo
}

for round in $(seq 1 "$ROUNDS"); do
  DIR="$(mktemp -d /tmp/shardgrid-lc-ready.XXXXXX)"
  run_once "$DIR" "new-$round" "$@"
  run_once "$DIR" "again-$round" "$@"
  [ -n "${KEEP:-}" ] && echo "  kept $DIR" || rm -rf "$DIR"
done
