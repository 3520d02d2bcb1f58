"""The seed's monitors, each one of the C monitor plugins.

FunctionMonitor        monitors/functions        FunctionRecord
LineMonitor            monitors/lines            LineRecord
FunctionMemoryMonitor  monitors/function_memory  FunctionMemoryRecord
LineMemoryMonitor      monitors/line_memory      LineMemoryRecord

and their Focused* variants, which record only inside the functions
given as ``functions=``.
"""
from pikos.monitors.function_set import FunctionSet
from pikos.monitors.monitor_attach import FocusedMonitorAttach
from pikos.monitors.plugin_monitor import PluginMonitor


class FunctionMonitor(PluginMonitor):
    """Record python function events (call, return, c_call, c_return,
    c_exception) as FunctionRecords.

    Parameters
    ----------
    recorder : object
        An AbstractRecorder (or object with prepare/record/finalize), or
        a recorder made by pikos.recorder().
    record_type : type
        The class Python recorders and filters get the records as
        (default FunctionRecord; ``tuple`` gives plain tuples).
    threads : str
        "current" (default: the thread that enables the monitor, as the
        seed's sys.setprofile) or "all".
    **options :
        Other options of the monitor plugin.
    """

    plugin = "monitors/functions"

    def __init__(self, recorder, record_type=None, threads="current",
                 **options):
        super().__init__(self.plugin, recorder, record_type=record_type,
                         threads=threads, **options)


class LineMonitor(FunctionMonitor):
    """Record python line events as LineRecords (with the line's source).

    The parameters are FunctionMonitor's.
    """

    plugin = "monitors/lines"


class FunctionMemoryMonitor(FunctionMonitor):
    """Record the process's memory (RSS, VMS) on python function events,
    as FunctionMemoryRecords.

    The parameters are FunctionMonitor's; the plugin's options
    ``memory="sampled"`` and ``interval=`` (microseconds) trade exactness
    for speed (docs/records.md).
    """

    plugin = "monitors/function_memory"


class LineMemoryMonitor(FunctionMonitor):
    """Record the process's memory (RSS, VMS) on python line events, as
    LineMemoryRecords.

    The parameters are FunctionMemoryMonitor's.
    """

    plugin = "monitors/line_memory"


class FocusedMonitorMixin:
    """What makes a monitor focused: it records only inside the functions
    of its ``functions`` set (a FunctionSet).

    A function monitor records every event while one of the functions is
    running on the thread (their own call and return, and everything they
    call); a line monitor records the lines of the functions' own frames.
    With no functions it records nothing.  The functions are fixed when
    the monitor first starts.

    Keyword arguments: ``functions``, a list of function or method objects
    (or names: ``f``, ``Class.method``, ``module:f``); the others are the
    base monitor's.
    """

    def __init__(self, *args, functions=(), **kwargs):
        self.functions = FunctionSet(functions)
        super().__init__(*args, **kwargs)

    def _monitor_options(self):
        options = super()._monitor_options()
        names = self.functions.names()
        return dict(options, functions=names) if names else None

    def _build(self):
        # The core takes the focus when the monitor plugin is made.
        self.functions.freeze(type(self).__name__)
        return super()._build()

    def attach(self, *args, **kwargs):
        """Attach (i.e. wrap) the focused monitor to the decorated function.

        ``@monitor.attach`` wraps the function; ``@monitor.attach(
        include_decorated=True)`` also adds it to the focus functions.

        Raises
        ------
        TypeError :
            Raised if the monitor cannot be attached to the function.
        """
        if args and kwargs:
            raise TypeError(
                "Cannot attach monitor as a decorator without arguments "
                "when there are keyword arguments provided")
        if len(args) > 1:
            raise TypeError("attach() takes one function to decorate")
        if args and not callable(args[0]):
            raise TypeError(
                "Cannot attach monitor as a decorator without arguments "
                "when a callable to decorate is not provided")
        if args:
            return super().attach(args[0])
        return FocusedMonitorAttach(self, **kwargs)


class FocusedFunctionMonitor(FocusedMonitorMixin, FunctionMonitor):
    """Record python function events while one of the ``functions`` runs."""


class FocusedLineMonitor(FocusedMonitorMixin, LineMonitor):
    """Record the python line events of the ``functions``."""


class FocusedFunctionMemoryMonitor(FocusedMonitorMixin,
                                   FunctionMemoryMonitor):
    """Record process memory on python function events while one of the
    ``functions`` runs."""


class FocusedLineMemoryMonitor(FocusedMonitorMixin, LineMemoryMonitor):
    """Record process memory on the python line events of the
    ``functions``."""
