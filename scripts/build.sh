#!/usr/bin/env bash
# build.sh [BUILD_DIR [CMAKE_ARGS...]]: install what is missing, configure
# and build. Default build dir: build/ (Release with debug info).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${1:-build}
shift || true
mkdir -p "$build"
log=$build/configure.log
cmake -S . -B "$build" -DPLUGSUP_WERROR=ON "$@" >"$log" 2>&1 || { cat "$log"; exit 1; }
grep -i "warning" -A3 "$log" || true
cmake --build "$build" -j"$(nproc)"
