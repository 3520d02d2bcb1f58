"""The seed's recorders.

TextStreamRecorder and CSVRecorder write to Python streams; the file
recorders and ListRecorder run as C plugins inside a monitor (so the
records never become Python objects on the way); any AbstractRecorder
subclass, or object with prepare/record/finalize, works as well.
"""
from pikos.recorders.abstract_recorder import AbstractRecorder, RecorderError
from pikos.recorders.csv_recorders import CSVFileRecorder, CSVRecorder
from pikos.recorders.list_recorder import ListRecorder
from pikos.recorders.text_recorders import TextFileRecorder, \
    TextStreamRecorder
from pikos.recorders.zeromq_recorder import ZeroMQRecorder

__all__ = ["AbstractRecorder", "RecorderError", "TextStreamRecorder",
           "TextFileRecorder", "CSVRecorder", "CSVFileRecorder",
           "ListRecorder", "ZeroMQRecorder"]
