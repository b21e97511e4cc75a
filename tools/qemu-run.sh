#!/bin/sh
# Runs an i386 Linux program under qemu-i386 (this kernel runs no 32-bit
# code itself), its exit status kept, with no core file and a deadline: a
# call made with the wrong convention can hang instead of crashing.
# Anything but an ELF program (a script that checks the build) runs as it
# is, so that make x86 can give every suite this one wrapper.
# Usage: qemu-run.sh program [argument...]   (QEMU_TIMEOUT: seconds, 300)
prog=${1:?usage: qemu-run.sh program [argument...]}
case $(head -c 4 "$prog" | od -An -c | tr -d ' ') in
  177ELF) ;;
  *) exec sh "$@" ;;
esac
# shellcheck disable=SC3045
ulimit -c 0 2>/dev/null  # dash and bash have it; POSIX leaves -c out
exec timeout "${QEMU_TIMEOUT:-300}" qemu-i386 "$@"
