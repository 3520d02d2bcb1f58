"""ZeroMQRecorder: the C recorder recorders/zmq.  Without that plugin,
making one is the core's clear LookupError; with it, a subscriber gets
the records the oracle expects."""
import json
import socket
import subprocess
import sys
import textwrap

import pytest

import oracle
import pikos
import workloads
from conftest import TIMEOUT
from pikos.monitors.api import FocusedFunctionMonitor
from pikos.recorders.api import RecorderError, ZeroMQRecorder

HAVE_PLUGIN = "recorders/zmq" in {p.name for p in pikos.plugins()}

# A subscriber in any Python that has pyzmq (the wire format is JSON).
SUBSCRIBER = textwrap.dedent("""
    import json, sys, zmq
    sub = zmq.Context().socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.setsockopt(zmq.RCVTIMEO, 30000)
    sub.connect(sys.argv[1])
    rows = []
    while True:
        topic, body = sub.recv_multipart()
        if topic == b"pikos.records":
            rows.extend(json.loads(body)["records"])
        elif topic == b"pikos.end":
            break
    print(json.dumps(rows))
""")


def python_with_pyzmq():
    for python in (sys.executable, "/usr/bin/python3"):
        found = subprocess.run([python, "-c", "import zmq"],
                               capture_output=True, timeout=TIMEOUT)
        if found.returncode == 0:
            return python
    return None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(HAVE_PLUGIN, reason="recorders/zmq is built")
def test_without_the_plugin():
    with pytest.raises(LookupError, match="unknown plugin 'recorders/zmq'"):
        ZeroMQRecorder()


@pytest.mark.skipif(not HAVE_PLUGIN, reason="recorders/zmq is not built")
def test_publishes_the_records():
    python = python_with_pyzmq()
    if python is None:
        pytest.skip("no Python with pyzmq for the subscriber")
    port = free_port()
    subscriber = subprocess.Popen(
        [python, "-c", SUBSCRIBER, f"tcp://127.0.0.1:{port}"],
        stdout=subprocess.PIPE, text=True)
    try:
        recorder = ZeroMQRecorder(zmq_port=port, ready_timeout=20.0)
        with FocusedFunctionMonitor(recorder, functions=[workloads.gcd]):
            workloads.recursive()
        out, _ = subscriber.communicate(timeout=TIMEOUT)
    finally:
        subscriber.kill()
    assert subscriber.returncode == 0
    expected = oracle.focused_function_events([workloads.gcd],
                                              workloads.recursive)
    assert [tuple(row) for row in json.loads(out)] == expected


@pytest.mark.skipif(not HAVE_PLUGIN, reason="recorders/zmq is not built")
def test_options_and_direct_use():
    with pytest.raises(TypeError, match=r"\[recorders/zmq\] option 'port'"):
        ZeroMQRecorder(zmq_port=1.5)
    with pytest.raises(ValueError, match=r"\[recorders/zmq\] unknown option"):
        ZeroMQRecorder(bogus=1)
    recorder = ZeroMQRecorder(zmq_port=free_port(), wait_for_ready=False)
    with pytest.raises(RecorderError, match="inside a monitor"):
        recorder.record(None)
