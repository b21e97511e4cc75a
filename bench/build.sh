#!/bin/sh
# bench/build.sh DIR: builds the benchmark programs into DIR with the flags
# every figure is taken with (bench/run.sh, tools/bench-check.sh). The
# Makefile passes SRC and INCFLAGS from mk/sources.mk.
set -e
B=${1:?usage: bench/build.sh DIR}
mkdir -p "$B"
CFLAGS="-std=c11 -O2 -g -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -pthread"
LUAINC=$(pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
LUALIB=$(pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)
for prog in bench_same bench_cross bench_roundtrip; do
  # shellcheck disable=SC2086
  ${CC:-cc} $CFLAGS $LUAINC $INCFLAGS -o "$B/$prog" "bench/$prog.c" $SRC $LUALIB -lm
done
${CC:-cc} -O2 -shared -fPIC -o "$B/libffiloop.so" bench/ffiloop.c
