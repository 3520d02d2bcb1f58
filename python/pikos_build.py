"""The PEP 517 build backend of the pikos package: setuptools compiles the
_pikos extension against the installed libpikos (pkg-config finds it, see
setup.py), and the standard library packs the wheel, so that

    pip install --no-build-isolation /usr/local/share/pikos/python

needs nothing the environment does not have (setuptools only, which a
Python 3.11 venv has; no `wheel` package, no download).
"""
import base64
import hashlib
import os
import sys
import sysconfig
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import setup as package  # noqa: E402  (the name, version and extension)

NAME = "pikos"


def _tag():
    """cp311-cp311-linux_x86_64: this interpreter and platform."""
    python = "cp%d%d" % sys.version_info[:2]
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "%s-%s-%s" % (python, python, platform)


def _dist_info():
    return "%s-%s.dist-info" % (NAME, package.VERSION)


def _metadata_files():
    """(name, bytes) of the dist-info files other than RECORD."""
    metadata = ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
                "Summary: %s\n" % (NAME, package.VERSION, package.SUMMARY))
    wheel = ("Wheel-Version: 1.0\nGenerator: pikos_build\n"
             "Root-Is-Purelib: false\nTag: %s\n" % _tag())
    return [("METADATA", metadata.encode()), ("WHEEL", wheel.encode())]


def _compile_extension(build):
    """Builds _pikos into `build`; returns its path in the package."""
    from setuptools import Distribution
    dist = Distribution({"name": NAME, "ext_modules": [package.extension()]})
    command = dist.get_command_obj("build_ext")
    command.build_lib = build
    command.build_temp = os.path.join(build, "temp")
    command.ensure_finalized()
    command.run()
    return command.get_ext_filename("pikos._pikos")


def _package_files(build):
    """(path in the wheel, path on disk) of every file of the package."""
    files = []
    for package_dir in package.PACKAGES:
        directory = os.path.join(HERE, *package_dir.split("."))
        for name in sorted(os.listdir(directory)):
            if name.endswith(".py"):
                files.append(("%s/%s" % (package_dir.replace(".", "/"), name),
                              os.path.join(directory, name)))
    extension = _compile_extension(build)
    files.append((extension, os.path.join(build, extension)))
    return files


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return "%s,sha256=%s,%d\n" % (path, digest.rstrip(b"=").decode(),
                                  len(data))


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory,
                                     config_settings=None):
    directory = os.path.join(metadata_directory, _dist_info())
    os.makedirs(directory, exist_ok=True)
    for name, data in _metadata_files():
        with open(os.path.join(directory, name), "wb") as stream:
            stream.write(data)
    return _dist_info()


def build_wheel(wheel_directory, config_settings=None,
                metadata_directory=None):
    wheel_name = "%s-%s-%s.whl" % (NAME, package.VERSION, _tag())
    record = []
    with tempfile.TemporaryDirectory() as build, \
            zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w",
                            zipfile.ZIP_DEFLATED) as wheel:
        for arcname, path in _package_files(build):
            with open(path, "rb") as stream:
                data = stream.read()
            wheel.writestr(arcname, data)
            record.append(_record_line(arcname, data))
        for name, data in _metadata_files():
            arcname = "%s/%s" % (_dist_info(), name)
            wheel.writestr(arcname, data)
            record.append(_record_line(arcname, data))
        record.append("%s/RECORD,,\n" % _dist_info())
        wheel.writestr("%s/RECORD" % _dist_info(), "".join(record))
    return wheel_name
