# expect.sh: sourced by the CLI test scripts. Sets tmp (removed at exit),
# failed and count, and the checks expect and expect_grep; a script ends
# with expect_summary NAME.
tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp"; rm -rf "$tmp"' EXIT
failed=0 count=0

# shown TEXT: TEXT, or its first and last 300 bytes when it is longer.
shown() {
  if [ ${#1} -le 700 ]; then printf '%s' "$1"; return; fi
  printf '%s' "$1" | head -c 300
  printf '...(%s bytes)...' ${#1}
  printf '%s' "$1" | tail -c 300
}

# expect NAME STATUS STDOUT STDERR -- COMMAND...: exact comparison of all three.
expect() {
  name=$1 want_rc=$2 want_out=$3 want_err=$4
  shift 5
  count=$((count + 1))
  "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out") err=$(cat "$tmp/err")
  if [ "$rc" != "$want_rc" ] || [ "$out" != "$want_out" ] || [ "$err" != "$want_err" ]; then
    failed=$((failed + 1))
    printf 'FAIL %s\n  status %s (want %s)\n  stdout [%s]\n  want   [%s]\n  stderr [%s]\n  want   [%s]\n' \
      "$name" "$rc" "$want_rc" "$(shown "$out")" "$(shown "$want_out")" \
      "$(shown "$err")" "$(shown "$want_err")"
  else
    echo "ok   $name"
  fi
}

# expect_grep NAME STATUS PATTERN -- COMMAND...: status, and stdout+stderr match.
expect_grep() {
  name=$1 want_rc=$2 pattern=$3
  shift 4
  count=$((count + 1))
  "$@" >"$tmp/all" 2>&1
  rc=$?
  if [ "$rc" != "$want_rc" ] || ! grep -q -- "$pattern" "$tmp/all"; then
    failed=$((failed + 1))
    printf 'FAIL %s: status %s (want %s), output:\n' "$name" "$rc" "$want_rc"
    shown "$(cat "$tmp/all")"; echo
  else
    echo "ok   $name"
  fi
}

# expect_summary NAME: the closing line; fails the script if a check did.
expect_summary() {
  echo "$1: $((count - failed)) of $count passed"
  [ "$failed" = 0 ]
}
