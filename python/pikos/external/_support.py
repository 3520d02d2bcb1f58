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


class NestedMonitor(Monitor):
    """A Monitor whose enable()/disable() nest: the outermost enable()
    calls _start(), the matching disable() calls _stop()."""

    _depth = 0

    def enable(self):
        """Enable the monitor (the first, outermost call starts it)."""
        if self._depth == 0:
            self._start()
        self._depth += 1

    def disable(self):
        """Disable the monitor (the call matching the first enable stops
        it and hands the statistics to the recorder)."""
        if self._depth == 0:
            raise RuntimeError(f"{type(self).__name__}.disable() called "
                               f"without a matching enable()")
        self._depth -= 1
        if self._depth == 0:
            self._stop()

    def _start(self):
        raise NotImplementedError

    def _stop(self):
        raise NotImplementedError
