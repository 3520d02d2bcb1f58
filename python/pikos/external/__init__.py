"""pikos.external: foreign profilers (cProfile, yappi, line_profiler) as
pikos monitors.

``pikos.external.api`` has the seed's classes: PythonCProfiler,
YappiProfiler and LineProfiler.  Each is the wrapped profiler, usable as a
pikos monitor (``with``, ``attach``, nesting), and with ``recorder=`` it
hands its statistics to a pikos recorder as ProfileStatsRecords or
LineStatsRecords when the outermost run ends.  yappi and line_profiler
are imported when a profiler is made, not here.
"""
from pikos import _pikos
from pikos.external.records import LineStatsRecord, ProfileStatsRecord

# The external monitor plugins' records become these classes too.
for _cls in (ProfileStatsRecord, LineStatsRecord):
    _pikos.register_record_class(_cls.__name__, _cls)
del _cls
