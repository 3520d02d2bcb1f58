"""OnValue and NotOnValue: keep (drop) records whose field has some value."""


def _plugin_values(values):
    """The values as the C filter's text list, or None when the filter
    must run in Python to compare as Python does: the C filters read a
    value as the field's type, which is exact for str and int values."""
    if not values:
        return None
    texts = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return None
        text = str(value)
        if ";" in text:  # the C list separator
            return None
        texts.append(text)
    return texts


class OnValue:
    """A record filter that keeps the records whose `field` holds one of
    `values`.

    Attributes
    ----------
    field : str
        The name of the record field to check.
    values : list
        The values that let a record pass.
    """

    plugin = "filters/on_value"

    def __init__(self, field, *values):
        self.field = field
        self.values = list(values)

    def __call__(self, record):
        """True when the record's field holds one of the values."""
        return getattr(record, self.field) in self.values

    def _pikos_add(self, builder):
        texts = _plugin_values(self.values)
        if texts is None:
            builder.add_python_filter(self)
        else:
            builder.add(self.plugin, {"field": self.field, "values": texts})

    def __repr__(self):
        args = ", ".join(repr(item) for item in [self.field, *self.values])
        return f"{type(self).__name__}({args})"


class NotOnValue(OnValue):
    """A record filter that drops the records whose `field` holds one of
    `values` (OnValue turned round)."""

    plugin = "filters/not_on_value"

    def __call__(self, record):
        """True when the record's field holds none of the values."""
        return getattr(record, self.field) not in self.values
