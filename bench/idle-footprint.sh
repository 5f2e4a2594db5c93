#!/usr/bin/env bash
# Threads, RSS and idle CPU per node of a 3-node local cluster at a given partition count.
# usage: bench/idle-footprint.sh PARTITIONS [SAMPLE_SECONDS]
# Starts `bin/grid local-cluster` in a temporary directory, waits until it is ready and a few
# seconds more, samples each node process for SAMPLE_SECONDS (default 20), prints one line per node
# and stops the cluster. Loopback only; bounded in time.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
P="${1:?partition count}"
SECS="${2:-20}"
DIR="$(mktemp -d /tmp/shardgrid-idle.XXXXXX)"
HZ=$(getconf CLK_TCK)

"$ROOT/bin/grid" local-cluster --dir "$DIR" --partitions "$P" --ready-timeout 600 > "$DIR/launcher.out" 2>&1 &
LAUNCHER=$!
trap 'kill $LAUNCHER 2>/dev/null || true; wait $LAUNCHER 2>/dev/null || true' EXIT

for _ in $(seq 1 1200); do
  grep -q "is ready in" "$DIR/launcher.out" 2>/dev/null && break
  kill -0 $LAUNCHER 2>/dev/null || { cat "$DIR/launcher.out"; exit 1; }
  sleep 0.5
done
grep "is ready in" "$DIR/launcher.out"
sleep 10   # let the first snapshots and heartbeats settle

PIDS=$(pgrep -P $LAUNCHER)
declare -A before
for pid in $PIDS; do
  read -r -a st < "/proc/$pid/stat"
  before[$pid]=$(( st[13] + st[14] ))
done
sleep "$SECS"
for pid in $PIDS; do
  read -r -a st < "/proc/$pid/stat"
  ticks=$(( st[13] + st[14] - before[$pid] ))
  threads=$(ls "/proc/$pid/task" | wc -l)
  rss_mb=$(( $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024 ))
  node=$(tr '\0' ' ' < "/proc/$pid/cmdline" | grep -o -- '--node-id [^ ]*' | cut -d' ' -f2)
  cpu=$(awk -v t=$ticks -v hz=$HZ -v s=$SECS 'BEGIN { printf "%.1f", 100 * t / hz / s }')
  echo "partitions=$P node=$node threads=$threads rss_mb=$rss_mb idle_cpu_percent_of_one_core=$cpu"
done
