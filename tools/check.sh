#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs missing Debian packages, then builds and
# runs every configuration: the API reference (Doxygen, any warning fails), C++17 and C++20
# with -Werror (plus examples, benchmarks and the consumer checks), clang 14 (C++20, -Werror,
# -Wshadow), ASan+UBSan, ThreadSanitizer, -fno-exceptions -fno-rtti, and the libFuzzer targets of
# fuzz/ (clang 14, ASan+UBSan, EVBUS_FUZZ_SECONDS each, 10 by default).
# Usage: tools/check.sh [configuration...]
#        (default: all; names: docs cxx17 cxx20 clang asan tsan noexcept fuzz)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${EVBUS_CHECK_DIR:-$root/build/check}
jobs=${EVBUS_JOBS:-$(nproc)}

"$root/tools/install_packages.sh" g++ cmake make libconcurrentqueue-dev libfmt-dev catch2 libbenchmark-dev \
  libboost-dev doxygen clang-14 libclang-rt-14-dev nats-server libnats-dev pkg-config openssl \
  libreaderwriterqueue-dev libatomic-queue-dev

run_config() {
  local name=$1; shift
  local dir="$out/$name"
  echo "== $name: configure"
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; return 1; }
  echo "== $name: build"
  cmake --build "$dir" -j "$jobs" >"$dir.build.log" 2>&1 || { cat "$dir.build.log"; return 1; }
  echo "== $name: test"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600)
}

mkdir -p "$out"
configs=${*:-docs cxx17 cxx20 clang asan tsan noexcept fuzz}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
for c in $configs; do
  case $c in
    docs) echo "== docs: doxygen"; "$root/tools/doxygen.sh" "$out/doxygen" ;;
    cxx17) run_config cxx17 -DCMAKE_CXX_STANDARD=17 -DEVBUS_WERROR=ON -DEVBUS_BUILD_BENCHMARKS=ON ;;
    cxx20) run_config cxx20 -DCMAKE_CXX_STANDARD=20 -DEVBUS_WERROR=ON -DEVBUS_BUILD_BENCHMARKS=OFF \
             -DEVBUS_CONSUMER_TESTS=OFF ;;
    clang) run_config clang -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_CXX_STANDARD=20 -DEVBUS_WERROR=ON -DCMAKE_CXX_FLAGS=-Wshadow \
             -DEVBUS_BUILD_BENCHMARKS=OFF -DEVBUS_CONSUMER_TESTS=OFF ;;
    asan) run_config asan -DEVBUS_SANITIZE=address -DEVBUS_WERROR=ON -DEVBUS_BUILD_BENCHMARKS=OFF ;;
    tsan) run_config tsan -DEVBUS_SANITIZE=thread -DEVBUS_WERROR=ON -DEVBUS_BUILD_BENCHMARKS=OFF ;;
    noexcept) run_config noexcept -DEVBUS_NO_EXCEPTIONS=ON -DEVBUS_NO_RTTI=ON -DEVBUS_WERROR=ON \
                -DEVBUS_BUILD_BENCHMARKS=OFF -DEVBUS_CONSUMER_TESTS=OFF ;;
    fuzz) run_config fuzz -DCMAKE_CXX_COMPILER=clang++-14 -DEVBUS_FUZZ=ON -DEVBUS_WERROR=ON \
            -DEVBUS_FUZZ_SECONDS="${EVBUS_FUZZ_SECONDS:-10}" -DEVBUS_BUILD_TESTS=OFF -DEVBUS_BUILD_EXAMPLES=OFF \
            -DEVBUS_BUILD_BENCHMARKS=OFF ;;
    *) echo "unknown configuration '$c'" >&2; exit 2 ;;
  esac
done
echo "== all configurations passed: $configs"
