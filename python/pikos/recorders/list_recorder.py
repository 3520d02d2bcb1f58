"""ListRecorder: records kept in memory."""
from pikos._pipeline import convert
from pikos.recorders.filtered_recorder import FilteredRecorder


class ListRecorder(FilteredRecorder):
    """The ListRecorder is a simple recorder that keeps the records in
    memory, as a list.

    Inside a monitor the C recorder recorders/list keeps them (no Python
    object is made per record); ``records`` turns them into record objects
    when it is read.

    Parameters
    ----------
    filter_ : callable, pikos.filter() object or list of them
        Keeps the records for which it returns True.
    """

    def __init__(self, filter_=None):
        super().__init__(filter_)
        self._sources = []  # (_pikos.Instance, record_type), one per monitor
        self._direct = []  # records given to record() directly

    @property
    def records(self):
        """The records so far (a new list each time): those of the monitors
        this recorder was given to, in the order the monitors first
        started, then those given to record() directly."""
        records = []
        for instance, record_type in self._sources:
            kept = instance.records()
            if record_type is not None:
                kept = [convert(record_type, record) for record in kept]
            records.extend(kept)
        records.extend(self._direct)
        return records

    def prepare(self, record):
        """Prepare the recorder to accept data (nothing to do)."""

    def finalize(self):
        """Finalize the recorder (nothing to do)."""

    def _write(self, data):
        self._direct.append(data)

    def _add_writer(self, builder):
        instance = builder.add("recorders/list")
        self._sources.append((instance, builder.record_type))
