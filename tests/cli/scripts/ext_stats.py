"""The oracle of the external profiler tests, run with the interpreter
pikos embeds:

    ext_stats.py direct SCRIPT OUT.json   cProfile used directly on SCRIPT
    ext_stats.py load FILE OUT.json       a pstats file read by pstats

writes {"filename:lineNo:function": [primitive calls, calls, tottime,
cumtime]} as pstats holds them."""
import cProfile
import json
import pstats
import sys


def run_directly(script):
    """Profiles SCRIPT run as __main__ (as pikos runs it), nothing else."""
    with open(script, "rb") as stream:
        code = compile(stream.read(), script, "exec")
    profiler = cProfile.Profile()
    profiler.enable()
    exec(code, {"__name__": "__main__", "__file__": script})
    profiler.disable()
    return pstats.Stats(profiler)


def as_json(stats):
    """pstats' table as a JSON-friendly dict."""
    return {f"{filename}:{line}:{name}": [cc, nc, tt, ct]
            for (filename, line, name), (cc, nc, tt, ct, _)
            in stats.stats.items()}


def main():
    mode, source, out = sys.argv[1:4]
    stats = run_directly(source) if mode == "direct" else pstats.Stats(source)
    with open(out, "w", encoding="utf-8") as stream:
        json.dump(as_json(stats), stream)


if __name__ == "__main__":
    main()
