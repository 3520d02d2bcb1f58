#!/bin/bash
# The installed layout, end to end: configure with a private prefix, make
# install, then
#   - the installed pikos finds its plugins, pikos-tools and its boot
#     directory with no environment variables (the prefix is the configured
#     one, so the compiled-in paths are right); the boot directory holds
#     sitecustomize<EXT_SUFFIX> and sitecustomize.py, no libtool leftovers;
#   - a program runs in the interpreter the user chose (PIKOS_PYTHON, the
#     PATH's python3 in a venv, --python) exactly as that interpreter runs it
#     alone; one pikos was not built for ends with status 2 and one error
#     line before the program starts;
#   - examples/plugins/count_calls builds with `pkg-config --cflags --libs
#     pikos` against the installed headers, the installed pikos-manifest
#     writes its manifest (equal to the hand-written one) and it runs
#     through PIKOS_PLUGIN_PATH,
#     with one monitor and with two of different schemas;
#   - docs/plugins.md's walkthrough monitor builds as printed, its manifest
#     is the one the page shows, and it records what an oracle sees;
#   - the installed Python package imports from the prefix's site directory
#     and monitors with the installed plugins, again with no PIKOS_* variable;
#   - `pip install --no-build-isolation PREFIX/share/pikos/python` in a
#     fresh venv without system site-packages gives a working package.
# Usage: tests/install/run.sh WORKDIR [PYTHON]
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$1
python=${2:-/usr/bin/python3}
prefix=$work/prefix
rm -rf "$work"
mkdir -p "$work/build"
fail() { echo "install test: FAIL: $*" >&2; exit 1; }

(cd "$work/build" && "$src/configure" -q --prefix="$prefix" PYTHON="$python" &&
    make -j"$(nproc)" >/dev/null && make install >/dev/null) ||
    fail "configure/make/make install"

for f in bin/pikos bin/pikos-run libexec/pikos/pikos-tools \
    include/pikos/plugin.h include/pikos/pikos.h \
    lib/pkgconfig/pikos.pc lib/pkgconfig/pikos-embed.pc \
    lib/pikos/plugins/monitors/functions.plugin \
    lib/pikos/plugins/recorders/csv.plugin; do
    [ -e "$prefix/$f" ] || fail "$f was not installed"
done

# The boot directory: the configured Python's build of sitecustomize and
# the fallback for the others; beside them only other versions' builds
# (sitecustomize.cpython-*), no libtool leftovers.
ext_suffix=$(sed -n 's/^PYTHON_EXT_SUFFIX = //p' "$work/build/Makefile")
[ -n "$ext_suffix" ] || fail "no PYTHON_EXT_SUFFIX in the build's Makefile"
boot=$prefix/lib/pikos/boot
for f in "sitecustomize$ext_suffix" sitecustomize.py; do
    [ -f "$boot/$f" ] || fail "$boot/$f was not installed"
done
for f in "$boot"/* "$boot"/.[!.]*; do
    [ -e "$f" ] || continue
    case ${f##*/} in
    sitecustomize.py | sitecustomize.cpython-*.so) ;;
    *) fail "$boot holds ${f##*/}, a leftover" ;;
    esac
done

# Every run of the installed pikos: none of the variables the test suite
# sets, so that only the compiled-in paths are used.
installed() {
    env -u PIKOS_PLUGIN_PATH -u PIKOS_NO_DEFAULT_PATH -u PIKOS_BOOT_DIR \
        -u PIKOS_TOOLS -u PIKOS_PYTHON -u PIKOS_BIN -u PYTHONPATH \
        -u PIKOS_SUPERVISOR_FD "$@"
}

installed "$prefix/bin/pikos" plugins >"$work/plugins.txt" 2>&1 ||
    fail "installed pikos plugins failed: $(cat "$work/plugins.txt")"
# The external monitors are the configured Python version's own.
python_version=$(sed -n 's/^PYTHON_VERSION = //p' "$work/build/Makefile")
[ -e "$prefix/lib/pikos/python$python_version/plugins/external/cprofile.plugin" ] ||
    fail "lib/pikos/python$python_version/plugins/external/cprofile.plugin was not installed"
for p in monitors/functions external/cprofile; do
    grep -q "$p" "$work/plugins.txt" || fail "installed pikos plugins does not list $p"
done

cat >"$work/app.py" <<'PY'
def work(n):
    return sum(i * i for i in range(n))

for _ in range(3):
    work(10)
PY

# No PIKOS_* variable: the compiled-in plugin directory must be enough.
(cd "$work" && installed PIKOS_PYTHON="$python" \
    "$prefix/bin/pikos" --plugin recorders/csv -o calls.csv app.py) ||
    fail "installed pikos did not run"
