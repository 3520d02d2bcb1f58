"""The recorder protocol of the seed: prepare, record, finalize."""
import abc


class RecorderError(Exception):
    """A recorder was used out of order (e.g. record() before prepare())."""


class AbstractRecorder(abc.ABC):
    """Abstract recorder class.

    A recorder stores the records a monitor makes.  Inside a monitor,
    ``prepare(record_class)`` is called when monitoring starts (once per
    record class), ``record(record)`` for every record that passed the
    filters, and ``finalize()`` when monitoring stops.  A subclass (or any
    object with these three methods) works as a recorder of any monitor,
    beside the C recorders.
    """

    @abc.abstractmethod
    def prepare(self, record):
        """Perform any setup required before the recorder is used.

        Parameters
        ----------
        record : type
            The record class (a namedtuple class) that is going to be used.
        """

    @abc.abstractmethod
    def finalize(self):
        """Perform any tasks to finalize and clean up when the recording
        has completed."""

    @abc.abstractmethod
    def record(self, data):
        """Record a measurement.

        Parameters
        ----------
        data : namedtuple
            An instance of the record class.
        """

    @property
    def ready(self):
        """Is the recorder ready to accept data?"""
        return True
