"""How a monitor's parts go into one _pikos.Pipeline.

A monitor builds its pipeline when it first starts: its monitor plugin,
then the filters, then its recorder.  Each filter and recorder object
knows how to add itself (a ``_pikos_add(builder)`` method: a C plugin when
it has one, else the object itself as a Python filter or recorder);
anything else is added as Python code: a callable filter, or a recorder
with prepare/record/finalize.
"""
from pikos import _pikos


def convert(record_type, record):
    """`record` as an instance of record_type (the seed's ``record_type=``
    of the monitors; ``tuple`` gives plain tuples)."""
    if record_type is tuple:
        return tuple(record)
    return record_type(*record)


class _ConvertingFilter:
    """A Python filter that sees records of the monitor's record_type."""

    def __init__(self, function, record_type):
        self._function = function
        self._record_type = record_type

    def __call__(self, record):
        return self._function(convert(self._record_type, record))


class _ConvertingRecorder:
    """A Python recorder that is given the monitor's record_type."""

    def __init__(self, recorder, record_type):
        self._recorder = recorder
        self._record_type = record_type

    def prepare(self, record_class):
        self._recorder.prepare(self._record_type)

    def record(self, record):
        self._recorder.record(convert(self._record_type, record))

    def finalize(self):
        self._recorder.finalize()


class PipelineBuilder:
    """Adds plugins and Python objects to a new pipeline.

    record_type: None (the record classes of pikos.monitors.records) or
    the class every Python filter and recorder is given records as.
    """

    def __init__(self, record_type=None):
        self.pipeline = _pikos.Pipeline()
        self.record_type = record_type

    def add(self, name, options=None):
        """Adds plugin `name`; returns its _pikos.Instance."""
        return self.pipeline.add(name, options or None)

    def add_filters(self, filters):
        """Adds filters (a sequence, see pikos.filters.chain) in order."""
        for filter_ in filters:
            if hasattr(filter_, "_pikos_add"):
                filter_._pikos_add(self)
            else:
                self.add_python_filter(filter_)

    def add_python_filter(self, function):
        if self.record_type is not None:
            function = _ConvertingFilter(function, self.record_type)
        return self.pipeline.add_python_filter(function)

    def add_recorder(self, recorder):
        if hasattr(recorder, "_pikos_add"):
            recorder._pikos_add(self)
        else:
            self.add_python_recorder(recorder)

    def add_python_recorder(self, recorder):
        if self.record_type is not None:
            recorder = _ConvertingRecorder(recorder, self.record_type)
        return self.pipeline.add_python_recorder(recorder)
