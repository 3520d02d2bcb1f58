"""What the external profilers of pikos.external.api share: importing the
wrapped package, nesting runs, and handing statistics to a recorder."""
import importlib

from pikos.monitors.monitor import Monitor


def require(module, package):
    """Imports `module`; ImportError naming the Debian package that
    provides it when it is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"pikos.external needs the Python package {module}: "
            f"apt-get install -y {package}", name=module) from error


def check_recorder(recorder):
    """The recorder (or None); TypeError unless it has prepare, record and
    finalize, which the statistics are handed to."""
    if recorder is None:
        return None
    missing = [name for name in ("prepare", "record", "finalize")
               if not callable(getattr(recorder, name, None))]
    if missing:
        raise TypeError(
            f"recorder {recorder!r} has no {', '.join(missing)}: give a "
            f"recorder of pikos.recorders.api (ListRecorder, "
            f"CSVFileRecorder, ...); a plugin recorder (pikos.recorder()) "
            f"takes records only inside a monitor: use "
            f"pikos.monitor('external/...', recorder=...)")
    return recorder


def record(recorder, record_class, rows, snapshot):
    """Hands one snapshot of statistics (rows: the values of every field
    but ``snapshot``) to the recorder, as one recorder run."""
    recorder.prepare(record_class)
    try:
        for row in rows:
            recorder.record(record_class(*row, snapshot))
    finally:
        recorder.finalize()


def profile_rows(stats):
    """ProfileStatsRecord rows of statistics in pstats' form
    ({(filename, line, funcname): (cc, nc, tt, ct, callers)}), in
    cumulative order as the external monitors emit them: cumtime
    descending, then by every field."""
    rows = [(name, filename, lineno, nc, cc, tt, ct)
            for (filename, lineno, name), (cc, nc, tt, ct, _)
            in stats.items()]
    rows.sort(key=lambda row: (-row[6], row))
    return rows


class _StopWhenCollected:
    """What a NestedMonitor holds while it is enabled, and which holds it:
    a monitor whose last reference is dropped while it is enabled is left
    in this cycle, which the garbage collector frees, calling __del__
    first (before anything of the cycle is cleared): it stops the monitor
    as its outermost disable() would.  An idle monitor holds none, so that
    no code of pikos runs when it is freed."""

    def __init__(self, monitor):
        self.monitor = monitor

    def __del__(self):
        monitor, self.monitor = self.monitor, None
        if monitor is not None and monitor._depth > 0:
            monitor._depth = 0
            monitor._stop()


class NestedMonitor(Monitor):
    """A Monitor whose enable()/disable() nest: the outermost enable()
    calls _start(), the matching disable() calls _stop().  One collected
    while it is enabled stops (see _StopWhenCollected)."""

    _depth = 0
    _collected = None

    def enable(self):
        """Enable the monitor (the first, outermost call starts it)."""
        if self._depth == 0:
            self._start()
        self._entered()

    def disable(self):
        """Disable the monitor (the call matching the first enable stops
        it and hands the statistics to the recorder).  A disable() without
        a matching enable() does nothing, as cProfile's and yappi's stop
        do."""
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth == 0:
            collected, self._collected = self._collected, None
            if collected is not None:
                collected.monitor = None  # disarmed: nothing to stop
            self._stop()

    def _entered(self):
        """Counts one enable() that succeeded."""
        if self._depth == 0:
            self._collected = _StopWhenCollected(self)
        self._depth += 1

    def _start(self):
        raise NotImplementedError

    def _stop(self):
        raise NotImplementedError
