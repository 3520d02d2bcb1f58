"""YappiProfiler: yappi as a pikos monitor."""
import sys

from pikos.external._support import NestedMonitor, check_recorder, \
    profile_rows, record, require
from pikos.external.records import ProfileStatsRecord


class YappiProfiler(NestedMonitor):
    """The yappi profiler as a pikos monitor (the seed's class, mirroring
    yappi's module functions).

    ``with profiler:``, ``profiler.attach(function)`` and
    enable()/disable() nest: the outermost run starts yappi (unless it is
    running already) and stops it.  yappi's statistics are global: they
    accumulate until clear_stats().

    Parameters
    ----------
    recorder :
        Optional: a recorder of pikos.recorders.api (or any object with
        prepare/record/finalize).  When the outermost run ends yappi's
        statistics go to it as ProfileStatsRecords, in cumulative order
        (as external/yappi emits them).
    builtins : bool
        Also profile built-in functions (yappi's builtins=).
    clock : str
        None (yappi's current clock), "cpu" or "wall".

    Raises ImportError naming the Debian package when yappi is missing.
    """

    def __init__(self, recorder=None, builtins=False, clock=None):
        self._yappi = require("yappi", "python3-yappi")
        if clock not in (None, "cpu", "wall"):
            raise ValueError(f"clock={clock!r}: give 'cpu' or 'wall'")
        self._recorder = check_recorder(recorder)
        self._builtins = builtins
        self._clock = clock
        self._started = False
        self._snapshots = 0

    @property
    def recorder(self):
        """The recorder the statistics go to (or None)."""
        return self._recorder

    def _start(self):
        self._started = not self._yappi.is_running()
        if self._started:
            self.start()

    def _stop(self):
        if self._started:
            self.stop()
        if self._recorder is not None:
            self._snapshots += 1
            record(self._recorder, ProfileStatsRecord, self._rows(),
                   self._snapshots)

    def _rows(self):
        """As external/yappi emits them: yappi's name (Class.method for
        methods), its module path ("~" and line 0 for built-ins), ncall,
        nactualcall, tsub and ttot."""
        stats = {}
        for stat in self._yappi.get_func_stats():
            if stat.builtin:
                key = ("~", 0, stat.name)
            else:
                key = (stat.module, stat.lineno, stat.name)
            stats[key] = (stat.nactualcall, stat.ncall, stat.tsub,
                          stat.ttot, None)
        return profile_rows(stats)

    def start(self, builtins=None):
        """Start yappi (builtins: None for the profiler's own setting)."""
        if self._clock is not None:
            self._yappi.set_clock_type(self._clock)
        self._yappi.start(
            builtins=self._builtins if builtins is None else builtins)

    def stop(self):
        """Stop yappi."""
        self._yappi.stop()

    def enum_stats(self, fenum):
        """Call fenum(stat) for each function's statistics."""
        for stat in self._yappi.get_func_stats():
            fenum(stat)

    def enum_thread_stats(self):
        """The threads' statistics (yappi.get_thread_stats())."""
        return self._yappi.get_thread_stats()

    def get_stats(self, *args, **kwargs):
        """The functions' statistics (yappi.get_func_stats())."""
        return self._yappi.get_func_stats(*args, **kwargs)

    def print_stats(self, out=None, **kwargs):
        """Print the functions' statistics (YFuncStats.print_all)."""
        self.get_stats().print_all(out=out or sys.stdout, **kwargs)

    def clear_stats(self):
        """Forget the statistics so far."""
        self._yappi.clear_stats()

    def is_running(self):
        """Whether yappi is running."""
        return self._yappi.is_running()

    def clock_type(self):
        """yappi's clock ("cpu" or "wall")."""
        return self._yappi.get_clock_type()
