#!/usr/bin/env bash
# Make sure the headless Chromium that the portal's browser tests drive is installed: Debian's
# `chromium` package at /usr/bin/chromium (or $RECOGNIZE_CHROMIUM). When it is missing and we
# are root (or may sudo without a password), install it with apt-get, updating the package
# lists first only if the plain install fails. Otherwise say why and go on: the browser tests
# then skip with that reason, or fail with CI=true.
set -uo pipefail

CHROMIUM=${RECOGNIZE_CHROMIUM:-/usr/bin/chromium}

say() { echo "chromium: $*" >&2; }

[ -x "$CHROMIUM" ] && exit 0

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  say "$CHROMIUM is missing and we are not root; install it with: sudo apt-get install chromium"
  exit 0
fi
command -v apt-get >/dev/null || {
  say "$CHROMIUM is missing and there is no apt-get here; install Chromium by hand"; exit 0; }

apt_install() {
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

say "installing chromium with apt-get (for the portal's browser tests)"
if ! apt_install 2>/dev/null; then
  "${as_root[@]}" apt-get update -qq >/dev/null 2>&1
  apt_install || { say "apt-get could not install chromium"; exit 0; }
fi
[ -x "$CHROMIUM" ] || say "chromium was installed but $CHROMIUM is still missing"
