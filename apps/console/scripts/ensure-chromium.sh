#!/usr/bin/env bash
# Installs Debian's chromium for the console's end-to-end tests (driven by playwright-core, which downloads
# no browser of its own). Idempotent: does nothing when chromium is already on PATH.
set -euo pipefail
command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
chromium --version
