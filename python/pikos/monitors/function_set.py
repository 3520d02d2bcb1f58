"""FunctionSet: the functions a focused monitor focuses on, and the names
the C core knows them by."""
import inspect
import types
import warnings
from collections.abc import MutableSet


def _code_of(function):
    """The code object of a function, method or decorated function (the
    one a decorator built with functools.wraps, as monitor.attach is,
    wraps), or None."""
    if isinstance(function, types.CodeType):
        return function
    function = getattr(function, "__func__", function)  # bound methods
    try:
        function = inspect.unwrap(function)
    except ValueError:  # a __wrapped__ cycle
        return None
    return getattr(function, "__code__", None)


def focus_name(function):
    """The name the core matches a code object with.

    A str is a name already (``f``, ``Class.method``, ``module:f``).  A
    function becomes "FILE:QUALNAME" (its code's co_filename and qualified
    name: exactly that function), or QUALNAME when its code has no file
    (``<string>``).  None when `function` has no Python code.
    """
    if isinstance(function, str):
        return function
    code = _code_of(function)
    if code is None:
        return None
    qualname = getattr(code, "co_qualname", None) or \
        getattr(function, "__qualname__", code.co_name)
    if "/" in code.co_filename:
        return f"{code.co_filename}:{qualname}"
    return qualname


class FunctionSet(MutableSet):
    """A mutable set of functions (or names of functions).

    Function and method objects, functions decorated with
    functools.wraps, code objects and names (str) can be added; a built-in
    function cannot (it has no Python code) and is left out with a
    warning, as in the seed.
    """

    def __init__(self, functions=()):
        self._functions = {}  # focus name -> what was added
        self._owner = None  # the monitor that fixed the set, once it did
        if callable(functions) or isinstance(functions, str):
            functions = [functions]
        for function in functions:
            self.add(function)

    def __contains__(self, item):
        name = focus_name(item)
        return name is not None and name in self._functions

    def __iter__(self):
        return iter(self._functions.values())

    def __len__(self):
        return len(self._functions)

    def __repr__(self):
        return f"FunctionSet({list(self._functions.values())!r})"

    def add(self, function):
        """Add a function (a no-op when it is in the set already)."""
        name = focus_name(function)
        if name is None:
            if inspect.isbuiltin(function):
                message = "Built-in functions are not supported: {0}"
            else:
                message = "Could not extract a code object for the object {0}"
            warnings.warn(message.format(function), stacklevel=2)
            return
        if name not in self._functions:
            self._check_not_fixed(function)
            self._functions[name] = function

    def discard(self, function):
        """Remove a function (a no-op when it is not in the set)."""
        name = focus_name(function)
        if name in self._functions:
            self._check_not_fixed(function)
            del self._functions[name]

    def freeze(self, owner):
        """Fix the set: the monitor `owner` (a name) started with it."""
        self._owner = owner

    def _check_not_fixed(self, function):
        if self._owner is not None:
            raise RuntimeError(
                f"cannot change the focus of a {self._owner} after it "
                f"first started (adding or removing {function!r}): make a "
                f"new monitor")

    def names(self):
        """The focus names, in the order the functions were added."""
        return list(self._functions)