head -n 1 "$work/calls.csv" | grep -q '^index,type,function,lineNo,filename' ||
    fail "calls.csv has no header"
[ "$(grep -c ',call,work,' "$work/calls.csv")" -eq 3 ] || fail "calls.csv lacks work()"

# The out-of-tree plugin, built as its author would.
cp -r "$src/examples/plugins/count_calls" "$work/count_calls"
chmod -R u+w "$work/count_calls"
(cd "$work/count_calls" && PKG_CONFIG_PATH="$prefix/lib/pkgconfig" make -s) ||
    fail "examples/plugins/count_calls did not build against the installed headers"
# The installed pikos-manifest writes the example's manifest from its
# descriptor: what the hand-written one says, and the runs below use it.
"$prefix/bin/pikos-manifest" "$work/count_calls/count_calls.so" \
    "$work/count_calls/generated.plugin" ||
    fail "pikos-manifest could not write count_calls's manifest"
grep -v '^;' "$work/count_calls/generated.plugin" >"$work/count_calls/generated.ini"
grep -v '^;' "$work/count_calls/count_calls.plugin" | diff - "$work/count_calls/generated.ini" ||
    fail "pikos-manifest's count_calls manifest differs from examples/plugins/count_calls/count_calls.plugin"
mv -f "$work/count_calls/generated.plugin" "$work/count_calls/count_calls.plugin"
rm -f "$work/count_calls/generated.ini"
(cd "$work" && installed PIKOS_PYTHON="$python" \
    PIKOS_PLUGIN_PATH="$work/count_calls" "$prefix/bin/pikos" \
    --plugin recorders/count_calls:filename=counts.txt app.py) ||
    fail "pikos with the count_calls plugin failed"
# The oracle: a pure-Python sys.setprofile callback on the same script.
expected=$(cd "$work" && "$python" - <<'PY'
import collections, os, sys
path = os.path.join(os.getcwd(), "app.py")  # as python3 app.py names it
counts = collections.Counter()
def callback(frame, event, arg):
    if frame.f_code.co_filename == path:
        counts[arg.__name__ if event.startswith("c_") else frame.f_code.co_name] += 1
code = compile(open(path, "rb").read(), path, "exec")
sys.setprofile(callback)
exec(code, {"__name__": "__main__"})
sys.setprofile(None)
print("%-12s %s" % ("records", "function"))
for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
    print("%-12d %s" % (n, name))
PY
)
actual=$(cat "$work/counts.txt")
[ "$actual" = "$expected" ] || fail "counts.txt is
$actual
expected
$expected"
# Two monitors, two schemas (FunctionRecord and LineRecord, whose
# `function` fields sit at different indexes): each record is counted by
# its own schema's field (the example's per-schema context).  The oracle:
# a sys.setprofile and a sys.settrace callback on the same script.
(cd "$work" && installed PIKOS_PYTHON="$python" \
    PIKOS_PLUGIN_PATH="$work/count_calls" "$prefix/bin/pikos" \
    --plugin monitors/functions --plugin monitors/lines \
    --plugin recorders/count_calls:filename=counts2.txt app.py) ||
    fail "pikos with two monitors and the count_calls plugin failed"
