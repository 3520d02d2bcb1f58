#!/bin/sh
# End-to-end tests of the pikos command: pytest on tests/cli, with the
# environment `make check` exports (PIKOS_BIN, PIKOS_PYTHON, ...).
# pytest runs with /usr/bin/python3, or with the configured interpreter
# when that one has no pytest; the tests themselves run PIKOS_PYTHON.
srcdir=${PIKOS_SRCDIR:?run with make check (PIKOS_SRCDIR is not set)}

runner=
for python in /usr/bin/python3 "$PIKOS_PYTHON"; do
    if "$python" -c 'import pytest' 2>/dev/null; then
        runner=$python
        break
    fi
done
if test -z "$runner"; then
    echo "run-tests.sh: no pytest: apt-get install -y python3-pytest" >&2
    exit 99 # a hard error for the test driver, not a skip
fi

# A sanitizer build (./configure --enable-sanitizers): the interpreters the
# pikos command starts are not built with ASan, and load pikos's boot
# module, which is: ASan's runtime must come first in every process (the
# programs compared with python3 then see the same environment either way);
# CPython's own allocations at exit are not leaks of ours, and fatal signals
# keep their own actions (the tests of crashes compare them with python3's).
asan=$(ldd "$PIKOS_BUILDDIR"/python/boot/stage/sitecustomize*.so 2>/dev/null |
    awk '/libasan/ { print $3; exit }')
if test -n "$asan"; then
    LD_PRELOAD=$asan${LD_PRELOAD:+:$LD_PRELOAD}
    ASAN_OPTIONS=detect_leaks=0:handle_segv=0:handle_sigbus=0:handle_abort=0:handle_sigfpe=0:handle_sigill=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
    export LD_PRELOAD ASAN_OPTIONS
fi

# Nothing is written into the source tree (no cache, no bytecode).
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
exec "$runner" -m pytest -q -p no:cacheprovider --rootdir="$srcdir/tests/cli" \
    "$srcdir/tests/cli"
