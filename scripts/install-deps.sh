#!/usr/bin/env bash
# Install the Debian 12 packages plugsup needs to build, test, fuzz and
# benchmark. Idempotent: installs only what is missing, runs
# `apt-get update` at most once, and does nothing when all is present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  clang lld llvm libclang-rt-14-dev           # sanitizers, libFuzzer
  wasi-libc libclang-rt-14-dev-wasm32         # clang --target=wasm32-wasi
  wabt binaryen                               # wat2wasm, wast2json, wasm-interp, wasm-opt
  libseccomp-dev                              # worker sandbox
  libprotobuf-c-dev protobuf-c-compiler       # supervisor <-> worker frames
  libcriterion-dev                            # tests
  libjansson-dev                              # policy files, --json output
  libc-ares-dev libssl-dev                    # network host calls: DNS, TLS
  libcurl4-openssl-dev openssl ca-certificates # plugsup-http; TLS in tests
  python3                                     # the WASI test suite's runner
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
