"""Prints, as JSON, what a program sees of how it was started."""
import json
import sys

print(json.dumps({
    "argv": sys.argv,
    "path0": sys.path[0],
    "file": __file__,
    "co_filename": sys._getframe().f_code.co_filename,
    "name": __name__,
    "cached": __cached__,
    "loader": type(__loader__).__name__,
    "package": __package__,
    "spec": None if __spec__ is None else __spec__.name,
    "executable": sys.executable,
    "main_is_this_module": sys.modules["__main__"].__dict__ is globals(),
}))
