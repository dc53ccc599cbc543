#!/usr/bin/env bash
# The README's test command. Installs what the tests need that npm does not (Go tools, Debian's
# Chromium for the end-to-end tests), builds the web app, then runs every vitest suite.
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

npx tsx scripts/tools.ts
npx tsc -p .
npx vite build --logLevel warn
npx vitest run "$@"
