"""The decorators that run a function with a monitor enabled."""
import functools
import inspect


class MonitorAttach:
    """The monitor attach decorator: ``MonitorAttach(monitor)(function)``
    returns a function that runs `function` inside ``with monitor:``.

    A generator function gets a generator that enables the monitor for
    each of its steps (not while the caller holds the values).
    """

    def __init__(self, obj):
        """obj: the monitor (any context manager)."""
        if not (hasattr(obj, "__enter__") and hasattr(obj, "__exit__")):
            raise ValueError(
                f"provided monitor object {obj!r} is not a context manager")
        self._monitor_object = obj

    @property
    def monitor(self):
        """The monitor the decorated functions run in."""
        return self._monitor_object

    def __call__(self, function):
        """Wrap function for monitoring."""
        if not callable(function):
            raise TypeError(f"cannot attach a monitor to {function!r}: "
                            f"it is not callable")
        if inspect.isgeneratorfunction(function):
            return self._wrap_generator(function)
        return self._wrap_function(function)

    def _wrap_function(self, function):
        monitor = self._monitor_object

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with monitor:
                return function(*args, **kwargs)
        return wrapper

    def _wrap_generator(self, function):
        monitor = self._monitor_object

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            generator = function(*args, **kwargs)
            step, value = generator.send, None
            while True:
                with monitor:
                    try:
                        item = step(value)
                    except StopIteration as stop:
                        return stop.value
                try:
                    value = yield item
                    step = generator.send
                except GeneratorExit:
                    generator.close()
                    raise
                except BaseException as error:  # thrown in: pass it on
                    step, value = generator.throw, error
        return wrapper


class FocusedMonitorAttach(MonitorAttach):
    """The attach decorator of focused monitors, which can also add the
    decorated function to the monitor's functions."""

    def __init__(self, obj, include_decorated=False):
        """obj: the focused monitor; include_decorated: also focus on the
        decorated function (default False)."""
        super().__init__(obj)
        self._include_decorated = include_decorated

    def __call__(self, function):
        """Wrap function for monitoring (and focus on it when asked)."""
        if self._include_decorated:
            self._monitor_object.functions.add(function)
        return super().__call__(function)