expected=$(cd "$work" && "$python" - <<'PY'
import collections, os, sys
path = os.path.join(os.getcwd(), "app.py")
counts = collections.Counter()
def profile(frame, event, arg):
    if frame.f_code.co_filename == path:
        counts[arg.__name__ if event.startswith("c_") else frame.f_code.co_name] += 1
def trace(frame, event, arg):
    if event == "line" and frame.f_code.co_filename == path:
        counts[frame.f_code.co_name] += 1
    return trace
code = compile(open(path, "rb").read(), path, "exec")
sys.setprofile(profile)
sys.settrace(trace)
exec(code, {"__name__": "__main__"})
sys.settrace(None)
sys.setprofile(None)
print("%-12s %s" % ("records", "function"))
for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
    print("%-12d %s" % (n, name))
PY
)
actual=$(cat "$work/counts2.txt")
[ "$actual" = "$expected" ] || fail "counts2.txt (two monitors) is
$actual
expected
$expected"
# docs/plugins.md's walkthrough monitor, monitors/calls, as printed there:
# it builds without a warning against the installed headers, pikos-manifest
# writes the manifest the page shows, and focused on work() with every=2 it
# records what a sys.setprofile oracle sees inside work().
mkdir -p "$work/calls"
awk '/^## Writing a monitor/ {f = 1} f && /^```c$/ {c = 1; next}
     c && /^```$/ {exit} c' "$src/docs/plugins.md" >"$work/calls/calls.c"
awk '/^and its manifest, `calls.plugin`/ {f = 1} f && /^```ini$/ {c = 1; next}
     c && /^```$/ {exit} c' "$src/docs/plugins.md" >"$work/calls/expected.plugin"
(cd "$work/calls" && cc -Wall -Wextra -Werror -shared -fPIC \
    $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags pikos) \
    -o calls.so calls.c) ||
    fail "docs/plugins.md's monitors/calls did not build against the installed headers"
(cd "$work/calls" && "$prefix/bin/pikos-manifest" calls.so calls.plugin) ||
    fail "pikos-manifest could not write monitors/calls's manifest"
grep -v '^;' "$work/calls/calls.plugin" | diff "$work/calls/expected.plugin" - ||
    fail "docs/plugins.md shows another manifest than pikos-manifest writes for monitors/calls"
cat >"$work/focus.py" <<'PY'
def helper(n):
    return n + 1

def work(n):
    return helper(n) + helper(n)

for i in range(3):
    work(i)
helper(0)
PY
(cd "$work" && installed PIKOS_PYTHON="$python" \
    PIKOS_PLUGIN_PATH="$work/calls" "$prefix/bin/pikos" \
    --plugin monitors/calls:every=2 --focused-on work \
    --plugin recorders/csv -o focus.csv focus.py) ||
    fail "pikos with docs/plugins.md's monitors/calls failed"
expected=$(cd "$work" && "$python" - <<'PY'
import os, sys
path = os.path.join(os.getcwd(), "focus.py")
rows, calls = [], 0
def inside_work(frame):
    while frame is not None:
        if frame.f_code.co_name == "work" and frame.f_code.co_filename == path:
            return True
        frame = frame.f_back
    return False
def profile(frame, event, arg):
    global calls
    if event == "call" and inside_work(frame):
        if calls % 2 == 0:
            rows.append("%d,%s,%d,%s" % (calls, frame.f_code.co_name,
                                         frame.f_lineno, path))
        calls += 1
code = compile(open(path, "rb").read(), path, "exec")
sys.setprofile(profile)
exec(code, {"__name__": "__main__"})
sys.setprofile(None)
print("index,function,lineNo,filename")
print("\n".join(rows))
print("%d,(calls),0," % calls)
PY
)
actual=$(tr -d '\r' <"$work/focus.csv") # CSV rows end in CRLF
[ "$actual" = "$expected" ] || fail "focus.csv (monitors/calls) is
$actual
expected
$expected"
# The Python package: only PYTHONPATH, as for any package in a private prefix.
site=$(ls -d "$prefix"/lib/python3*/*-packages 2>/dev/null | head -n 1)
[ -n "$site" ] && [ -e "$site/pikos/_pikos.so" ] ||
    fail "the pikos Python package (pikos/_pikos.so) was not installed"
(cd "$work" && env -u PIKOS_PLUGIN_PATH -u PIKOS_NO_DEFAULT_PATH \
    PYTHONPATH="$site" "$python" - <<'PY'
import pikos
from pikos.monitors.api import FunctionMonitor
from pikos.recorders.api import ListRecorder

def work(n):
    return sum(i * i for i in range(n))

names = {p.name for p in pikos.plugins()}
assert {"monitors/functions", "recorders/csv"} <= names, names
recorder = ListRecorder()
with FunctionMonitor(recorder):
    work(10)
calls = [r for r in recorder.records if r.type == "call" and r.function == "work"]
assert len(calls) == 1, recorder.records
PY
) || fail "the installed Python package did not monitor"
# The user's interpreter.  where.py prints what tells interpreters apart;
# a pikos run must print what the interpreter alone prints, with pikos
# loaded (its record of where() is in the CSV file).
cat >"$work/where.py" <<'PY'
import sys

def where():
    try:
        import pikos_venv_only
    except ImportError:
        found = "pikos_venv_only: absent"
    else:
        found = "pikos_venv_only: " + pikos_venv_only.__file__
    print(sys.prefix)
    print(sys.executable)
    print(found)
    print(sys.path)

where()
PY
# same_as_direct LABEL INTERPRETER [ENV...] -- [PIKOS OPTIONS...]
same_as_direct() {
    local label=$1 interpreter=$2 direct actual envs=()
    shift 2
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    rm -f "$work/where.csv"
    direct=$(cd "$work" && installed "${envs[@]}" "$interpreter" where.py 2>&1) ||
        fail "$label: $interpreter where.py failed: $direct"
    actual=$(cd "$work" && installed "${envs[@]}" "$prefix/bin/pikos" "$@" \
        --plugin recorders/csv -o where.csv where.py 2>&1) ||
        fail "$label: pikos failed: $actual"
    [ "$actual" = "$direct" ] || fail "$label: pikos where.py printed
$actual
while $interpreter where.py printed
$direct"
    grep -q ',call,where,' "$work/where.csv" ||
        fail "$label: pikos did not record where()"
    printf '%s\n' "$direct"
}
out=$(same_as_direct "PIKOS_PYTHON=$python" "$python" PIKOS_PYTHON="$python" --) ||
    exit 1
printf '%s\n' "$out" | grep -qx 'pikos_venv_only: absent' ||
    fail "$python finds pikos_venv_only: $out"

# A venv without pip or the system's site-packages, with a package of its own.
venv=$work/venv
"$python" -m venv --without-pip "$venv" || fail "$python -m venv failed"
venv_site=$("$venv/bin/python3" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
mkdir -p "$venv_site/pikos_venv_only"
echo 'VENV = True' >"$venv_site/pikos_venv_only/__init__.py"
out=$(same_as_direct "venv on PATH" "$venv/bin/python3" \
    PATH="$venv/bin:$PATH" --) || exit 1
printf '%s\n' "$out" | grep -qx "pikos_venv_only: $venv_site/pikos_venv_only/__init__.py" ||
    fail "the venv's package was not imported: $out"
same_as_direct "--python $venv/bin/python3" "$venv/bin/python3" -- \
    --python "$venv/bin/python3" >/dev/null || exit 1

# The Python package in a fresh venv without system site-packages, by the
# one offline command docs/python.md gives (pip of the venv, setuptools of
# the venv, libpikos found with pkg-config); its records of a call are
# those of a pure-Python sys.setprofile oracle.
pipvenv=$work/pipvenv
"$python" -m venv "$pipvenv" || fail "python3 -m venv (python3-venv) failed"
(cd "$work" && PKG_CONFIG_PATH="$prefix/lib/pkgconfig" \
    "$pipvenv/bin/pip" install -q --no-build-isolation \
    "$prefix/share/pikos/python" >"$work/pip.out" 2>&1) ||
    fail "pip install --no-build-isolation $prefix/share/pikos/python: $(tail -n 20 "$work/pip.out")"
(cd "$work" && env -u PIKOS_PLUGIN_PATH -u PIKOS_NO_DEFAULT_PATH -u PYTHONPATH \
    "$pipvenv/bin/python3" - <<'PY'
import sys

import pikos
from pikos.monitors.api import FunctionMonitor
from pikos.recorders.api import ListRecorder

assert pikos.__file__.startswith(sys.prefix), (pikos.__file__, sys.prefix)


def work(n):
    return sum(i * i for i in range(n))


def oracle_events():
    seen = []

    def profile(frame, event, arg):
        name = (frame.f_code.co_name if event in ("call", "return")
                else getattr(arg, "__name__", "?"))
        seen.append((event, name))

    sys.setprofile(profile)
    work(3)
    sys.setprofile(None)
    return seen[:-1]  # the c_call of sys.setprofile(None) itself


recorder = ListRecorder()
with FunctionMonitor(recorder):
    work(3)
got = [(r.type, r.function) for r in recorder.records]
expected = oracle_events()
start = got.index(("call", "work"))  # after the monitor's own start
assert got[start:start + len(expected)] == expected, (got, expected)
PY
) || fail "the pikos package pip installed in a venv did not monitor as the oracle"

# An interpreter pikos was not built for: one error line, status 2, and the
# program does not run.
other=${PIKOS_INSTALL_OTHER_PYTHON:-/root/.pyenv/versions/3.10.13/bin/python3}
if [ -x "$other" ] && [ "$("$other" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')" != "$ext_suffix" ]; then
    other_exe=$("$other" -c 'import sys; print(sys.executable)')
    status=0
    (cd "$work" && installed "$prefix/bin/pikos" --python "$other" \
        where.py >"$work/other.out" 2>"$work/other.err") || status=$?
    err=$(cat "$work/other.err")
    [ "$status" -eq 2 ] || fail "pikos --python $other: status $status, expected 2 ($err)"
    [ ! -s "$work/other.out" ] ||
        fail "pikos --python $other ran the program: $(cat "$work/other.out")"
    [ "$(wc -l <"$work/other.err")" -eq 1 ] && [ "${err#pikos: }" != "$err" ] ||
        fail "pikos --python $other: expected one 'pikos: ' line, got
$err"
    case $err in
    *"$other_exe"*"./configure PYTHON=$other_exe"*) ;;
    *) fail "pikos --python $other: the error names neither $other_exe nor how to build for it: $err" ;;
    esac
else
    echo "install test: no Python other than the configured one at $other" \
        "(PIKOS_INSTALL_OTHER_PYTHON): skipping the wrong-interpreter check"
fi
echo "install test: PASS"
