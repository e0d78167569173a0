#!/bin/sh
# run.sh BUILD_DIR SOURCE_DIR WORK_DIR: install plugsup from BUILD_DIR into a
# fresh prefix and build tests/install/consumer.c against it four ways.
set -eu
build=$1 src=$2 work=$3
rm -rf "$work"
prefix=$work/prefix
mkdir -p "$work"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"

step() { echo "install test: $*"; }
fail() { echo "install test FAILED: $*" >&2; exit 1; }

for f in include/plugsup.h bin/plugsup libexec/plugsup/plugsup-worker; do
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
step "ok"
