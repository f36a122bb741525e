#!/usr/bin/env bash
# The workspace's tests, on a fresh machine too: installs the Debian package redis-server when
# `redis-server` is missing, and the Debian package postgresql when the PostgreSQL server
# programs are missing (the concord-redis and concord-postgres tests start their own servers),
# then runs `cargo test --workspace --all-features` with any further arguments.
set -euo pipefail
cd "$(dirname "$0")/.."

# Installs Debian package $1 with apt-get update + install (through sudo when not root).
apt_install() {
  local package=$1
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get is not available; install the package $package yourself, then run" >&2
    echo "       this script again" >&2
    exit 1
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "error: installing $package needs root, and sudo is not available" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  if ! { "${sudo[@]}" apt-get update && "${sudo[@]}" apt-get install -y "$package"; }; then
    echo "error: could not install the Debian package $package" >&2
    exit 1
  fi
}

# Whether one directory has every PostgreSQL program the concord-postgres tests run, looked
# up as they do: $CONCORD_PG_BIN, the PATH, then /usr/lib/postgresql/*/bin.
postgres_present() {
  local dir program found
  local IFS=:
  for dir in ${CONCORD_PG_BIN:-} $PATH /usr/lib/postgresql/*/bin; do
    [ -n "$dir" ] || continue
    found=1
    for program in initdb pg_ctl postgres pg_basebackup; do
      [ -x "$dir/$program" ] || { found=0; break; }
    done
    [ "$found" -eq 1 ] && return 0
  done
  return 1
}

if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server is missing: installing the Debian package redis-server" >&2
  apt_install redis-server
  # The package starts a system-wide server on port 6379; the tests start their own on free
  # ports and do not use it.
fi

if ! postgres_present; then
  echo "the PostgreSQL server programs are missing: installing the Debian package postgresql" >&2
  apt_install postgresql
  # The package may start a system-wide cluster on port 5432; the tests start their own on
  # free ports and do not use it.
fi

cargo test --workspace --all-features "$@"
