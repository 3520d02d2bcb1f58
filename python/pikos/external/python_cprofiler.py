"""PythonCProfiler: cProfile.Profile as a pikos monitor."""
import _lsprof
import cProfile

from pikos.external._support import NestedMonitor, check_recorder, \
    profile_rows, record
from pikos.external.records import ProfileStatsRecord


class PythonCProfiler(NestedMonitor, cProfile.Profile):
    """A cProfile.Profile that is also a pikos monitor.

    ``with profiler:``, ``profiler.attach(function)`` and
    enable()/disable() nest: only the outermost run enables cProfile.
    Everything of cProfile.Profile works (print_stats, dump_stats,
    getstats, runcall, ...), and statistics accumulate over runs as
    cProfile's do.

    Parameters
    ----------
    recorder :
        Optional: a recorder of pikos.recorders.api (or any object with
        prepare/record/finalize).  When the outermost run ends the
        statistics so far go to it as ProfileStatsRecords, in cumulative
        order; ``snapshot`` counts these hand-overs from 1.
    *args, **kwargs :
        cProfile.Profile's (timer, timeunit, subcalls, builtins).
    """

    def __init__(self, *args, recorder=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._recorder = check_recorder(recorder)
        self._snapshots = 0

    @property
    def recorder(self):
        """The recorder the statistics go to (or None)."""
        return self._recorder

    def enable(self, *args, **kwargs):
        """Enable the profiler (the first, outermost call enables cProfile,
        with cProfile.Profile.enable's arguments)."""
        if self._depth == 0:
            _lsprof.Profiler.enable(self, *args, **kwargs)
        self._entered()

    def _stop(self):
        _lsprof.Profiler.disable(self)
        if self._recorder is not None:
            self.create_stats()
            self._snapshots += 1
            record(self._recorder, ProfileStatsRecord,
                   profile_rows(self.stats), self._snapshots)

    def create_stats(self):
        """cProfile's: stop profiling and keep a snapshot of the statistics
        in ``self.stats``, without touching the nesting of runs."""
        _lsprof.Profiler.disable(self)
        self.snapshot_stats()
