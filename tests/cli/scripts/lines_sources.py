"""Sources that are not a plain file beside the script (test_lines.py).

A module imported from a zip archive (zipimport gives its source), code
compiled from a string (no source: "<compiled string>"), and a module with
a latin-1 coding cookie.
"""
import os
import sys
import zipfile

here = os.path.dirname(os.path.abspath(__file__))
archive = os.path.join(here, "zipped.zip")
with zipfile.ZipFile(archive, "w") as z:
    z.writestr("zipped_module.py",
               "def double(x):  \n    y = x * 2\n    return y\n")
sys.path.insert(0, archive)
import zipped_module  # noqa: E402

namespace = {}
exec(compile("a = 1\nb = a + 1\n", "<generated>", "exec"), namespace)
import latin1_cookie  # noqa: E402,F401

values = [zipped_module.double(4), namespace["b"]]
