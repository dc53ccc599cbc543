#!/usr/bin/env bash
# The README's test command. Installs what the tests need that npm does not (Go tools, Debian's
# Chromium for the end-to-end tests, Debian's nginx for tests/production), builds the web app the
# way `npm start` does (only when its sources changed), then runs every vitest suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the end-to-end tests…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: install it with 'sudo apt-get install -y chromium'" >&2
    exit 1
  fi
fi

# tests/production runs the real nginx.conf. Only the binary and its modules are used: the tests
# start their own nginx on loopback ports and never touch the system service.
if ! [ -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's nginx for the production tests…"
    apt-get update -qq
    # A policy-rc.d (if there is none yet) keeps the package from starting a system nginx on :80.
    own_policy=
    if ! [ -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
    # Brotli where the distribution has the module; nginx.conf's tests enable it only if installed.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libnginx-mod-http-brotli-filter >/dev/null 2>&1 ||
      echo "(no brotli module for nginx here; gzip only)"
    if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
  else
    echo "nginx is missing: install it with 'sudo apt-get install -y nginx'" >&2
    exit 1
  fi
fi

npx tsx scripts/tools.ts
npx tsc -p .
npx tsx scripts/web-build.ts
npx vitest run "$@"
