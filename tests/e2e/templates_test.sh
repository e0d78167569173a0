#!/bin/sh
# templates_test.sh SOURCE_DIR: the skeletons 'plugsup new' writes
# (cli/templates/ABI.c.in) build, after their @NAME@ is replaced, with the
# command printed on their "** Build:" line, and the module has the exports
# of its ABI (docs/abi-*.md); process and tool modules import nothing.
# The C example of each docs/abi-ABI.md (its first ```c block) is held to
# the same checks.
# $CLANG, when set, replaces the line's leading "clang". Exit 77 (skipped)
# without a clang that targets wasm32-wasi, or without wasm-objdump.
set -u
src=$1
. "$(dirname "$0")/expect.sh"
clang=${CLANG:-clang}
name=demo_plugin

if ! command -v wasm-objdump >/dev/null 2>&1; then
  echo "SKIP: wasm-objdump not found (install wabt)"
  exit 77
fi
printf 'int main(void) { return 0; }\n' >"$tmp/probe.c"
if ! "$clang" --target=wasm32-wasi -o "$tmp/probe.wasm" "$tmp/probe.c" \
     >/dev/null 2>&1; then
  echo "SKIP: '$clang' cannot build wasm32-wasi programs (scripts/install-deps.sh)"
  exit 77
fi

# check NAME CONDITION...: counts one check, passed when CONDITION is true.
check() {
  label=$1
  shift
  count=$((count + 1))
  if "$@"; then
    echo "ok   $label"
  else
    failed=$((failed + 1))
    echo "FAIL $label"
  fi
}

has_export() { grep -q -- "-> \"$1\"\$" "$tmp/objdump"; }
no_imports() { ! grep -q '^Import\[' "$tmp/objdump"; }
built() {
  (cd "$tmp" && eval "$line") >"$tmp/log" 2>&1 || { cat "$tmp/log"; return 1; }
}

exports_process="memory alloc process"
exports_tool="memory plugin_name plugin_version plugin_description
  plugin_tools_count plugin_tool_name plugin_tool_description
  plugin_tool_execute"
exports_observe="memory _initialize allocate deallocate describe schema observe"

# check_module WHAT ABI FILE.c: FILE.c builds with its Build line (in
# $tmp) and the module has the ABI's exports.
check_module() {
  what=$1 abi=$2 file=$3
  line=$(sed -n 's/^\*\* Build: //p' "$file")
  check "$what: one build line" test "$(printf '%s\n' "$line" | grep -c .)" = 1
  line=$(printf '%s\n' "$line" | sed "s|^clang |$clang |")
  out=$(printf '%s\n' "$line" | sed -n 's/.*-o \([^ ]*\.wasm\).*/\1/p')
  rm -f "$tmp/$out"
  check "$what: builds with '$line'" built
  wasm-objdump -x "$tmp/$out" >"$tmp/objdump" 2>&1
  eval "want=\$exports_$abi"
  for e in $want; do
    check "$what: exports $e" has_export "$e"
  done
  if [ "$abi" != observe ]; then
    check "$what: imports nothing" no_imports
  fi
}

for abi in process tool observe; do
  sed "s/@NAME@/$name/g" "$src/cli/templates/$abi.c.in" >"$tmp/$name.c"
  check "$abi: no placeholder left" sh -c "! grep -q '@[A-Z_]*@' '$tmp/$name.c'"
  check_module "$abi" "$abi" "$tmp/$name.c"
  if [ "$abi" != process ]; then
    check "$abi: carries its name" grep -q "$name" "$tmp/$name.wasm"
  fi
done

for abi in process tool observe; do
  doc=$src/docs/abi-$abi.md
  awk '/^```c$/ { on = 1; next } on && /^```$/ { exit } on' "$doc" >"$tmp/doc.c"
  file=$(sed -n 's/^\*\* \([a-z_]*\.c\): .*/\1/p' "$tmp/doc.c")
  check "docs/abi-$abi.md: a C example with its file name" test -n "$file"
  cp "$tmp/doc.c" "$tmp/${file:-doc.c}"
  check_module "docs/abi-$abi.md" "$abi" "$tmp/${file:-doc.c}"
done

expect_summary templates_test
