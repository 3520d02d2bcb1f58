"""Publishes a planned sequence of pikos wire-format v1 messages with pyzmq.

usage: watch_publish.py ENDPOINT PLAN.json [--connect] [--hold]
                        [--curve SECRET_KEY]

A stand-in for a program running recorders/zmq, independent of it, for the
tests of `pikos watch`.  The plan is a JSON list of steps:
  {"frames": ["pikos.schema", "{...}"]}   one message; each frame a string
                                           (UTF-8) or {"hex": "..."} (bytes)
  {"sleep": 0.2}                           a pause, in seconds
An XPUB socket binds ENDPOINT (prints the endpoint it bound, e.g. with
port "*", as its first line) or, with --connect, connects to it; either way
it waits for a subscription before the first step.  With --hold it then
re-sends every schema message of the plan each 0.5 s until the subscriber
leaves, as a live program does.  With --curve it is a CURVE server with
that secret key (Z85), as recorders/zmq:curve_server=true is.
"""
import json
import sys
import time

import zmq

WAIT = 20.0  # seconds to wait for a subscriber before giving up


def frame_bytes(frame):
    """A plan frame as the bytes to send."""
    if isinstance(frame, dict):
        return bytes.fromhex(frame["hex"])
    return frame.encode("utf-8")


def wait_for(socket, wanted):
    """Waits for a (un)subscription message: 1 subscribe, 0 unsubscribe."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if socket.poll(100):
            message = socket.recv()
            if message[:1] == bytes([wanted]):
                return True
    return False


def hold(socket, schemas):
    """Re-sends the schemas every 0.5 s until the subscriber leaves."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for frames in schemas:
            socket.send_multipart(frames)
        if socket.poll(500) and socket.recv()[:1] == b"\x00":
            return


def main():
    endpoint, plan_path = sys.argv[1], sys.argv[2]
    options = sys.argv[3:]
    with open(plan_path, encoding="utf-8") as stream:
        plan = json.load(stream)
    context = zmq.Context()
    socket = context.socket(zmq.XPUB)
    socket.setsockopt(zmq.LINGER, 2000)
    if "--curve" in options:
        socket.curve_server = True
        socket.curve_secretkey = options[options.index("--curve") + 1].encode()
    if "--connect" in options:
        socket.connect(endpoint)
    else:
        socket.bind(endpoint)
        print(socket.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
    if not wait_for(socket, 1):
        sys.exit("watch_publish.py: no subscriber came")
    schemas = []
    for step in plan:
        if "sleep" in step:
            time.sleep(step["sleep"])
            continue
        frames = [frame_bytes(f) for f in step["frames"]]
        if frames[0] == b"pikos.schema":
            schemas.append(frames)
        socket.send_multipart(frames)
    if "--hold" in options:
        hold(socket, schemas)
    socket.close()
    context.term()


if __name__ == "__main__":
    main()
