#!/usr/bin/env bash
# Make sure the headless Chromium that the portal's browser tests drive is installed: Debian's
# `chromium` package at /usr/bin/chromium (or $RECOGNIZE_CHROMIUM), with apt-get when missing
# (see scripts/apt-ensure.sh).
exec "$(dirname "$0")/apt-ensure.sh" "${RECOGNIZE_CHROMIUM:-/usr/bin/chromium}" chromium \
  "the portal's browser tests"
