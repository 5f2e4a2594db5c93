#!/usr/bin/env bash
# How long a node restarted after kill -9 takes to answer /health/ready, and why it waits.
# usage: bench/restart-ready.sh [PARTITIONS] [DOWN_SECONDS] [ROUNDS]
# Starts three `grid server` processes (node1 bootstraps, the others join) on loopback ports
# from a random base in 21000-30000, below the ephemeral range, waits until all are ready, then
# ROUNDS times (default 3): kill -9 node2, wait DOWN_SECONDS (default 3), start it again with the same command
# and data directory, and poll its /health/ready every 100 ms, printing each new reason with the
# time since the restart. Ends with one summary line per round. Loopback only; every wait bounded.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
P="${1:-8}"
DOWN="${2:-3}"
ROUNDS="${3:-3}"
DIR="$(mktemp -d /tmp/shardgrid-restart.XXXXXX)"
BASE=$(( 21000 + RANDOM % 9000 ))
export SHARDGRID_ADMIN_TOKEN="restart-ready-$RANDOM$RANDOM"
export SHARDGRID_PARENT_PID=$$
export GRID_JAVA_OPTS="-Xmx256m -XX:MaxDirectMemorySize=512m ${GRID_JAVA_OPTS:-}"
declare -A PID

http_port() { echo $(( BASE + 3 * ($1 - 1) )); }

start_node() {
  local i=$1 extra
  if [ "$i" = 1 ]; then extra=(--bootstrap); else extra=(--join "127.0.0.1:$(http_port 1)"); fi
  "$ROOT/bin/grid" server --node-id "node$i" \
    --http-addr "127.0.0.1:$(http_port "$i")" --grpc-addr "127.0.0.1:$(( BASE + 3 * (i - 1) + 1 ))" \
    --raft-addr "127.0.0.1:$(( BASE + 3 * (i - 1) + 2 ))" --data-dir "$DIR/node$i" \
    --partitions "$P" --memory 64m "${extra[@]}" >> "$DIR/node$i.log" 2>&1 &
  PID[$i]=$!
}

ready_reason() {  # prints "200 ready", "503 <why>" or "down" (nothing listens yet)
  local out
  if out=$(curl -s -m 2 -w ' %{http_code}' "http://127.0.0.1:$(http_port "$1")/health/ready" 2>/dev/null); then
    echo "$out" | awk '{code=$NF; $NF=""; print code, $0}'
  else
    echo down
  fi
}

await_ready() {  # node, seconds; prints the reason each time it changes
  local i=$1 limit=$2 t0 last="" now reason
  t0=$(date +%s.%N)
  for _ in $(seq 1 $(( limit * 10 ))); do
    reason=$(ready_reason "$i")
    now=$(date +%s.%N)
    if [ "$reason" != "$last" ]; then
      printf '  node%s +%5.1f s  %s\n' "$i" "$(echo "$now - $t0" | bc)" "$reason"
      last=$reason
    fi
    if [[ "$reason" == 200* ]]; then
      echo "$now - $t0" | bc > "$DIR/last-ready-seconds"
      return 0
    fi
    sleep 0.1
  done
  echo "node$i not ready within $limit s; log: $DIR/node$i.log"
  return 1
}

secs() {  # HH:MM:SS.mmm -> seconds since midnight
  echo "$1" | awk -F'[:.]' '{ printf "%.3f", $1 * 3600 + $2 * 60 + $3 + $4 / 1000 }'
}

phases() {  # where a restart's time went, from node2's log: JVM start, raft start, API start, ready
  local round=$1 t0 line out="" label pattern
  t0=$(secs "$(grep "=== restart $round " "$DIR/node2.log" | awk '{print $4}')")
  for pair in "jvm:starting with" "raft:raft server started" "api:HTTP API on" "logged-ready:ready [0-9]* ms after start"; do
    label=${pair%%:*}; pattern=${pair#*:}
    line=$(grep -A100000 "=== restart $round " "$DIR/node2.log" | grep -m1 -E "$pattern" | cut -c1-12 || true)
    [ -n "$line" ] && out+="$label +$(echo "$(secs "$line") - $t0" | bc) s "
  done
  echo "$out"
}

cleanup() {
  for i in "${!PID[@]}"; do kill -9 "${PID[$i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

echo "3 nodes, $P partitions, ports from $BASE, dir $DIR"
start_node 1
await_ready 1 180
start_node 2
start_node 3
await_ready 2 180
await_ready 3 180
sleep 5   # let elections and the placement driver's first rounds settle
SUMMARY=()
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round: kill -9 node2 (pid ${PID[2]}), down $DOWN s"
  kill -9 "${PID[2]}"
  wait "${PID[2]}" 2>/dev/null || true
  sleep "$DOWN"
  echo "=== restart $round $(date +%H:%M:%S.%N | cut -c1-12)" >> "$DIR/node2.log"
  start_node 2
  await_ready 2 180
  ready=$(cat "$DIR/last-ready-seconds")
  SUMMARY+=("round $round: ready $(printf '%.1f' "$ready") s after the restart; $(phases "$round")")
  sleep 5
done
printf '%s\n' "${SUMMARY[@]}"
