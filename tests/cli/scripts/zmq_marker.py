"""Creates the file `ran` in the current directory: the proof that the
program ran (recorders/zmq tests of a start that fails)."""
with open("ran", "w") as stream:
    stream.write("ran\n")
