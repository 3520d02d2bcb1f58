"""What the pikos Python package is made of, for python/pikos_build.py
(the build backend of `pip install --no-build-isolation
/usr/local/share/pikos/python`): the seed's API, plugins by name, and the
_pikos extension, built against the libpikos `make install` installed,
which pkg-config finds (pikos-embed.pc).

The interpreter must be of the Python version pikos was built for
(libpikos is built against that version's headers).
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SUMMARY = "pikos: the original pikos API on the pikos C core"
PACKAGES = ["pikos", "pikos.monitors", "pikos.recorders", "pikos.filters",
            "pikos.external"]


def pkg_config(*args):
    """pkg-config's answer about pikos-embed, split into words."""
    try:
        return subprocess.run(["pkg-config", *args, "pikos-embed"],
                              check=True, capture_output=True,
                              text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        raise SystemExit("pikos: pkg-config does not find libpikos "
                         "(pikos-embed.pc): install pikos first (make "
                         "install), or set PKG_CONFIG_PATH to its "
                         "lib/pkgconfig") from None


VERSION = pkg_config("--modversion")[0]


def config_header():
    """The config.h the extension's sources include (PACKAGE_VERSION)."""
    directory = tempfile.mkdtemp(prefix="pikos-build-")
    with open(os.path.join(directory, "config.h"), "w") as header:
        header.write('#define PACKAGE_VERSION "%s"\n' % VERSION)
    return directory


def extension():
    """The _pikos extension, linked with the installed libpikos."""
    from setuptools import Extension
    sources = sorted(os.path.join(HERE, "_pikos", name)
                     for name in os.listdir(os.path.join(HERE, "_pikos"))
                     if name.endswith(".c"))
    libdir = pkg_config("--variable=libdir")[0]
    # libpikos-X.Y: the one built for this Python (docs/building.md).
    library = "pikos-%d.%d" % sys.version_info[:2]
    if not os.path.exists(os.path.join(libdir, "lib%s.so" % library)):
        raise SystemExit("pikos: %s has no lib%s.so: pikos is not installed "
                         "for Python %d.%d (./configure PYTHON=%s && make "
                         "install)" % (libdir, library, *sys.version_info[:2],
                                       sys.executable))
    return Extension(
        "pikos._pikos", sources=sources,
        include_dirs=[config_header(), os.path.join(HERE, "_pikos")] +
        [flag[2:] for flag in pkg_config("--cflags-only-I")],
        library_dirs=[libdir], libraries=[library],
        runtime_library_dirs=[libdir])
