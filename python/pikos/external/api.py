"""The seed's external profilers, as pikos monitors that can also hand
their statistics to a pikos recorder::

    from pikos.external.api import PythonCProfiler
    from pikos.recorders.api import ListRecorder

    recorder = ListRecorder()
    with PythonCProfiler(recorder=recorder):
        work()
    recorder.records  # ProfileStatsRecords

yappi and line_profiler are imported when a YappiProfiler or a
LineProfiler is made: a missing one raises ImportError naming the Debian
package then, never at import of this module.
"""
from pikos.external.line_profiler import LineProfiler
from pikos.external.python_cprofiler import PythonCProfiler
from pikos.external.records import LineStatsRecord, ProfileStatsRecord
from pikos.external.yappi_profiler import YappiProfiler

__all__ = ["PythonCProfiler", "YappiProfiler", "LineProfiler",
           "yappi_profile", "line_profile", "ProfileStatsRecord",
           "LineStatsRecord"]


def yappi_profile(builtins=False, recorder=None):
    """A YappiProfiler (the seed's factory)."""
    return YappiProfiler(recorder=recorder, builtins=builtins)


def line_profile(*functions, recorder=None):
    """A LineProfiler of these functions (the seed's factory)."""
    return LineProfiler(*functions, recorder=recorder)
