"""TextStreamRecorder and TextFileRecorder: records as lines of text.

Both write what the C recorder recorders/text writes: a header line, a
line of '-' as long as the header, then one line per record.  Formatted
output uses the record class's ``header``/``line`` templates; plain
output the field names and values joined by one space.
"""
import os

from pikos.recorders.filtered_recorder import FilteredRecorder

# Files are written as the C recorders write them: UTF-8, with the
# undecodable bytes of file names passed through unchanged.
FILE_ENCODING = {"encoding": "utf-8", "errors": "surrogateescape"}


def _header(record_class, formatted):
    """The header line of a record class (no newline), or None."""
    fields = getattr(record_class, "_fields", None)
    if fields is None:
        return None
    template = getattr(record_class, "header", None)
    if formatted and isinstance(template, str):
        return template.format(*fields)
    return " ".join(fields)


def format_record(data, formatted):
    """One record as a line of text, with its newline."""
    template = getattr(type(data), "line", None)
    if formatted and isinstance(template, str):
        return template.format(*data) + "\n"
    return " ".join(str(value) for value in data) + "\n"


class TextStreamRecorder(FilteredRecorder):
    """The TextStreamRecorder is a simple recorder that formats and writes
    the records directly to a text stream (``sys.stdout``, ``io.StringIO``,
    an open file).

    Parameters
    ----------
    text_stream : TextIOBase
        The stream to write to.
    filter_ : callable, pikos.filter() object or list of them
        Keeps the records for which it returns True.
    formatted : bool
        Use the records' ``header``/``line`` templates (default False:
        values separated by one space).
    auto_flush : bool
        Flush the stream after every record (default False).
    """

    def __init__(self, text_stream, filter_=None, formatted=False,
                 auto_flush=False):
        super().__init__(filter_)
        self._stream = text_stream
        self._formatted = formatted
        self._auto_flush = auto_flush
        self._ready = False

    @property
    def ready(self):
        """Is the recorder ready to accept data (prepared)?"""
        return self._ready

    def prepare(self, record):
        """Write the header of the record class the first time it is called.

        Parameters
        ----------
        record : type
            The record class.
        """
        if not self._ready:
            self._write_header(record)
            self._ready = True

    def finalize(self):
        """Finalize the recorder: flush the stream.

        Raises
        ------
        RecorderError :
            Raised if the recorder has not been prepared.
        """
        self._require_prepared()
        self._stream.flush()

    def _write_header(self, record_class):
        header = _header(record_class, self._formatted)
        if header is None:
            return
        self._stream.write(header + "\n" + "-" * len(header) + "\n")
        if self._auto_flush:
            self._stream.flush()

    def _write(self, data):
        self._stream.write(format_record(data, self._formatted))
        if self._auto_flush:
            self._stream.flush()


class TextFileRecorder(TextStreamRecorder):
    """A TextStreamRecorder that writes the file `filename`.

    Inside a monitor the C recorder recorders/text writes the file (it is
    created when the monitor first starts).  Called directly, the file is
    opened by prepare() and closed by finalize().

    Parameters
    ----------
    filename : str or os.PathLike
        The file to write (a relative name is taken from the current
        directory when the recorder is made).
    filter_, formatted, auto_flush :
        As for TextStreamRecorder.
    """

    def __init__(self, filename, filter_=None, formatted=False,
                 auto_flush=False):
        super().__init__(None, filter_=filter_, formatted=formatted,
                         auto_flush=auto_flush)
        self._filename = os.path.abspath(os.fspath(filename))
        self._opened = False

    def prepare(self, record):
        """Open the file (again, for appending, after a finalize) and
        write the header the first time."""
        if self._stream is None or self._stream.closed:
            mode = "a" if self._opened else "w"
            self._stream = open(self._filename, mode, **FILE_ENCODING)
            self._opened = True
        super().prepare(record)

    @property
    def ready(self):
        """Is the recorder ready to accept data (prepared, file open)?"""
        return self._ready and not self._stream.closed

    def finalize(self):
        """Flush and close the file.

        Raises
        ------
        RecorderError :
            Raised if the recorder has not been prepared.
        """
        self._require_prepared()
        self._stream.close()

    def _add_writer(self, builder):
        builder.add("recorders/text", {"filename": self._filename,
                                       "formatted": bool(self._formatted),
                                       "auto_flush": bool(self._auto_flush)})
