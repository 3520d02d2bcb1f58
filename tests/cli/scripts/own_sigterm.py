"""Installs its own SIGTERM handler, then receives SIGTERM."""
import os
import signal
import sys


def on_term(signum, frame):
    print("handled", signum)
    sys.exit(0)


signal.signal(signal.SIGTERM, on_term)
os.kill(os.getpid(), signal.SIGTERM)
