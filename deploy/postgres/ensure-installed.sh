#!/usr/bin/env bash
# Installs Debian's PostgreSQL server if it is missing: the test suite starts a throwaway
# server from it (tests/postgres.py) to run the notifier's tests on PostgreSQL as on SQLite.
# The tests start and stop their own server; nothing here starts one.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "PostgreSQL is missing: install Debian's 'postgresql' package (as root) and re-run" >&2
    exit 1
fi
echo "installing PostgreSQL (Debian package) for the notifier's tests"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
