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

"$root/tools/install_packages.sh" g++ cmake make libconcurrentqueue-dev libfmt-dev

echo "== configure: $build"
cmake -S "$root" -B "$build" -DEVBUS_BUILD_TESTS=OFF -DEVBUS_BUILD_BENCHMARKS=OFF >/dev/null
echo "== build: quickstart"
cmake --build "$build" --target quickstart
echo "== run: $build/examples/quickstart"
"$build/examples/quickstart"
