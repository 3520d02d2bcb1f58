"""Python 3.12+: pikos is a sys.monitoring tool of its own (issue 15).

Which tool id it takes (3 or 4 first, PROFILER_ID last, never one in use,
one clear error when all six are), and cProfile recording beside it, each
seeing exactly its own events: cProfile's call counts are those it makes
alone, pikos's records those of the setprofile oracle."""
import cProfile
import os
import pstats
import sys

import pytest

import oracle
import workloads
from pikos.monitors.api import FunctionMonitor
from pikos.recorders.api import ListRecorder

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 12) or os.environ.get("PIKOS_HOOK") == "legacy",
    reason="pikos uses sys.monitoring from Python 3.12, unless "
           "PIKOS_HOOK=legacy")

IDS = range(6)


def tools():
    return [sys.monitoring.get_tool(i) for i in IDS]


def pikos_tool_while_monitoring():
    with FunctionMonitor(ListRecorder()):
        return [i for i, name in enumerate(tools()) if name == "pikos"]


def taking(ids):
    """Takes the tool ids as other tools would; gives them back after."""
    class Taken:
        def __enter__(self):
            for i in ids:
                sys.monitoring.use_tool_id(i, "other%d" % i)

        def __exit__(self, *exc):
            for i in ids:
                sys.monitoring.free_tool_id(i)
    return Taken()


def test_takes_tool_id_3_and_gives_it_back():
    assert pikos_tool_while_monitoring() == [3]
    assert "pikos" not in tools()


def test_takes_4_when_3_is_in_use():
    with taking([3]):
        assert pikos_tool_while_monitoring() == [4]


def test_takes_profiler_id_only_when_nothing_else_is_free():
    with taking([3, 4, 5]):
        taken = pikos_tool_while_monitoring()
    assert taken in ([0], [1])
    with taking([0, 1, 3, 4, 5]):
        assert pikos_tool_while_monitoring() == [sys.monitoring.PROFILER_ID]


def test_every_id_in_use_is_one_clear_error():
    with taking(IDS):
        with pytest.raises(RuntimeError) as raised:
            with FunctionMonitor(ListRecorder()):
                pass
    assert str(raised.value) == (
        "[monitors/functions] cannot monitor: all six sys.monitoring tool "
        "ids are in use (PIKOS_HOOK=legacy uses the profile and trace "
        "functions instead)")
    assert "pikos" not in tools()


def cprofile_counts(profile):
    """(function name, first line) -> calls, for the workload's file."""
    stats = pstats.Stats(profile)
    return {(f[2], f[1]): v[1] for f, v in stats.stats.items()
            if f[0] == workloads.FILENAME}


def test_cprofile_beside_pikos_each_sees_its_own_events():
    alone = cProfile.Profile()
    alone.runcall(workloads.recursive)

    recorder = ListRecorder()
    beside = cProfile.Profile()
    with FunctionMonitor(recorder):
        beside.runcall(workloads.recursive)
    expected = oracle.function_events(
        lambda: cProfile.Profile().runcall(workloads.recursive))

    assert cprofile_counts(beside) == cprofile_counts(alone) != {}
    mine = oracle.of_file(recorder.records, workloads.FILENAME)
    assert mine == oracle.of_file(expected, workloads.FILENAME) != []
