#!/bin/sh
# Several Python versions installed side by side in one prefix
# (docs/building.md): for each, the one installed `pikos` runs a program in
# that interpreter, with that version's libpikos, boot module and external
# monitors; a Python version that is not installed is named, with how to
# build pikos for it, and the program does not start.
#
#   tests/install/side_by_side.sh PREFIX PYTHON... [-- NOT_INSTALLED_PYTHON]
set -eu
prefix=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset PIKOS_PLUGIN_PATH PIKOS_BOOT_DIR PIKOS_TOOLS PIKOS_NO_DEFAULT_PATH PIKOS_PYTHON

fail() {
    echo "side_by_side.sh: $*" >&2
    exit 1
}

cat >"$work/app.py" <<'PY'
import sys


def f():
    return 1


f()
print("%d.%d" % sys.version_info[:2], sys.executable)
PY

check_installed() {
    python=$1
    expected=$("$python" "$work/app.py")
    got=$("$prefix/bin/pikos" --python "$python" --plugin recorders/csv \
        -o "$work/calls.csv" "$work/app.py")
    [ "$got" = "$expected" ] || fail "$python: '$got' is not '$expected'"
    grep -q "^1,call,f,4,$work/app.py" "$work/calls.csv" ||
        fail "$python: no call of f in $(cat "$work/calls.csv")"
    "$prefix/bin/pikos" --python "$python" --plugin external/cprofile \
        --plugin recorders/csv -o "$work/stats.csv" "$work/app.py" >/dev/null
    grep -q "^f,$work/app.py,4,1," "$work/stats.csv" ||
        fail "$python: external/cprofile gave $(cat "$work/stats.csv")"
    version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    suffix=$("$python" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
    ldd "$prefix/lib/pikos/boot/sitecustomize$suffix" |
        grep -q "libpikos-$version.so" ||
        fail "$python: the boot module does not use libpikos-$version"
    echo "side by side: $python (Python $version) runs under $prefix/bin/pikos"
}

check_not_installed() {
    python=$1
    status=0
    out=$("$prefix/bin/pikos" --python "$python" "$work/app.py" 2>"$work/err") ||
        status=$?
    [ "$status" = 2 ] || fail "$python: status $status, not 2"
    [ -z "$out" ] || fail "$python: the program ran: $out"
    [ "$(wc -l <"$work/err")" = 1 ] || fail "$python: $(cat "$work/err")"
    grep -q "^pikos: $python is Python .*, which this pikos was not built for .*configure PYTHON=$python" \
        "$work/err" || fail "$python: $(cat "$work/err")"
    echo "side by side: $python (not installed) is refused in one line"
}

while [ $# -gt 0 ]; do
    if [ "$1" = "--" ]; then
        shift
        for python in "$@"; do check_not_installed "$python"; done
        break
    fi
    check_installed "$1"
    shift
done
