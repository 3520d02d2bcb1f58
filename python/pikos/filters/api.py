"""The seed's record filters.

A filter is any callable that takes a record and returns True to keep it.
These three also run as C plugins inside a monitor (filters/on_value,
filters/not_on_value, filters/on_change), so a record they drop never
becomes a Python object.
"""
from pikos.filters.on_change import OnChange
from pikos.filters.on_value import NotOnValue, OnValue

__all__ = ["OnValue", "NotOnValue", "OnChange"]
