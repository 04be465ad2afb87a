#!/usr/bin/env bash
# Headless Chromium for the browser tests (Debian packages chromium and chromium-driver).
# Idempotent: installs only when /usr/bin/chromium or /usr/bin/chromedriver is missing, and runs
# apt-get update first only then. Needs root (or sudo) the first time; never downloads a browser
# or a driver from anywhere but the distribution's repositories.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: apt-get not found; install Chromium and its driver as" \
       "/usr/bin/chromium and /usr/bin/chromedriver" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "ensure-chromium: run as root (or install sudo) to install chromium" >&2
    exit 1
  fi
fi
echo "ensure-chromium: installing chromium and chromium-driver (apt-get)" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
  chromium chromium-driver >/dev/null
test -x /usr/bin/chromium && test -x /usr/bin/chromedriver
