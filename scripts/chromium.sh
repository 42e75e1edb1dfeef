#!/usr/bin/env bash
# Makes sure Debian's Chromium and ChromeDriver are installed, for the
# browser tests of the web admin (crates/scimd/tests/api/ui.rs): installs
# the packages chromium and chromium-driver when either is missing (as
# root, with apt-get). No tool downloads a browser of its own.
#
#   scripts/chromium.sh        # by hand, or from scripts/test.sh
set -euo pipefail

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "Chromium is not installed: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)" >&2
    exit 1
fi
echo "== installing Chromium and ChromeDriver (Debian packages)" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >&2
