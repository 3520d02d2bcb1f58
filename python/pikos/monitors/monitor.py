"""Monitor: the base class of every pikos monitor."""
import abc

from pikos.monitors.monitor_attach import MonitorAttach


def _note_failure(exception, error):
    """Tells, on the exception already on its way out, that disabling the
    monitor failed too (the program's exception is the one raised)."""
    note = f"pikos: disabling the monitor also failed: {error!r}"
    if hasattr(exception, "add_note"):
        exception.add_note(note)
    else:  # Python < 3.11
        exception.__context__ = error


class Monitor(abc.ABC):
    """Base class of pikos monitors.

    A monitor records while it is enabled.  ``enable()`` and ``disable()``
    nest: only the outermost pair starts and stops monitoring.  A monitor
    is also a context manager (``with monitor: ...``) and a decorator
    (``@monitor.attach``) of functions, methods and generators.
    """

    @abc.abstractmethod
    def enable(self):
        """Enable the monitor (the first, outermost call starts it)."""

    @abc.abstractmethod
    def disable(self):
        """Disable the monitor (the call matching the first enable stops
        it and finalizes the recorder)."""

    def __enter__(self):
        """Enable the monitor."""
        self.enable()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        """Disable the monitor.  An exception leaving the block passes
        through unchanged, even when disabling fails too (that failure is
        added to it as a note)."""
        try:
            self.disable()
        except Exception as error:
            if exc_value is None:
                raise
            _note_failure(exc_value, error)
        return False

    def attach(self, function):
        """Attach (i.e. wrap) the monitor to the decorated function.

        Parameters
        ----------
        function : callable
            The function, method or generator function to wrap.

        Returns
        -------
        fn : callable
            A function of the same signature that runs `function` with the
            monitor enabled (a generator's every step, for a generator).
        """
        return MonitorAttach(self)(function)
