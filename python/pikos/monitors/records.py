"""The record classes of the standard monitors.

Each record is a namedtuple with the seed's fields, plus two class
attributes: ``header`` and ``line``, the ``str.format`` templates a text
recorder uses when it writes formatted output (``header`` is formatted
with the field names, ``line`` with the values).

LineRecord and LineMemoryRecord also have a field named ``line`` (the
source text): on the class, ``LineRecord.line`` is the template; on a
record, ``record.line`` is the field (the seed's classes gave the template
in both cases, hiding the field).

The monitors written in C hand their records to Python as instances of
these classes (docs/records.md has the meaning of every field).
"""
from collections import namedtuple

FUNCTION_TEMPLATE = "{:<8} {:<11} {:<30} {:<5} {}"
LINE_TEMPLATE = "{:<12} {:<50} {:<7} {} -- {}"
FUNCTION_MEMORY_HEADER = (
    "{:<8} | {:<11} | {:<12} | {:<15} | {:<15} | {:>6} | {}")
FUNCTION_MEMORY_LINE = (
    "{:>8} | {:<11} | {:<12} | {:>15} | {:>15} | {:>6} | {}")
LINE_MEMORY_HEADER = "{:^12} | {:^30} | {:^7} | {:^15} | {:^15} | {} {}"
LINE_MEMORY_LINE = "{:<12} | {:<30} | {:<7} | {:>15} | {:>15} | {} {}"


class TemplateOrField:
    """``line`` of a record class that also has a ``line`` field: on the
    class it is the template (what recorders read), on a record the
    field's value (the source line)."""

    def __init__(self, template, field):
        self.template = template
        self._field = field

    def __get__(self, record, cls=None):
        if record is None:
            return self.template
        return self._field.__get__(record, cls)


class FunctionRecord(namedtuple(
        "FunctionRecord", "index type function lineNo filename")):
    """One function event: call, return, c_call, c_return, c_exception."""

    __slots__ = ()
    header = FUNCTION_TEMPLATE
    line = FUNCTION_TEMPLATE


_LineFields = namedtuple("LineRecord", "index function lineNo line filename")


class LineRecord(_LineFields):
    """One line event, with the source text of the line."""

    __slots__ = ()
    header = LINE_TEMPLATE
    line = TemplateOrField(LINE_TEMPLATE, _LineFields.line)


class FunctionMemoryRecord(namedtuple(
        "FunctionMemoryRecord",
        "index type function RSS VMS lineNo filename")):
    """One function event with the process's memory (bytes) at it."""

    __slots__ = ()
    header = FUNCTION_MEMORY_HEADER
    line = FUNCTION_MEMORY_LINE


_LineMemoryFields = namedtuple(
    "LineMemoryRecord", "index function lineNo RSS VMS line filename")


class LineMemoryRecord(_LineMemoryFields):
    """One line event with the process's memory (bytes) at it."""

    __slots__ = ()
    header = LINE_MEMORY_HEADER
    line = TemplateOrField(LINE_MEMORY_LINE, _LineMemoryFields.line)


RECORD_CLASSES = (FunctionRecord, LineRecord, FunctionMemoryRecord,
                  LineMemoryRecord)
