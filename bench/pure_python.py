"""The original pikos design, as an anchor of the line benchmark.

The seed's LineMemoryMonitor was pure Python: a sys.settrace callback
that, at every line event, asks psutil for the process's memory, reads the
line with linecache, builds a namedtuple record and hands it to a recorder
(here a CSV file recorder, as `monitors/line_memory -> recorders/csv` is
measured).  Without psutil, memory comes from /proc/self/statm, read in
Python.
"""
import collections
import csv
import linecache
import os
import sys

LineMemoryRecord = collections.namedtuple(
    "LineMemoryRecord", "index function lineNo RSS VMS line filename")


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
