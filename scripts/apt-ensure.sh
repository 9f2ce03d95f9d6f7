#!/usr/bin/env bash
# Make sure a Debian package that the integration tests drive is installed:
#   scripts/apt-ensure.sh BINARY PACKAGE PURPOSE
# When BINARY is missing and we are root (or may sudo without a password), install PACKAGE with
# apt-get, updating the package lists first only if the plain install fails. Otherwise say why
# and go on: the tests that need it then skip with that reason, or fail with CI=true.
set -uo pipefail

BINARY=$1 PACKAGE=$2 PURPOSE=$3

say() { echo "$PACKAGE: $*" >&2; }

[ -x "$BINARY" ] && exit 0

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  say "$BINARY is missing and we are not root; install it with: sudo apt-get install $PACKAGE"
  exit 0
fi
command -v apt-get >/dev/null || {
  say "$BINARY is missing and there is no apt-get here; install $PACKAGE by hand"; exit 0; }

apt_install() {
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$PACKAGE" >/dev/null
}

say "installing $PACKAGE with apt-get (for $PURPOSE)"
if ! apt_install 2>/dev/null; then
  "${as_root[@]}" apt-get update -qq >/dev/null 2>&1
  apt_install || { say "apt-get could not install $PACKAGE"; exit 0; }
fi
[ -x "$BINARY" ] || say "$PACKAGE was installed but $BINARY is still missing"
