#!/bin/sh
# Starts one Shardgrid node in a StatefulSet pod. The pod named <set>-0 bootstraps the cluster;
# every other pod joins through <set>-0. A restart over an existing data directory just starts
# (the server neither bootstraps nor joins again when its directory holds groups).
#
# Environment (set by deploy/k8s/shardgrid.yaml):
#   POD_NAME, SERVICE (headless service), NAMESPACE, CLUSTER_DOMAIN (default cluster.local)
#   SHARDGRID_PARTITIONS, SHARDGRID_REPLICATION, SHARDGRID_MEMORY, SHARDGRID_DURABILITY
#   SHARDGRID_ADMIN_TOKEN (read by the server itself), JAVA_OPTS
#   SHARDGRID_DRY_RUN=1 prints the server arguments instead of starting it (used by a test).
set -eu

POD_NAME="${POD_NAME:-$(hostname)}"
SET_NAME="${POD_NAME%-*}"
ORDINAL="${POD_NAME##*-}"
SERVICE="${SERVICE:-shardgrid}"
NAMESPACE="${NAMESPACE:-default}"
DOMAIN="${CLUSTER_DOMAIN:-cluster.local}"
SELF="${POD_NAME}.${SERVICE}.${NAMESPACE}.svc.${DOMAIN}"
SEED="${SET_NAME}-0.${SERVICE}.${NAMESPACE}.svc.${DOMAIN}"

set -- server \
  --node-id "$POD_NAME" \
  --http-addr "${SELF}:8080" \
  --grpc-addr "${SELF}:9090" \
  --raft-addr "${SELF}:11000" \
  --data-dir /var/lib/shardgrid/data \
  --partitions "${SHARDGRID_PARTITIONS:-64}" \
  --replication "${SHARDGRID_REPLICATION:-3}" \
  --memory "${SHARDGRID_MEMORY:-1g}" \
  --durability "${SHARDGRID_DURABILITY:-sync}"
if [ "$ORDINAL" = "0" ]; then
  set -- "$@" --bootstrap
else
  set -- "$@" --join "${SEED}:8080"
fi

if [ "${SHARDGRID_DRY_RUN:-0}" = "1" ]; then
  printf '%s\n' "$@"
  exit 0
fi
# shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM flags
exec java ${JAVA_OPTS:-} --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
  -cp "/opt/shardgrid/*:/opt/shardgrid/lib/*" io.shardgrid.server.GridMain "$@"
