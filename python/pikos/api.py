"""The seed's easy-to-use factories: recorders and monitor decorators.

    from pikos.api import function_monitor, csv_file

    @function_monitor(recorder=csv_file(), focused=True)
    def monitored_function():
        ...

Each monitor factory takes ``recorder=`` (default: ``screen()``),
``focus_on=`` (a list of functions: a focused monitor, recording only
inside them) and ``focused=`` (True: a focused monitor that also focuses
on the decorated function), and returns a decorator.
"""
import sys

from pikos.monitors.monitor_attach import FocusedMonitorAttach, \
    MonitorAttach
from pikos.monitors.standard import FocusedFunctionMemoryMonitor, \
    FocusedFunctionMonitor, FocusedLineMemoryMonitor, FocusedLineMonitor, \
    FunctionMemoryMonitor, FunctionMonitor, LineMemoryMonitor, LineMonitor
from pikos.recorders.csv_recorders import CSVFileRecorder
from pikos.recorders.text_recorders import TextFileRecorder, \
    TextStreamRecorder


def screen(filter_=None):
    """A recorder that writes formatted records to the screen
    (``sys.stdout``), flushed after each record.

    Parameters
    ----------
    filter_ : callable
        Keeps the records for which it returns True (default: all).
    """
    return TextStreamRecorder(sys.stdout, filter_=filter_, auto_flush=True,
                              formatted=True)


def textfile(filename=None, filter_=None):
    """A recorder that writes formatted records to a text file.

    Parameters
    ----------
    filename : str
        The file (default "monitor_records.log").
    filter_ : callable
        Keeps the records for which it returns True (default: all).
    """
    if filename is None:
        filename = "monitor_records.log"
    return TextFileRecorder(filename, filter_=filter_, auto_flush=True,
                            formatted=True)


def csvfile(filename=None, filter_=None):
    """A recorder that writes records to a CSV file.

    Parameters
    ----------
    filename : str
        The file (default "monitor_records.csv").
    filter_ : callable
        Keeps the records for which it returns True (default: all).
    """
    if filename is None:
        filename = "monitor_records.csv"
    return CSVFileRecorder(filename, filter_=filter_)


csv_file = csvfile


def _decorator(monitor_class, focused_class, recorder, focus_on, focused):
    if recorder is None:
        recorder = screen()
    if focus_on is None and not focused:
        return MonitorAttach(monitor_class(recorder))
    monitor = focused_class(recorder, functions=focus_on or ())
    return FocusedMonitorAttach(monitor, include_decorated=bool(focused))


def function_monitor(recorder=None, focus_on=None, focused=False):
    """A decorator recording the function events of the decorated function
    (FunctionMonitor; FocusedFunctionMonitor when focus_on or focused)."""
    return _decorator(FunctionMonitor, FocusedFunctionMonitor, recorder,
                      focus_on, focused)


def line_monitor(recorder=None, focus_on=None, focused=False):
    """A decorator recording the line events of the decorated function
    (LineMonitor; FocusedLineMonitor when focus_on or focused)."""
    return _decorator(LineMonitor, FocusedLineMonitor, recorder, focus_on,
                      focused)


def function_memory_monitor(recorder=None, focus_on=None, focused=False):
    """A decorator recording memory on function events
    (FunctionMemoryMonitor; focused when focus_on or focused)."""
    return _decorator(FunctionMemoryMonitor, FocusedFunctionMemoryMonitor,
                      recorder, focus_on, focused)


def line_memory_monitor(recorder=None, focus_on=None, focused=False):
    """A decorator recording memory on line events (LineMemoryMonitor;
    focused when focus_on or focused)."""
    return _decorator(LineMemoryMonitor, FocusedLineMemoryMonitor, recorder,
                      focus_on, focused)


monitor_functions = function_monitor
monitor_lines = line_monitor
memory_on_functions = function_memory_monitor
memory_on_lines = line_memory_monitor
