"""The records of the external monitors (docs/external.md).

ProfileStatsRecord: one per function a profiler saw (cProfile, yappi);
LineStatsRecord: one per line line_profiler timed.  Times are seconds.
``snapshot`` numbers the emissions of one run from 1; the last one is
made when the run ends.  The templates are those of the C plugins'
schemas (plugins/external/common/records.c).
"""
from collections import namedtuple

from pikos.monitors.records import TemplateOrField

PROFILE_STATS_TEMPLATE = (
    "{:<30} {:<40} {:>6} {:>9} {:>15} {:>22} {:>22} {:>8}")
LINE_STATS_TEMPLATE = "{:<40} {:<20} {:>6} {:>9} {:>22}  {}"


class ProfileStatsRecord(namedtuple(
        "ProfileStatsRecord", "function filename lineNo ncalls "
        "primitive_calls tottime cumtime snapshot")):
    """The statistics of one function, as pstats shows them: every call
    (ncalls), the non-recursive ones (primitive_calls), the time inside
    the function (tottime) and with its callees (cumtime)."""

    __slots__ = ()
    header = PROFILE_STATS_TEMPLATE
    line = PROFILE_STATS_TEMPLATE


_LineStatsFields = namedtuple(
    "LineStatsRecord", "filename function lineNo hits time line snapshot")


class LineStatsRecord(_LineStatsFields):
    """The statistics of one line of a profiled function: how many times
    it ran (hits) and the time spent on it, with its source text."""

    __slots__ = ()
    header = LINE_STATS_TEMPLATE
    line = TemplateOrField(LINE_STATS_TEMPLATE, _LineStatsFields.line)
