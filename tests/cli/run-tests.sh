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

# Nothing is written into the source tree (no cache, no bytecode).
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
exec "$runner" -m pytest -q -p no:cacheprovider --rootdir="$srcdir/tests/cli" \
    "$srcdir/tests/cli"
