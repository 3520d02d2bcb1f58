# pikos's boot module for an interpreter pikos was not built for.
#
# The pikos command puts this directory first in PYTHONPATH so that the
# interpreter loads pikos (sitecustomize<its extension suffix>, see
# boot.c).  An interpreter that finds no build of its own finds this file
# instead: it names the interpreter, says how to build pikos for it, and
# ends with status 2 before the program starts.
import os
import sys

if os.environ.get("PIKOS_SUPERVISOR_FD"):
    _here = os.path.dirname(os.path.abspath(__file__))
    # sitecustomize.cpython-311-x86_64-linux-gnu.so -> 3.11
    _built = sorted(
        "%s.%s" % (version[0], version[1:]) for version in
        (name.split(".")[1].split("-")[1] for name in os.listdir(_here)
         if name.startswith("sitecustomize.cpython-"))
        if version.isdigit())
    sys.stderr.write(
        "pikos: %s is Python %d.%d, which this pikos was not built for "
        "(built for: %s); build and install pikos for it: "
        "./configure PYTHON=%s && make && make install\n"
        % (sys.executable, sys.version_info[0], sys.version_info[1],
           ", ".join(_built) or "none", sys.executable))
    sys.stderr.flush()
    os._exit(2)
