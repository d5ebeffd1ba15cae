#!/usr/bin/env bash
# The README's first command: installs the Debian packages the quickstart example needs (only
# those that are missing), then configures, builds and runs it. Works from any directory, as root
# without sudo (containers, fresh machines) or as a user with sudo; sudo is called only to install
# missing packages, and only when not root.
# Usage: tools/quickstart.sh
#        EVBUS_QUICKSTART_DIR=DIR tools/quickstart.sh   (build directory; default build/quickstart)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${EVBUS_QUICKSTART_DIR:-$root/build/quickstart}

packages="g++ cmake make libconcurrentqueue-dev libfmt-dev"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "quickstart: missing packages:$missing; run as root or install sudo" >&2
      exit 1
    }
    sudo=sudo
  fi
  echo "== installing:$missing"
  $sudo apt-get update -qq
  # Through env, so that sudo's env_reset does not drop DEBIAN_FRONTEND.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

echo "== configure: $build"
cmake -S "$root" -B "$build" -DEVBUS_BUILD_TESTS=OFF -DEVBUS_BUILD_BENCHMARKS=OFF >/dev/null
echo "== build: quickstart"
cmake --build "$build" --target quickstart
echo "== run: $build/examples/quickstart"
"$build/examples/quickstart"
