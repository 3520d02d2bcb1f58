"""The base of the standard recorders: a recorder with a ``filter_``."""
import abc

from pikos.filters.chain import as_filters, passes
from pikos.recorders.abstract_recorder import AbstractRecorder, RecorderError


class _Writer:
    """What a monitor's pipeline calls for a FilteredRecorder written in
    Python: its filters already ran in the pipeline, so records go
    straight to _write()."""

    def __init__(self, recorder):
        self.prepare = recorder.prepare
        self.record = recorder._write
        self.finalize = recorder.finalize


class FilteredRecorder(AbstractRecorder):
    """A recorder that writes the records its filter keeps.

    ``filter_`` is None, a callable taking a record (True keeps it), a
    filter made by pikos.filter(), or a list of these that must all keep
    the record.  Subclasses implement prepare(), finalize() and
    ``_write(record)``; a subclass backed by a C plugin overrides
    ``_add_writer(builder)`` to add that plugin instead.
    """

    def __init__(self, filter_=None):
        self._filters = as_filters(filter_)

    def record(self, data):
        """Record the data entry when the filter keeps it.

        Raises
        ------
        RecorderError :
            Raised if the recorder is not ready (prepare() not called).
        """
        if not self.ready:
            raise RecorderError(
                "Method called while recorder is not ready to record")
        if passes(self._filters, data):
            self._write(data)

    def _require_prepared(self):
        """The check finalize() makes, as the seed's recorders did: that
        prepare() ran (``_ready``, set by the stream recorders'
        prepare())."""
        if not self._ready:
            raise RecorderError(
                "Method called while recorder has not been prepared yet")

    @abc.abstractmethod
    def _write(self, data):
        """Write one record that the filters kept."""

    def _pikos_add(self, builder):
        if type(self).record is not FilteredRecorder.record:
            # A subclass that changed record() gets every record there.
            builder.add_python_recorder(self)
            return
        builder.add_filters(self._filters)
        self._add_writer(builder)

    def _add_writer(self, builder):
        builder.add_python_recorder(_Writer(self))
