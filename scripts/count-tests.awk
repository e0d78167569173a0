# Sum test cases over a ctest JUnit file. A Criterion binary reports its
# cases on a "Synthesis" line, the WASI test suite's runner its programs on
# a "wasi-testsuite: N passed, N failed" line; any other test counts as one
# case. A test that failed although its cases passed (a sanitizer report
# at exit, a crash before the summary) counts one failure more. The spec
# runner's and the WASI runner's closing lines are echoed first, so their
# counts show.
function field(s, key,   t) {
  t = s; sub(".*" key ": *", "", t); sub(/[^0-9].*/, "", t); return t + 0
}
/<testcase / {
  incase = 1; synth = 0; cfail = 0
  fail = ($0 ~ /status="fail"/)
  skip = ($0 ~ /status="(notrun|disabled)"/)
  match($0, /name="[^"]*"/); name = substr($0, RSTART + 6, RLENGTH - 7)
}
incase && /Synthesis: Tested:/ {
  synth = 1
  passed += field($0, "Passing")
  cfail = field($0, "Failing") + field($0, "Crashing")
  failed += cfail
}
incase && /^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/ { lines[name] = $0 }
incase && /^wasi-testsuite: [0-9]+ passed, [0-9]+ failed$/ {
  synth = 1
  split($0, w, " ")
  passed += w[2]
  cfail = w[4] + 0
  failed += cfail
  lines[name] = $0
}
/<\/testcase>/ {
  incase = 0
  if (skip) skipped++
  else if (!synth) { if (fail) failed++; else passed++ }
  else if (fail && cfail == 0) failed++
}
END {
  for (n in lines) printf "%s: %s\n", n, lines[n]
  printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped
}
