#!/bin/sh
# make_corpus.sh SRCDIR OUTDIR [SPECDIR]: the seed corpus of the interpreter
# harnesses, written to OUTDIR (in the build tree; .wasm is never committed).
#   - every .wat under SRCDIR/tests and SRCDIR/examples, through wat2wasm;
#   - every .wat under SRCDIR/fuzz/seeds, with its "args" custom section;
#   - every binary module of the spec suite's scripts, SIMD ones included,
#     through wast2json (valid modules and the malformed/invalid ones alike).
# Duplicates (by SHA-1) collapse into one file.
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

# wast2json writes each script's modules beside its JSON, as
# spec-NAME.N.wasm; the JSON and the text modules go. No process per
# module here or below: with the SIMD scripts there are over 4500, and a
# mv or cp for each took minutes on a loaded machine.
if [ -n "$spec" ] && [ -d "$spec" ]; then
  for wast in "$spec"/*.wast; do
    "$WAST2JSON" "$wast" -o "$tmp/wasm/spec-$(basename "$wast" .wast).json" \
        2>/dev/null || true
  done
  find "$tmp/wasm" -type f ! -name '*.wasm' -exec rm -f {} +
fi

# Of the files with one SHA-1 the first stays.
cd "$tmp/wasm"
ls | xargs -r sha1sum | awk 'seen[$1]++ { print $2 }' | xargs -r rm -f
ls | xargs -r mv -t "$out"
echo "seed corpus: $(ls "$out" | wc -l) files in $out"
