#!/bin/sh
# Tests of the Python API: pytest on tests/python, run by the configured
# interpreter ($PIKOS_PYTHON) on the staged package
# ($PIKOS_BUILDDIR/python/stage), with the environment `make check`
# exports.  When that interpreter has no pytest, Debian's pure-Python
# pytest is lent to it through a directory of symlinks in the build tree.
# Nothing is written into the source tree.
srcdir=${PIKOS_SRCDIR:?run with make check (PIKOS_SRCDIR is not set)}
builddir=${PIKOS_BUILDDIR:?run with make check (PIKOS_BUILDDIR is not set)}
python=${PIKOS_PYTHON:?run with make check (PIKOS_PYTHON is not set)}

pythonpath=$builddir/python/stage
quiet=
if ! "$python" -c 'import pytest' 2>/dev/null; then
    lent=$builddir/tests/python/lent-pytest
    dist=/usr/lib/python3/dist-packages
    rm -rf "$lent" && mkdir -p "$lent" || exit 99
    for name in pytest _pytest pluggy iniconfig packaging py.py attr attrs; do
        if test -e "$dist/$name"; then
            ln -s "$dist/$name" "$lent/$name" || exit 99
        fi
    done
    pythonpath=$pythonpath:$lent
    # Debian's pytest is older than Python 3.12's ast; its own warnings
    # about that are not ours to see.
    quiet="-W ignore::DeprecationWarning:_pytest.assertion.rewrite"
    if ! PYTHONPATH=$pythonpath "$python" -c 'import pytest' 2>/dev/null; then
        echo "run-tests.sh: $python has no pytest, and Debian's does not" \
            "import in it: apt-get install -y python3-pytest" >&2
        exit 99 # a hard error for the test driver, not a skip
    fi
fi

# A sanitizer build (./configure --enable-sanitizers): the interpreter is
# not built with ASan, so its runtime must be loaded first; CPython's own
# allocations at exit are not leaks of ours.
asan=$(ldd "$builddir/python/stage/pikos/_pikos.so" 2>/dev/null |
    awk '/libasan/ { print $3 }')
if test -n "$asan"; then
    LD_PRELOAD=$asan${LD_PRELOAD:+:$LD_PRELOAD}
    ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
    export LD_PRELOAD ASAN_OPTIONS
fi

PYTHONPATH=$pythonpath${PYTHONPATH:+:$PYTHONPATH}
PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH PYTHONDONTWRITEBYTECODE
exec "$python" -m pytest -q -p no:cacheprovider $quiet \
    --rootdir="$srcdir/tests/python" "$srcdir/tests/python"
