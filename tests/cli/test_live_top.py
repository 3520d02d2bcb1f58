"""monitors/allocations live=SECONDS (issue 16, point 5): the top lines by
live bytes while the program runs, in `pikos watch`, and what the other
recorders do with these snapshots (HeapTopRecord).

tests/cli/scripts/live_top.py keeps two bytearrays of known sizes at two
lines and sleeps past the period; a snapshot follows the period at the
next allocation.  The oracles: the same run's final CSV of
AllocationRecords (the lines' bytes and blocks live at exit, which the
program does not change after the snapshot), and sys.getsizeof of each
bytearray, which the program prints.
"""
import csv
import json
import os
import re
import subprocess
import time

from conftest import PIKOS_BIN, TEXT, TIMEOUT, run_pikos
from test_watch import free_port, require_pyzmq

PERIOD = 0.2
SCRIPT = "live_top.py"
TOP_FIELDS = ["snapshot", "rank", "rows", "lines", "function", "filename",
              "lineno", "live_bytes", "live_count", "alloc_bytes",
              "alloc_count", "time"]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def heap_lines(out):
    """The rows of the watcher's `heap lines by live bytes` table:
    {(file, line): (live_bytes, live_count, alloc_bytes, alloc_count,
    function)}, and the table's heading."""
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines)
              if line.startswith("heap lines by live bytes, snapshot "))
    rows = {}
    for line in lines[at + 2:]:
        m = re.match(r"^ *(\d+) +(\d+) +(\d+) +(\d+)  (.+):(\d+)  +(\S.*)$",
                     line)
        if not m:
            break
        rows[(m[5], int(m[6]))] = (int(m[1]), int(m[2]), int(m[3]),
                                   int(m[4]), m[7])
    return rows, lines[at]


def test_watch_shows_the_top_lines_while_the_program_runs(work):
    """A watcher bound before the program: its heap lines for the two
    kept bytearrays equal the same run's final CSV for those lines and
    the program's sys.getsizeof; the snapshot came while the program ran
    (its time is before the end, after the period)."""
    require_pyzmq()
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    watcher = subprocess.Popen(
        [PIKOS_BIN, "watch", "--bind", "--once", "--timeout", "60", endpoint],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, **TEXT)
    time.sleep(0.5)  # bound before the program connects
    out_csv = os.path.join(work, "out.csv")
    started = time.monotonic()
    proc = subprocess.run(
        [PIKOS_BIN, "--plugin",
         f"monitors/allocations:live={PERIOD},top=5",
         "--plugin", "recorders/zmq:connect=true,endpoint=" + endpoint +
         ",wait_for_ready=true",
         "--plugin", "recorders/csv:filename=" + out_csv, SCRIPT, str(PERIOD)],
        cwd=work, capture_output=True, timeout=TIMEOUT, **TEXT)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    out, err = watcher.communicate(timeout=TIMEOUT)
    assert watcher.returncode == 0, err
    printed = json.loads(proc.stdout.splitlines()[-1])
    app = os.path.realpath(os.path.join(work, SCRIPT))

    rows, heading = heap_lines(out)
    m = re.match(r"heap lines by live bytes, snapshot (\d+) at "
                 r"(\d+)\.(\d{9}) s, (\d+) of (\d+):$", heading)
    assert m, heading
    at = int(m[2]) + int(m[3]) / 1e9
    assert PERIOD <= at < elapsed
    assert int(m[4]) == len(rows) <= 5 and len(rows) <= int(m[5])

    # the snapshot in its own CSV file, the aggregates in theirs
    snaps = read_csv(out_csv)
    assert snaps and list(snaps[0]) == TOP_FIELDS
    final = {(r["filename"], int(r["lineno"])): r
             for r in read_csv(os.path.join(work, "out.AllocationRecord.csv"))}
    for line, size in printed["kept"]:
        live, count, alloc, alloc_count, function = rows[(app, line)]
        assert function == "hold"
        agg = final[(app, line)]
        assert (live, count) == (int(agg["exit_bytes"]),
                                 int(agg["exit_count"])), out
        assert (alloc, alloc_count) == (int(agg["alloc_bytes"]),
                                        int(agg["alloc_count"])), out
        assert live == size  # the bytearray object and its buffer
    # the two kept lines hold the most: ranks 1 and 2
    ranked = sorted(rows.items(), key=lambda kv: -kv[1][0])
    assert {k for k, _ in ranked[:2]} == {(app, line)
                                          for line, _ in printed["kept"]}
    # the watcher's last snapshot is the CSV's last one
    last = max(int(r["snapshot"]) for r in snaps)
    assert int(m[1]) == last
    assert {(r["filename"], int(r["lineno"])): int(r["live_bytes"])
            for r in snaps if int(r["snapshot"]) == last} == {
                k: v[0] for k, v in rows.items()}
    assert "schema HeapTopRecord  ended" in out
    assert "schema AllocationRecord  ended" in out


def test_profile_lets_snapshots_pass_and_perfetto_skips_them(work):
    """recorders/profile writes the aggregates as without live=;
    recorders/perfetto writes its trace without an error."""
    proc = run_pikos([
        "--plugin",
        f"monitors/allocations:live={PERIOD},aggregate=stack,interval=1000",
        "--plugin", "recorders/profile:format=collapsed,filename=live.txt",
        "--plugin", "recorders/perfetto:filename=t.perfetto-trace",
        SCRIPT, str(PERIOD)], work)
    assert proc.returncode == 0, proc.stderr
    assert os.path.getsize(os.path.join(work, "t.perfetto-trace")) > 0
    base = run_pikos([
        "--plugin", "monitors/allocations:aggregate=stack",
        "--plugin", "recorders/profile:format=collapsed,filename=base.txt",
        SCRIPT, str(PERIOD)], work)
    assert base.returncode == 0, base.stderr

    def hold_lines(name):
        with open(os.path.join(work, name), encoding="utf-8") as stream:
            return sorted(line for line in stream if ";hold (" in line)
    assert hold_lines("live.txt") == hold_lines("base.txt") != []


def test_bad_options(work):
    for option, message in [
            ("live=-1", "option 'live' must be 0"),
            ("live=1,top=0", "option 'top' must be 1 to 10000 lines")]:
        proc = run_pikos(["--plugin", "monitors/allocations:" + option,
                          SCRIPT, "0"], work)
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr, proc.stderr
