#!/usr/bin/env bash
# Packaging test: install a built tree into a temporary prefix, then build and run a
# consumer of it twice, through pkg-config and through find_package(europa).
#
#   tests/packaging/run.sh <build-dir> [expected-version]
#
# Registered in CTest as "packaging". Every step must pass; the first failure stops the
# script with a message naming the step.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
builddir=${1:?usage: run.sh <build-dir> [expected-version]}
expect=${2:-}
builddir=$(cd "$builddir" && pwd)
cc=${CC:-cc}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/europa-packaging.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

step() { printf '\n=== packaging: %s\n' "$*"; }
fail() { printf '\npackaging: FAILED: %s\n' "$*" >&2; exit 1; }

check_version() { # <what> <output>
    local what=$1 out=$2
    [[ -n $out ]] || fail "$what printed nothing"
    if [[ -n $expect && $out != "$expect" ]]; then
        fail "$what printed '$out', expected '$expect'"
    fi
    echo "$what: eu_version() = $out"
}

step "install $builddir into $prefix"
cmake --install "$builddir" --prefix "$prefix" || fail "cmake --install"

pcfile=$(find "$prefix" -name europa.pc -path '*/pkgconfig/*' | head -n 1)
[[ -n $pcfile ]] || fail "no europa.pc under $prefix"
pcdir=$(dirname "$pcfile")
for f in include/europa/europa.h include/europa/abi.h; do
    [[ -f $prefix/$f ]] || fail "$f was not installed"
done
find "$prefix" -name 'libeuropa.so.*' | grep -q . || fail "libeuropa.so.* was not installed"
find "$prefix" -name 'libeuropa.a' | grep -q . || fail "libeuropa.a was not installed"
find "$prefix" -name 'europaConfig.cmake' | grep -q . || fail "europaConfig.cmake was not installed"

step "pkg-config build ($pcfile)"
cat "$pcfile"
# Ask for the flags on their own first, so a broken .pc file fails here, visibly.
flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs europa) || fail "pkg-config --cflags --libs europa"
echo "flags: $flags"
libdir=$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=libdir europa) || fail "pkg-config --variable=libdir"
# shellcheck disable=SC2046 # the flags are meant to split
"$cc" -Wall -Wextra -Werror -o "$tmp/consumer-pc" "$here/consumer.c" \
    $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs europa) || fail "compile consumer with pkg-config flags"
out=$(LD_LIBRARY_PATH=$libdir "$tmp/consumer-pc") || fail "run consumer-pc"
check_version "pkg-config consumer" "$out"

step "find_package build (CMAKE_PREFIX_PATH=$prefix)"
cmake -S "$here" -B "$tmp/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release || fail "configure consumer project"
cmake --build "$tmp/consumer-build" || fail "build consumer project"
# The CMake consumer carries an RPATH to the prefix: no LD_LIBRARY_PATH here.
out=$("$tmp/consumer-build/consumer") || fail "run consumer (europa::europa)"
check_version "find_package consumer (shared)" "$out"
out=$("$tmp/consumer-build/consumer_static") || fail "run consumer_static (europa::europa_static)"
check_version "find_package consumer (static)" "$out"
if ldd "$tmp/consumer-build/consumer_static" | grep -q 'libeuropa\.so'; then
    fail "consumer_static is linked to libeuropa.so instead of libeuropa.a"
fi

printf '\npackaging: OK\n'
