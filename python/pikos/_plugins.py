"""Plugins chosen by name: the objects behind pikos.plugins(),
pikos.recorder() and pikos.filter(), and the option checks they share
with pikos.monitor().

Names and option types are checked when the object is made, so a typo
fails at the line that made it; the option values themselves are checked
by the plugin when monitoring first starts (the core's messages name the
plugin and the option).
"""
from dataclasses import dataclass

from pikos import _pikos

# The Python types each manifest option type takes.  A str is accepted
# for every type: it is the option's text form, as on the command line.
_ACCEPTED = {
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "string": (),
    "list": (list, tuple),
}
_EXPECTED = {
    "int": "an int",
    "float": "a number",
    "bool": "a bool",
    "string": "a str",
    "list": "a list of str",
}
_KIND_NAMES = {"monitor": "monitors", "filter": "filters",
               "recorder": "recorders"}


@dataclass(frozen=True)
class OptionInfo:
    """One option of a plugin, as its manifest declares it."""

    name: str
    type: str
    default: object
    required: bool
    help: str


@dataclass(frozen=True)
class PluginInfo:
    """One plugin the registry found (what ``pikos plugins`` lists)."""

    name: str
    kind: object
    summary: str
    version: object
    status: str
    reason: object
    manifest: str
    options: tuple

    @classmethod
    def from_entry(cls, entry):
        """Makes the object from one dict of _pikos.plugins()."""
        options = tuple(OptionInfo(**option) for option in entry["options"])
        fields = {key: entry[key] for key in
                  ("name", "kind", "summary", "version", "status", "reason",
                   "manifest")}
        return cls(options=options, **fields)


def plugins():
    """Every plugin found on the search path, in the registry's order."""
    return [PluginInfo.from_entry(entry) for entry in _pikos.plugins()]


def load(name, kind):
    """The PluginInfo of plugin `name`, loaded and of the given kind.

    Raises LookupError for an unknown name (with close names) and
    ValueError when the plugin is of another kind.
    """
    info = PluginInfo.from_entry(_pikos.load(name))
    if info.kind != kind:
        raise ValueError(
            f"{info.name} is a {info.kind}, not a {kind}: "
            f"give one of the {_KIND_NAMES[kind]}/... plugins "
            f"(pikos.plugins() lists them)")
    return info


def _is_accepted(option, value):
    if isinstance(value, str):
        return True
    if isinstance(value, bool) and option.type in ("int", "float"):
        return False
    if not isinstance(value, _ACCEPTED[option.type]):
        return False
    if option.type == "list":
        return all(isinstance(item, str) for item in value)
    return True


def check_options(info, options):
    """Checks option names and Python types against the plugin's manifest.

    Options whose value is None are left out (the plugin's default).
    Returns the options to give the core.
    """
    known = {option.name: option for option in info.options}
    given = {key: value for key, value in options.items()
             if value is not None}
    for key, value in given.items():
        option = known.get(key)
        if option is None:
            names = ", ".join(known) or "none"
            raise ValueError(f"[{info.name}] unknown option '{key}' "
                             f"(options: {names})")
        if not _is_accepted(option, value):
            raise TypeError(
                f"[{info.name}] option '{key}' expects "
                f"{_EXPECTED[option.type]}, got {type(value).__name__} "
                f"{value!r}")
    for option in info.options:
        if option.required and option.name not in given:
            raise ValueError(f"[{info.name}] option '{option.name}' is "
                             f"required: give it {_EXPECTED[option.type]}")
    return given


class PluginRecorder:
    """A recorder plugin chosen by name: ``pikos.recorder(name, **options)``.

    It is given to a monitor as its recorder; the plugin instance is made
    when the monitor first starts.
    """

    def __init__(self, name, **options):
        info = load(name, "recorder")
        self.name = info.name
        self.options = check_options(info, options)

    def _pikos_add(self, builder):
        builder.add(self.name, self.options)

    def __repr__(self):
        return f"pikos.recorder({self.name!r}, **{self.options!r})"


class PluginFilter:
    """A filter plugin chosen by name: ``pikos.filter(name, **options)``.

    It runs inside a monitor's pipeline (as ``filter_=`` of a recorder or
    in ``filters=`` of pikos.monitor()); it is not callable from Python.
    """

    def __init__(self, name, **options):
        info = load(name, "filter")
        self.name = info.name
        self.options = check_options(info, options)

    def _pikos_add(self, builder):
        builder.add(self.name, self.options)

    def __repr__(self):
        return f"pikos.filter({self.name!r}, **{self.options!r})"
