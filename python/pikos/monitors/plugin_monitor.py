"""PluginMonitor: a Monitor that runs one monitor plugin in a pipeline."""
from pikos import _plugins
from pikos._pipeline import PipelineBuilder
from pikos.filters.chain import as_filters
from pikos.monitors.function_set import FunctionSet
from pikos.monitors.monitor import Monitor


def check_recorder(recorder):
    """The recorder, when it is one (a C plugin's or Python object with
    prepare/record/finalize); TypeError otherwise."""
    if hasattr(recorder, "_pikos_add"):
        return recorder
    missing = [name for name in ("prepare", "record", "finalize")
               if not callable(getattr(recorder, name, None))]
    if missing:
        raise TypeError(
            f"recorder {recorder!r} has no {', '.join(missing)}: give an "
            f"AbstractRecorder (pikos.recorders.api) or pikos.recorder()")
    return recorder


def plugin_options(info, options):
    """The options of a monitor plugin as the core takes them: ``functions``
    as focus names, and ``threads="current"`` (the thread that enables the
    monitor, as sys.setprofile does) unless given."""
    options = dict(options)
    if "functions" in options and options["functions"] is not None:
        options["functions"] = FunctionSet(options["functions"]).names()
    declared = {option.name for option in info.options}
    if "threads" in declared:
        options.setdefault("threads", "current")
    return _plugins.check_options(info, options)


class PluginMonitor(Monitor):
    """A monitor running the monitor plugin `plugin` (e.g.
    "monitors/lines"), its records going through `filters` to `recorder`.

    The plugins are made when the monitor is first enabled and kept:
    later runs continue the same record index and the same recorder.
    A monitor freed (or garbage-collected) while it is enabled stops,
    and its recorder is finalized, whatever the recorder.
    ``threads="all"`` also records the other threads (default: the
    thread that enables the monitor).
    """

    def __init__(self, plugin, recorder, filters=None, record_type=None,
                 **options):
        self._info = _plugins.load(plugin, "monitor")
        self._options = options
        self._recorder = check_recorder(recorder)
        self._filters = as_filters(filters)
        self._record_type = record_type
        self._pipeline = None
        self._guard = None
        self._monitor_options()  # checks the options now

    @property
    def recorder(self):
        """The recorder the records go to."""
        return self._recorder

    def _monitor_options(self):
        """The monitor plugin's options, or None for no monitor plugin."""
        return plugin_options(self._info, self._options)

    def enable(self):
        """Enable the monitor: the first (outermost) call makes the
        plugins (the first time) and starts monitoring."""
        if self._pipeline is None:
            pipeline = self._build()
            # The monitor's own hold on its pipeline: when the monitor is
            # freed (or collected) while it is enabled, the Guard stops
            # the pipeline and finalizes the recorder, whatever else (a
            # ListRecorder) keeps the pipeline alive.  No Python code runs
            # for it.
            self._guard = pipeline.guard()
            self._pipeline = pipeline
        self._pipeline.start()

    def disable(self):
        """Disable the monitor: the call matching the first enable stops
        monitoring, flushes and finalizes the recorder.  A disable()
        without a matching enable() does nothing (as the seed's, and as
        cProfile's disable())."""
        if self._pipeline is not None and self._pipeline.running:
            self._pipeline.stop()

    def _build(self):
        builder = PipelineBuilder(self._record_type)
        options = self._monitor_options()
        if options is not None:
            builder.add(self._info.name, options)
        builder.add_filters(self._filters)
        builder.add_recorder(self._recorder)
        return builder.pipeline

    def __repr__(self):
        return (f"<{type(self).__name__} {self._info.name} "
                f"recorder={self._recorder!r}>")
