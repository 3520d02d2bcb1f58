"""monitors/allocations keeps its records however the program ends.

Its records are made from counters and frames it keeps in durable state
buffers; when the program ends before monitoring stops (os._exit, exec,
SIGTERM, SIGKILL, os.abort, SIGSEGV), the pikos command makes the run's
pipeline again and the monitor emits them there (docs/design.md,
"Salvage").  For each ending, into recorders/csv (lines) and
recorders/profile collapsed stacks (stacks):
  - the records of the lines the work marks equal those of the same work
    ended normally: every counter (the blocks stay live in globals, so
    exit and peak agree too), and per stack in the profile;
  - the csv has one header (it goes on after what the program wrote);
  - pikos ends as python3 did, with its one line, and leaves no state
    directory;
  - a forked child's blocks never reach its parent's records.
"""
import csv
import os
import signal

import pytest

from conftest import run_pikos, run_python
from test_profile_endings import (ENDINGS, assert_no_state_dir_left,
                                  no_core_file, pikos_line, state_dirs)

SCRIPT = "alloc_endings.py"
MONITOR = "monitors/allocations"


def marked(work, word):
    with open(os.path.join(work, SCRIPT), encoding="utf-8") as stream:
        return {n for n, text in enumerate(stream, 1) if word in text}


def run(work, how, recorders, fork=False, monitor=MONITOR):
    program = [SCRIPT, how] + (["fork"] if fork else [])
    expected = run_python(program, work, preexec_fn=no_core_file)
    before = state_dirs()
    got = run_pikos(["--plugin", monitor, *recorders, *program], work,
                    preexec_fn=no_core_file)
    assert_no_state_dir_left(before)
    status = ENDINGS[how][0] if how in ENDINGS else 0
    assert expected.returncode == status, expected.stderr
    assert (got.returncode, got.stdout) == (status, expected.stdout)
    line = pikos_line(status) if how in ENDINGS else ""
    assert got.stderr == expected.stderr + line


def csv_lines(work, how, fork=False):
    """{lineno: counters} of the script's lines, from recorders/csv."""
    path = os.path.join(work, "out.csv")
    if os.path.exists(path):
        os.unlink(path)
    run(work, how, ["--plugin", "recorders/csv:filename=out.csv"], fork)
    with open(path, newline="", encoding="utf-8") as stream:
        text = stream.read()
    assert text.count("function,filename,lineno") == 1  # one header
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert rows and all(r["function"] for r in rows)
    script = os.path.join(work, SCRIPT)
    return {int(r["lineno"]): {k: int(v) for k, v in r.items()
                               if k.endswith(("_bytes", "_count"))}
            for r in rows if r["filename"] == script}


def collapsed_stacks(work, how):
    """{stack through build(): bytes at the peak}, from recorders/profile."""
    path = os.path.join(work, "m.collapsed")
    if os.path.exists(path):
        os.unlink(path)
    run(work, how, ["--plugin",
                    "recorders/profile:format=collapsed,filename=m.collapsed"],
        monitor=MONITOR + ":aggregate=stack")
    with open(path, encoding="utf-8") as stream:
        out = {}
        for line in stream:
            stack, value = line.rstrip("\n").rsplit(" ", 1)
            if "build (" in stack:
                out[stack] = int(value)
    return out


@pytest.fixture(scope="module")
def normal_lines(tmp_path_factory):
    work = str(tmp_path_factory.mktemp("normal"))
    from conftest import HERE
    import shutil
    shutil.copy(os.path.join(HERE, "scripts", SCRIPT), work)
    return work, csv_lines(work, "normally")


@pytest.mark.parametrize("how", list(ENDINGS))
def test_csv_records_of_the_marked_lines_survive(work, normal_lines, how):
    _, normal = normal_lines
    lines = marked(work, "# marked")
    got = csv_lines(work, how)
    assert lines <= normal.keys()
    for n in lines:
        assert got[n] == normal[n], n
    assert got[min(lines)]["exit_count"] >= 3000  # the kept blocks


@pytest.mark.parametrize("how", list(ENDINGS))
def test_profile_stacks_of_the_work_survive(work, how):
    normal = collapsed_stacks(work, "normally")
    got = collapsed_stacks(work, how)
    assert normal and got == normal


@pytest.mark.parametrize("how", ["os_exit", "SIGKILL"])
def test_a_forked_childs_blocks_are_not_the_parents(work, how):
    got = csv_lines(work, how, fork=True)
    child = marked(work, "# child line")
    assert not child & got.keys()
    assert marked(work, "# marked") <= got.keys()
