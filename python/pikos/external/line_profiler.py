"""LineProfiler: line_profiler's LineProfiler as a pikos monitor."""
import pickle

from pikos.external import _line_stats
from pikos.external._support import NestedMonitor, check_recorder, \
    record, require
from pikos.external.records import LineStatsRecord


class LineProfiler(NestedMonitor):
    """line_profiler's LineProfiler as a pikos monitor (the seed's class).

    The functions to time are given as line_profiler takes them (to the
    constructor, add_function(), or by decorating them with the profiler
    itself: ``@profiler``).  ``with profiler:``,
    ``profiler.attach(function)`` and enable()/disable() nest: the
    outermost run enables line_profiler's trace function on this thread.
    Every other attribute is line_profiler.LineProfiler's.

    get_stats(), print_stats() and dump_stats() sum line_profiler 4.0's
    per-line entries (its own get_stats() drops some hits of lines
    followed by different lines, such as a loop's head).

    Parameters
    ----------
    *functions :
        The functions to time.
    recorder :
        Optional: a recorder of pikos.recorders.api (or any object with
        prepare/record/finalize).  When the outermost run ends the
        statistics so far go to it as LineStatsRecords.

    Raises ImportError naming the Debian package when line_profiler is
    missing.
    """

    def __init__(self, *functions, recorder=None):
        module = require("line_profiler", "python3-line-profiler")
        self._module = module
        self._profiler = module.LineProfiler(*functions)
        self._recorder = check_recorder(recorder)
        self._snapshots = 0

    def __getattr__(self, name):
        """What is not defined here is line_profiler.LineProfiler's."""
        if name.startswith("__") or name == "_profiler":
            raise AttributeError(name)
        return getattr(self._profiler, name)

    def __call__(self, function):
        """Decorate a function: time its lines and run it with the profiler
        enabled (as line_profiler's ``@profile`` does)."""
        self._profiler.add_function(function)
        return self.attach(function)

    @property
    def recorder(self):
        """The recorder the statistics go to (or None)."""
        return self._recorder

    def _start(self):
        self._profiler.enable_by_count()

    def _stop(self):
        self._profiler.disable_by_count()
        if self._recorder is not None:
            collected = _line_stats.collect(self._profiler)
            self._snapshots += 1
            record(self._recorder, LineStatsRecord,
                   _line_stats.rows(collected, self._profiler.timer_unit),
                   self._snapshots)

    def get_stats(self):
        """The statistics so far, as line_profiler's LineStats."""
        line_stats = self._module._line_profiler.LineStats
        collected = _line_stats.collect(self._profiler)
        return line_stats(_line_stats.timings(collected),
                          self._profiler.timer_unit)

    def print_stats(self, stream=None, output_unit=None, stripzeros=False):
        """Print the statistics as line_profiler does."""
        stats = self.get_stats()
        self._module.show_text(stats.timings, stats.unit,
                               output_unit=output_unit, stream=stream,
                               stripzeros=stripzeros)

    def dump_stats(self, filename):
        """Write the statistics in line_profiler's .lprof format."""
        with open(filename, "wb") as stream:
            pickle.dump(self.get_stats(), stream, pickle.HIGHEST_PROTOCOL)
