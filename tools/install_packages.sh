#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are not installed yet: apt-get
# update, then apt-get install -y. As root it calls apt-get directly (containers, fresh machines
# without sudo); as another user through sudo, and fails with a message when there is no sudo.
# Usage: tools/install_packages.sh PACKAGE...
set -euo pipefail

missing=""
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "install_packages: missing packages:$missing; run as root or install sudo" >&2
    exit 1
  }
  sudo=sudo
fi
echo "== installing:$missing"
$sudo apt-get update -qq
# Through env, so that sudo's env_reset does not drop DEBIAN_FRONTEND.
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
