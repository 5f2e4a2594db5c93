#!/bin/sh
# Starts one Shardgrid node: the one entrypoint of the image, used alike by the Kubernetes
# StatefulSet (deploy/k8s), compose (deploy/compose.yaml) and deploy/smoke. The node named <set>-0
# bootstraps the cluster; every other node joins through <set>-0. With SHARDGRID_BOOTSTRAP_EXPECT=N
# (N > 1) <set>-0 founds it with the first N nodes at once (--bootstrap-expect): it waits for N - 1
# of them to join, and every group starts on all N, with no membership change before the cluster
# is ready; all N must then start together (a StatefulSet with podManagementPolicy: Parallel). A
# restart over an existing data directory just starts (the server neither bootstraps nor joins
# again when its directory holds groups).
#
# Environment:
#   POD_NAME       <set>-<ordinal> (default: the hostname)
#   PEER_DOMAIN    nodes reach each other as <pod>.<PEER_DOMAIN>. Unset (Kubernetes): the headless
#                  service's domain, <SERVICE>.<NAMESPACE>.svc.<CLUSTER_DOMAIN> (defaults shardgrid,
#                  default, cluster.local). Set empty (compose, podman): the bare container name,
#                  which the container network's DNS resolves.
#   SHARDGRID_PARTITIONS, SHARDGRID_REPLICATION, SHARDGRID_MEMORY, SHARDGRID_DURABILITY,
#   SHARDGRID_BOOTSTRAP_EXPECT (default 1: <set>-0 bootstraps alone and the others join one by one)
#   SHARDGRID_ADMIN_TOKEN (read by the server itself), JAVA_OPTS
#   SHARDGRID_CLASS_ARCHIVE=0 starts without the image's class-data archive (see below).
#   SHARDGRID_DRY_RUN=1 prints the server arguments instead of starting it (used by a test).
#
# `docker-entrypoint.sh health` is the container health check: it asks the node's /health/ready on
# the address the node binds (its own name, not loopback) and exits 0 only on 200. It needs bash.
#
# `docker-entrypoint.sh train-class-archive` (the image build runs it once) makes a class-data
# archive of the classes a node loads, which every later start maps instead of loading and verifying
# them again: a node starts in about half the CPU. No archive only costs speed.
set -eu

ARCHIVE=/opt/shardgrid/shardgrid-classes.jsa
# The archive is valid for this exact class path: list it in a fixed (sorted) order.
classpath() { ls /opt/shardgrid/*.jar /opt/shardgrid/lib/*.jar | tr '\n' ':'; }
JAVA_FLAGS="--add-exports java.base/jdk.internal.misc=ALL-UNNAMED -Xlog:cds=off -Xlog:cds+dynamic=off"

if [ "${1:-}" = "train-class-archive" ]; then
  # shellcheck disable=SC2086 # JAVA_FLAGS is a list of JVM flags
  if java $JAVA_FLAGS -XX:ArchiveClassesAtExit="$ARCHIVE" -cp "$(classpath)" io.shardgrid.server.GridMain \
      train-class-archive >/tmp/class-archive-training.log 2>&1 && [ -s "$ARCHIVE" ]; then
    echo "class-data archive: $(wc -c <"$ARCHIVE") bytes"
    rm -f /tmp/class-archive-training.log
  else
    rm -f "$ARCHIVE"
    echo "no class-data archive (nodes start without it):"
    tail -5 /tmp/class-archive-training.log
  fi
  exit 0
fi
if [ -s "$ARCHIVE" ] && [ "${SHARDGRID_CLASS_ARCHIVE:-1}" = 1 ]; then
  JAVA_FLAGS="$JAVA_FLAGS -XX:SharedArchiveFile=$ARCHIVE"
fi

POD_NAME="${POD_NAME:-$(hostname)}"
SET_NAME="${POD_NAME%-*}"
ORDINAL="${POD_NAME##*-}"
case "$ORDINAL" in
  ''|*[!0-9]*)
    echo "docker-entrypoint: POD_NAME '$POD_NAME' must end in -<ordinal>, like shardgrid-0" >&2
    exit 2 ;;
esac
if [ -z "${PEER_DOMAIN+set}" ]; then
  PEER_DOMAIN="${SERVICE:-shardgrid}.${NAMESPACE:-default}.svc.${CLUSTER_DOMAIN:-cluster.local}"
fi
SELF="${POD_NAME}${PEER_DOMAIN:+.$PEER_DOMAIN}"
SEED="${SET_NAME}-0${PEER_DOMAIN:+.$PEER_DOMAIN}"

if [ "${1:-}" = "health" ] && [ -n "${SHARDGRID_TLS_DIR:-}" ]; then
  # No TLS client in the image's shell: with TLS, healthy means the HTTPS port accepts connections.
  exec bash -c 'exec 3<>"/dev/tcp/$0/8080"' "$SELF"
fi
if [ "${1:-}" = "health" ]; then
  # shellcheck disable=SC2016 # $0 and $status belong to the bash script
  exec bash -c 'exec 3<>"/dev/tcp/$0/8080" || exit 1
    printf "GET /health/ready HTTP/1.0\r\nHost: %s\r\n\r\n" "$0" >&3
    IFS= read -r -t 5 status <&3 || exit 1
    case "$status" in *" 200 "*) exit 0 ;; esac
    echo "not ready: $status" >&2
    exit 1' "$SELF"
fi

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
  set -- "$@" --bootstrap --bootstrap-expect "${SHARDGRID_BOOTSTRAP_EXPECT:-1}"
else
  set -- "$@" --join "${SEED}:8080"
fi
if [ -n "${SHARDGRID_TLS_DIR:-}" ]; then
  # TLS on every port from a mounted Secret, with cert-manager's key names.
  set -- "$@" --tls-cert "$SHARDGRID_TLS_DIR/tls.crt" --tls-key "$SHARDGRID_TLS_DIR/tls.key" \
    --tls-ca "$SHARDGRID_TLS_DIR/ca.crt" --tls-client-auth "${SHARDGRID_TLS_CLIENT_AUTH:-none}"
fi

if [ "${SHARDGRID_DRY_RUN:-0}" = "1" ]; then
  printf '%s\n' "$@"
  exit 0
fi
# shellcheck disable=SC2086 # JAVA_OPTS and JAVA_FLAGS are lists of JVM flags
exec java ${JAVA_OPTS:-} $JAVA_FLAGS -cp "$(classpath)" io.shardgrid.server.GridMain "$@"
