#!/bin/sh
# run.sh BUILD_DIR SOURCE_DIR WORK_DIR: install plugsup from BUILD_DIR into a
# fresh prefix and build tests/install/consumer.c against it four ways;
# check that pkg-config and the CMake package name the worker; then move
# the installed tree and prove that the library, shared and static, still
# finds its own worker there.
set -eu
build=$1 src=$2 work=$3
rm -rf "$work"
prefix=$work/prefix
mkdir -p "$work"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"

step() { echo "install test: $*"; }
fail() { echo "install test FAILED: $*" >&2; exit 1; }

for f in include/plugsup.h bin/plugsup libexec/plugsup/plugsup-worker \
         libexec/plugsup/plugsup-http; do
  [ -e "$prefix/$f" ] || fail "missing $f"
done
libdir=$(ls -d "$prefix"/lib*/ | head -n 1)
[ -e "$libdir/libplugsup.a" ] || fail "missing libplugsup.a"
soname=$(readelf -d "$libdir/libplugsup.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = "libplugsup.so.0" ] || fail "SONAME is '$soname', expected libplugsup.so.0"

export PKG_CONFIG_PATH=$libdir/pkgconfig
step "pkg-config, shared"
${CC:-cc} ${CFLAGS:-} "$src/consumer.c" -o "$work/pc_shared" $(pkg-config --cflags --libs plugsup) \
  -Wl,-rpath,"$libdir"
"$work/pc_shared" | grep -q "consumer linked against plugsup" || fail "pc_shared"
step "pkg-config, static"
${CC:-cc} ${CFLAGS:-} "$src/consumer.c" -o "$work/pc_static" $(pkg-config --cflags plugsup) \
  "$libdir/libplugsup.a" $(pkg-config --libs-only-l --static plugsup | sed 's/-lplugsup//')
"$work/pc_static" | grep -q "consumer linked against plugsup" || fail "pc_static"
ldd "$work/pc_static" | grep -q libplugsup && fail "pc_static links libplugsup.so"

step "find_package, shared and static"
cmake -S "$src/consumer-cmake" -B "$work/cm" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="${CC:-cc}" >"$work/cm.log"
cmake --build "$work/cm" >>"$work/cm.log"
"$work/cm/consumer_shared" | grep -q "consumer linked" || fail "cmake shared"
"$work/cm/consumer_static" | grep -q "consumer linked" || fail "cmake static"
ldd "$work/cm/consumer_shared" | grep -q "libplugsup.so.0" || fail "cmake shared is not shared"

worker=$(realpath "$prefix/libexec/plugsup/plugsup-worker")
step "the worker's path: pkg-config --variable=worker, PLUGSUP_WORKER_PATH, plugsup::worker"
[ "$(realpath "$(pkg-config --variable=worker plugsup)")" = "$worker" ] \
  || fail "pkg-config worker is '$(pkg-config --variable=worker plugsup)'"
while read -r named; do
  [ "$(realpath "$named")" = "$worker" ] || fail "CMake package names the worker '$named'"
done <"$work/cm/worker-path.txt"
[ "$(wc -l <"$work/cm/worker-path.txt")" -eq 2 ] || fail "CMake package: no worker path"

# Programs inside the tree, so that they move with it: one links the static
# library (its worker is found from the program's own path), one the shared
# library, found through $ORIGIN (its worker is found from the library's).
step "the library finds its worker after the installed tree is moved"
librel=${libdir#"$prefix"/}
librel=${librel%/}
${CC:-cc} ${CFLAGS:-} "$src/consumer.c" -o "$prefix/bin/consumer_static" $(pkg-config --cflags plugsup) \
  "$libdir/libplugsup.a" $(pkg-config --libs-only-l --static plugsup | sed 's/-lplugsup//')
${CC:-cc} ${CFLAGS:-} "$src/consumer.c" -o "$prefix/bin/consumer_shared" $(pkg-config --cflags --libs plugsup) \
  -Wl,-rpath,"\$ORIGIN/../$librel"
moved=$work/moved/tree
mkdir -p "$work/moved"
mv "$prefix" "$moved"
[ ! -e "$prefix" ] || fail "the old prefix is still there"
# The moved worker leaves a mark, so a worker found anywhere else (the
# build's compile-time install path) cannot pass for it.
used=$work/worker-used
mv "$moved/libexec/plugsup/plugsup-worker" "$moved/libexec/plugsup/plugsup-worker.real"
printf '#!/bin/sh\necho used >>"%s"\nexec "$0.real" "$@"\n' "$used" \
  >"$moved/libexec/plugsup/plugsup-worker"
chmod +x "$moved/libexec/plugsup/plugsup-worker"
plugin=$build/examples/hello.wasm
[ -e "$plugin" ] || { plugin=$work/empty.wasm; printf '\0asm\1\0\0\0' >"$plugin"; }
for kind in static shared; do
  rm -f "$used"
  env -u PLUGSUP_WORKER "$moved/bin/consumer_$kind" "$plugin" >"$work/moved-$kind.out" 2>&1 \
    || { cat "$work/moved-$kind.out" >&2; fail "moved $kind consumer could not run a plugin"; }
  [ -e "$used" ] || fail "moved $kind consumer did not use the moved worker"
  grep -q "^outcome " "$work/moved-$kind.out" || fail "moved $kind consumer: no outcome"
done
ldd "$moved/bin/consumer_shared" | grep -q "$moved/bin/../$librel/libplugsup.so.0" \
  || fail "moved shared consumer does not load the moved library"
step "ok"
