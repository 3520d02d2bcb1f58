"""CSVRecorder and CSVFileRecorder: records as CSV rows.

A header row of field names, then one row per record, written by Python's
csv.writer: the same bytes as the C recorder recorders/csv writes (RFC
4180 quoting, rows ending in CRLF) when the csv options are the defaults.
"""
import csv
import io
import os

from pikos.recorders.filtered_recorder import FilteredRecorder
from pikos.recorders.text_recorders import FILE_ENCODING


class CSVRecorder(FilteredRecorder):
    """The CSV Recorder is a simple text based recorder that writes the
    record values with a csv writer.

    Parameters
    ----------
    stream : file
        A text stream to write to (``io.StringIO``, ``sys.stdout``, a file
        opened with ``newline=''``).
    filter_ : callable, pikos.filter() object or list of them
        Keeps the records for which it returns True.
    **csv_kwargs :
        Keyword arguments of ``csv.writer`` (e.g. ``delimiter=';'``).
    """

    def __init__(self, stream, filter_=None, **csv_kwargs):
        super().__init__(filter_)
        self._stream = stream
        self._writer = csv.writer(stream, **csv_kwargs)
        self._ready = False

    @property
    def ready(self):
        """Is the recorder ready to accept data (prepared)?"""
        return self._ready

    def prepare(self, record):
        """Write the header row the first time it is called."""
        if not self._ready:
            fields = getattr(record, "_fields", None)
            if fields is not None:
                self._writer.writerow(fields)
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

    def _write(self, data):
        self._writer.writerow(data)


def _plugin_delimiter(csv_kwargs):
    """The delimiter option of recorders/csv for these csv options, or None
    when only Python's csv.writer writes what they ask for."""
    if not csv_kwargs:
        return ","
    delimiter = csv_kwargs.get("delimiter")
    if list(csv_kwargs) == ["delimiter"] and isinstance(delimiter, str) \
            and len(delimiter) == 1 and delimiter not in '"\r\n':
        return delimiter
    return None


class CSVFileRecorder(CSVRecorder):
    """A CSVRecorder that writes the file `filename`.

    Inside a monitor, with no csv options or only ``delimiter``, the C
    recorder recorders/csv writes the file (created when the monitor first
    starts); with other csv options, Python's csv.writer does.  Called
    directly, the file is opened by prepare() and closed by finalize().

    Parameters
    ----------
    filename : str or os.PathLike
        The file to write (a relative name is taken from the current
        directory when the recorder is made).
    filter_ :
        As for CSVRecorder.
    **csv_kwargs :
        Keyword arguments of ``csv.writer``.
    """

    def __init__(self, filename, filter_=None, **csv_kwargs):
        # Checks the csv options now, as the seed's writer did.
        super().__init__(io.StringIO(), filter_=filter_, **csv_kwargs)
        self._filename = os.path.abspath(os.fspath(filename))
        self._csv_kwargs = csv_kwargs
        self._stream = None
        self._opened = False

    @property
    def ready(self):
        """Is the recorder ready to accept data (prepared, file open)?"""
        return self._ready and not self._stream.closed

    def prepare(self, record):
        """Open the file (again, for appending, after a finalize) and
        write the header row the first time."""
        if self._stream is None or self._stream.closed:
            mode = "a" if self._opened else "w"
            self._stream = open(self._filename, mode, newline="",
                                **FILE_ENCODING)
            self._writer = csv.writer(self._stream, **self._csv_kwargs)
            self._opened = True
        super().prepare(record)

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
        delimiter = _plugin_delimiter(self._csv_kwargs)
        if delimiter is None:
            super()._add_writer(builder)
        else:
            builder.add("recorders/csv", {"filename": self._filename,
                                          "delimiter": delimiter})
