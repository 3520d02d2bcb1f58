"""Shared helpers of the Python API tests.

`make check` runs them through run-tests.sh with the configured
interpreter, PYTHONPATH holding $PIKOS_BUILDDIR/python/stage (the staged
package) and the environment tests/Makefile.inc exports: PIKOS_PLUGIN_PATH
(the built plugins), PIKOS_NO_DEFAULT_PATH=1, PIKOS_BIN, PIKOS_SRCDIR,
PIKOS_BUILDDIR.  Files are written in pytest's temporary directories only.
"""
import os
import subprocess
import sys

import pytest


def _required_env(name):
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run these tests with `make check`",
                    returncode=99)
    return value


PIKOS_SRCDIR = _required_env("PIKOS_SRCDIR")
PIKOS_BUILDDIR = _required_env("PIKOS_BUILDDIR")
PIKOS_BIN = _required_env("PIKOS_BIN")
STAGE = os.path.join(PIKOS_BUILDDIR, "python", "stage")
TIMEOUT = 120

import pikos  # noqa: E402 (after the environment check)

if not os.path.abspath(pikos.__file__).startswith(STAGE + os.sep):
    pytest.exit(f"pikos was imported from {pikos.__file__}, not from the "
                f"staged package in {STAGE}", returncode=99)


def run_python(code, cwd, env=None):
    """Runs `code` with this interpreter in a new process (for what is read
    at import, such as PIKOS_PLUGIN_PATH); returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)


class CallLog:
    """A Python recorder that keeps what it is told, in order."""

    def __init__(self):
        self.calls = []
        self.records = []

    def prepare(self, record_class):
        self.calls.append(("prepare", record_class))

    def record(self, record):
        self.records.append(record)

    def finalize(self):
        self.calls.append(("finalize",))


@pytest.fixture
def call_log():
    return CallLog()
