"""A recorder's ``filter_``: none, one filter, or a list that must all pass.

Inside a monitor the filters run in the pipeline, in order, each seeing
only the records the ones before it kept.  Called directly (a recorder's
record() outside any monitor) they run here, in Python, the same way.
"""


def as_filters(filter_):
    """The filters of a ``filter_`` argument, as a tuple."""
    if filter_ is None:
        return ()
    filters = tuple(filter_) if isinstance(filter_, (list, tuple)) \
        else (filter_,)
    for item in filters:
        if not callable(item) and not hasattr(item, "_pikos_add"):
            raise TypeError(
                f"a filter must be callable (taking a record, returning "
                f"True to keep it) or made by pikos.filter(), not {item!r}")
    return filters


def passes(filters, record):
    """True when every filter keeps `record` (checked in order)."""
    for item in filters:
        if not callable(item):
            raise TypeError(
                f"{item!r} runs only inside a monitor; it cannot filter "
                f"records given to record() directly")
        if not item(record):
            return False
    return True
