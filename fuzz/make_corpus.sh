#!/bin/sh
# make_corpus.sh SRCDIR OUTDIR [SPECDIR]: the seed corpus of the interpreter
# harnesses, written to OUTDIR (in the build tree; .wasm is never committed).
#   - every .wat under SRCDIR/tests and SRCDIR/examples, through wat2wasm;
#   - every .wat under SRCDIR/fuzz/seeds, with its "args" custom section;
#   - every binary module of the spec suite's scripts, SIMD ones included,
#     through wast2json (valid modules and the malformed/invalid ones alike).
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
  "$WAT2WASM" --enable-all --no-check "$wat" \
      -o "$tmp/wasm/fixture-$n.wasm" 2>/dev/null || true
done

# octal_escapes HEX: the bytes as printf escapes ("ff00": "\377\000").
octal_escapes() {
  printf '%s' "$1" | awk '{
    for (i = 1; i < length($0); i += 2) {
      hi = index("0123456789abcdef", substr($0, i, 1)) - 1
      lo = index("0123456789abcdef", substr($0, i + 1, 1)) - 1
      printf "\\%03o", hi * 16 + lo
    }
  }'
}

# A seed's ";; args: HEX" lines are fuzz_exec's arguments, appended as the
# custom section "args" (this wat2wasm writes no @custom annotation): id 0,
# the size (one LEB128 byte, so at most 122 bytes of arguments), the name.
for wat in "$src"/fuzz/seeds/*.wat; do
  [ -e "$wat" ] || continue
  n=$((n + 1))
  f=$tmp/wasm/seed-$n.wasm
  "$WAT2WASM" --enable-all "$wat" -o "$f" ||
    { echo "make_corpus: $wat does not assemble" >&2; exit 1; }
  hex=$(sed -n 's/^;; args: //p' "$wat" | tr -d ' \n')
  len=$((${#hex} / 2))
  [ "$len" -eq 0 ] && continue
  [ "$len" -le 122 ] ||
    { echo "make_corpus: $wat: more than 122 bytes of args" >&2; exit 1; }
  printf "$(octal_escapes "00$(printf %02x $((len + 5)))04")args$(octal_escapes "$hex")" >>"$f"
done

if [ -n "$spec" ] && [ -d "$spec" ]; then
  mkdir -p "$tmp/spec"
  for wast in "$spec"/*.wast; do
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
