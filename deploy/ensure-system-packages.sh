#!/usr/bin/env bash
# Installs the Debian packages the test suite runs for real if they are missing:
# - postgresql: the tests start a throwaway server (tests/postgres.py) to run the notifier's
#   tests on PostgreSQL as on SQLite;
# - prometheus: promtool checks and unit-tests the alert rules, and a test scrapes the services
#   with a real Prometheus server;
# - chromium and chromium-driver: the console's browser tests (tests/browser/) drive Debian's
#   headless Chromium through Debian's chromedriver; nothing downloads a browser;
# - fonts-noto-core: the Devanagari font the console serves for Hindi and Marathi (the console's
#   browser test checks that it loads; `make up` uses it too when installed).
# The tests start and stop their own servers; nothing here starts one.
set -euo pipefail
missing=()
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
command -v promtool >/dev/null && command -v prometheus >/dev/null || missing+=(prometheus)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
[[ -f /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ]] || missing+=(fonts-noto-core)
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "missing Debian packages: ${missing[*]}; install them (as root) and re-run" >&2
    exit 1
fi
echo "installing Debian packages for the tests: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
