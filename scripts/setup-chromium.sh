#!/usr/bin/env bash
# Installs Debian's chromium for the browser test (test/browser/*.test.ts drives it headless with
# playwright-core; no browser download). Idempotent and quiet when chromium is already there.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

echo "setup-chromium: installing chromium" >&2
# Another apt run (e.g. setup-lavapipe.sh in a parallel job) may hold the lock: wait for it.
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium >/dev/null

command -v chromium >/dev/null 2>&1 || { echo "setup-chromium: chromium still missing after install" >&2; exit 1; }
