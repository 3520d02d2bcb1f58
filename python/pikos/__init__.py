"""pikos: a profiling and investigation toolkit for Python, in C.

The seed's API lives in pikos.api, pikos.monitors.api,
pikos.recorders.api and pikos.filters.api.  Here: the version, and the
plugins chosen by name::

    import pikos

    monitor = pikos.monitor(
        "monitors/lines",
        recorder=pikos.recorder("recorders/csv", filename="out.csv"),
        filters=[pikos.filter("filters/on_value", field="function",
                              values=["work"])])
    with monitor:
        work()
"""
from pikos import _pikos
from pikos._plugins import OptionInfo, PluginFilter, PluginInfo, \
    PluginRecorder, plugins
from pikos.monitors.records import RECORD_CLASSES

__version__ = _pikos.__version__

# The C monitors' records of these schemas become these classes.
for _cls in RECORD_CLASSES:
    _pikos.register_record_class(_cls.__name__, _cls)
del _cls
__all__ = ["__version__", "plugins", "monitor", "recorder", "filter",
           "PluginInfo", "OptionInfo"]


def monitor(name, recorder=None, filters=None, **options):
    """A monitor running the monitor plugin `name` (e.g. "monitors/lines").

    Parameters
    ----------
    name : str
        The plugin ("kind/name", or a bare name when it is unique).
    recorder :
        Where the records go: pikos.recorder(...), a recorder of
        pikos.recorders.api or any object with prepare/record/finalize
        (default: the screen).
    filters : list
        Filters the records go through first: pikos.filter(...),
        pikos.filters.api objects or callables taking a record.
    **options :
        The plugin's options (``pikos.plugins()`` lists them); e.g.
        ``functions=[f, "Class.method"]`` (focus) or ``threads="all"``.

    Raises LookupError for an unknown plugin, ValueError or TypeError for
    a bad option.  The monitor works as the seed's: enable()/disable(),
    ``with``, ``attach``.
    """
    from pikos.monitors.plugin_monitor import PluginMonitor

    if recorder is None:
        from pikos.api import screen

        recorder = screen()
    return PluginMonitor(name, recorder, filters=filters, **options)


def recorder(name, **options):
    """The recorder plugin `name` with its options, e.g.
    ``pikos.recorder("recorders/csv", filename="out.csv")``."""
    return PluginRecorder(name, **options)


def filter(name, **options):  # noqa: A001 (the API's name)
    """The filter plugin `name` with its options, e.g.
    ``pikos.filter("filters/on_value", field="function", values=["f"])``."""
    return PluginFilter(name, **options)
