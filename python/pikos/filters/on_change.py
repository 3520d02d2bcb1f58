"""OnChange: keep a record when a field differs from the previous one's."""


class OnChange:
    """A record filter that keeps a record when its `field` differs from
    the field of the previous record it saw (the first record passes).

    Attributes
    ----------
    field : str
        The name of the record field to watch.
    previous :
        The field's value in the previous record this object was called
        with (Python calls only: inside a monitor the C filter
        filters/on_change keeps its own).
    """

    def __init__(self, field):
        self.field = field
        self.previous = None
        self._seen = False

    def __call__(self, record):
        """True when the field changed since the previous record."""
        new = getattr(record, self.field)
        changed = not self._seen or new != self.previous
        self.previous = new
        self._seen = True
        return changed

    def _pikos_add(self, builder):
        builder.add("filters/on_change", {"field": self.field})

    def __repr__(self):
        return f"OnChange({self.field!r})"
