#!/usr/bin/env bash
# The workspace's tests, on a fresh machine too: installs the Debian package redis-server when
# `redis-server` is missing (the concord-redis tests start their own servers), then runs
# `cargo test --workspace --all-features` with any further arguments.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server is missing: installing the Debian package redis-server" >&2
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get is not available; install the package redis-server (or a redis-server" >&2
    echo "       binary on PATH) yourself, then run this script again" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "error: installing redis-server needs root, and sudo is not available" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  if ! { "${sudo[@]}" apt-get update && "${sudo[@]}" apt-get install -y redis-server; }; then
    echo "error: could not install the Debian package redis-server" >&2
    exit 1
  fi
  # The package starts a system-wide server on port 6379; the tests start their own on free
  # ports and do not use it.
fi

cargo test --workspace --all-features "$@"
