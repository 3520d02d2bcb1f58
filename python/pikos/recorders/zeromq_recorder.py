"""ZeroMQRecorder: records published on a ZeroMQ PUB socket."""
from pikos._plugins import PluginRecorder
from pikos.filters.chain import as_filters
from pikos.recorders.abstract_recorder import AbstractRecorder, RecorderError


class ZeroMQRecorder(AbstractRecorder):
    """The ZeroMQ Recorder publishes every record on a ZeroMQ PUB socket.

    It is the C recorder recorders/zmq (wire format: docs/); it runs
    inside a monitor only.  Making one raises LookupError when that plugin
    is not installed.

    Parameters
    ----------
    zmq_host : str
        The address to bind (default: loopback).
    zmq_port : int
        The TCP port to bind.
    filter_ : callable, pikos.filter() object or list of them
        Keeps the records for which it returns True.
    wait_for_ready : bool
        Wait (a few seconds at most) for a subscriber when monitoring
        starts, so that it sees the first records.
    **options :
        Other options of recorders/zmq (``pikos.plugins()`` lists them).
    """

    def __init__(self, zmq_host="127.0.0.1", zmq_port=9001, filter_=None,
                 wait_for_ready=True, **options):
        self._filters = as_filters(filter_)
        self._plugin = PluginRecorder("recorders/zmq", host=zmq_host,
                                      port=zmq_port,
                                      wait_for_ready=wait_for_ready,
                                      **options)

    def _pikos_add(self, builder):
        builder.add_filters(self._filters)
        self._plugin._pikos_add(builder)

    def _outside_monitor(self):
        raise RecorderError("ZeroMQRecorder publishes from inside a monitor "
                            "only: give it to a monitor as its recorder")

    def prepare(self, record):
        """Only a monitor prepares this recorder: raises RecorderError."""
        self._outside_monitor()

    def record(self, data):
        """Only a monitor gives this recorder records: raises
        RecorderError."""
        self._outside_monitor()

    def finalize(self):
        """Only a monitor finalizes this recorder: raises RecorderError."""
        self._outside_monitor()
