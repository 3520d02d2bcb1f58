#!/bin/bash
# The installed layout, end to end: configure with a private prefix, make
# install, then
#   - the installed pikos finds its plugins with no environment variables;
#   - examples/plugins/count_calls builds with `pkg-config --cflags --libs
#     pikos` against the installed headers and runs through PIKOS_PLUGIN_PATH;
#   - the installed Python package imports from the prefix's site directory
#     and monitors with the installed plugins, again with no PIKOS_* variable.
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

for f in bin/pikos include/pikos/plugin.h include/pikos/pikos.h \
    lib/pkgconfig/pikos.pc lib/pkgconfig/pikos-embed.pc \
    lib/pikos/plugins/monitors/functions.plugin \
    lib/pikos/plugins/recorders/csv.plugin; do
    [ -e "$prefix/$f" ] || fail "$f was not installed"
done

cat >"$work/app.py" <<'PY'
def work(n):
    return sum(i * i for i in range(n))

for _ in range(3):
    work(10)
PY

# No PIKOS_* variable: the compiled-in plugin directory must be enough.
(cd "$work" && env -u PIKOS_PLUGIN_PATH -u PIKOS_NO_DEFAULT_PATH \
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
(cd "$work" && env -u PIKOS_NO_DEFAULT_PATH PIKOS_PLUGIN_PATH="$work/count_calls" \
    "$prefix/bin/pikos" --plugin recorders/count_calls:filename=counts.txt app.py) ||
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
echo "install test: PASS"
