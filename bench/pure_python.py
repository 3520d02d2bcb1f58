"""The original pikos design, as an anchor of the benchmarks.

The seed's monitors were pure Python:
- LineMemoryMonitor (the lines suite): a sys.settrace callback that, at
  every line event, asks psutil for the process's memory, reads the line
  with linecache, builds a namedtuple record and hands it to a recorder
  (here a CSV file recorder, as `monitors/line_memory -> recorders/csv` is
  measured).  Without psutil, memory comes from /proc/self/statm, read in
  Python.
- FunctionMonitor with a ListRecorder (the python suite): a
  sys.setprofile callback that, at every function event, gathers the
  record's values from the frame, builds a FunctionRecord namedtuple and
  hands it to the recorder, which asks whether it is ready and whether its
  filter (by default one that passes everything) takes the record, then
  appends it to its list.
"""
import collections
import csv
import linecache
import os
import sys

LineMemoryRecord = collections.namedtuple(
    "LineMemoryRecord", "index function lineNo RSS VMS line filename")
FunctionRecord = collections.namedtuple(
    "FunctionRecord", "index type function lineNo filename")


def statm_reader():
    fd = os.open("/proc/self/statm", os.O_RDONLY)
    page = os.sysconf("SC_PAGE_SIZE")

    def read():
        size, resident = os.pread(fd, 128, 0).split()[:2]
        return int(resident) * page, int(size) * page
    return read


def memory_reader():
    """psutil, as the seed, or /proc/self/statm when it is missing."""
    try:
        import psutil
    except ImportError:
        return statm_reader(), "/proc/self/statm"
    process = psutil.Process()

    def read():
        info = process.memory_info()
        return info.rss, info.vms
    return read, "psutil"


class LineMemoryMonitor:
    def __init__(self, stream):
        self._writer = csv.writer(stream)
        self._memory, self.source = memory_reader()
        self._index = 0

    def enable(self):
        self._writer.writerow(LineMemoryRecord._fields)
        sys.settrace(self.on_line_event)

    def disable(self):
        sys.settrace(None)

    def on_line_event(self, frame, why, arg):
        if why == "line":
            code = frame.f_code
            rss, vms = self._memory()
            line = linecache.getline(code.co_filename, frame.f_lineno)
            self._writer.writerow(LineMemoryRecord(
                self._index, code.co_name, frame.f_lineno, rss, vms,
                line.rstrip(), code.co_filename))
            self._index += 1
        return self.on_line_event


class ListRecorder:
    """Keeps the records it is given in `records`."""

    def __init__(self, filter_=None):
        self._filter = (lambda record: True) if filter_ is None else filter_
        self.records = []

    @property
    def ready(self):
        return True

    def record(self, data):
        if self.ready and self._filter(data):
            self.records.append(data)


class FunctionMonitor:
    """A FunctionRecord per function event, handed to `recorder`."""

    def __init__(self, recorder):
        self._record = recorder.record
        self._index = 0

    def enable(self):
        sys.setprofile(self.on_function_event)

    def disable(self):
        sys.setprofile(None)

    def on_function_event(self, frame, event, arg):
        self._record(FunctionRecord(*self.gather_info(frame, event, arg)))
        self._index += 1

    def gather_info(self, frame, event, arg):
        if event.startswith("c_"):
            function = arg.__name__
        else:
            function = frame.f_code.co_name
        return (self._index, event, function, frame.f_lineno,
                frame.f_code.co_filename)
