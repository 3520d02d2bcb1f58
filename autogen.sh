#!/bin/sh
# Regenerates the build system: ./autogen.sh && ./configure && make && make check
# libltdl comes from the system (Debian: libltdl-dev), so libtoolize is run
# without --ltdl and no copy of libltdl enters the tree.
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
libtoolize --install --copy --force --quiet
aclocal -I m4 --install
autoconf
autoheader
automake --add-missing --copy --force-missing
