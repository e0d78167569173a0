#!/bin/sh
# make_corpus.sh SRCDIR OUTDIR [SPECDIR]: the seed corpus of the interpreter
# harnesses, written to OUTDIR (in the build tree; .wasm is never committed).
#   - every .wat under SRCDIR/tests and SRCDIR/examples, through wat2wasm;
#   - every binary module of the spec suite's non-SIMD scripts, through
#     wast2json (valid modules and the malformed/invalid ones alike).
# Files are named by their SHA-1, so duplicates collapse.
set -eu
src=$1
out=$2
spec=${3:-}
WAT2WASM=${WAT2WASM:-wat2wasm}
WAST2JSON=${WAST2JSON:-wast2json}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$out" "$tmp/wasm"

n=0
for wat in $(find "$src/tests" "$src/examples" -name '*.wat' 2>/dev/null | sort); do
  n=$((n + 1))
  # A fixture that does not assemble is not worth failing the corpus for.
  "$WAT2WASM" --enable-all --disable-simd --no-check "$wat" \
      -o "$tmp/wasm/fixture-$n.wasm" 2>/dev/null || true
done

if [ -n "$spec" ] && [ -d "$spec" ]; then
  mkdir -p "$tmp/spec"
  for wast in "$spec"/*.wast; do
    case $(basename "$wast") in simd_*) continue ;; esac
    "$WAST2JSON" "$wast" -o "$tmp/spec/$(basename "$wast" .wast).json" \
        2>/dev/null || true
  done
  for f in "$tmp/spec"/*.wasm; do
    [ -e "$f" ] && mv "$f" "$tmp/wasm/spec-$(basename "$f")"
  done
fi

cd "$tmp/wasm"
ls | xargs -r sha1sum | while read -r sum name; do
  cp "$name" "$out/$sum"
done
echo "seed corpus: $(ls "$out" | wc -l) files in $out"
