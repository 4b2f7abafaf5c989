#!/bin/sh
# Regenerates configure and Makefile.in from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
autoreconf -fi
# automake does not copy its TAP driver by itself; the tests speak TAP.
for d in /usr/share/automake-*; do
    if [ -f "$d/tap-driver.sh" ]; then cp "$d/tap-driver.sh" build-aux/; break; fi
done
test -f build-aux/tap-driver.sh || { echo "autogen.sh: automake's tap-driver.sh not found (apt-get install automake)" >&2; exit 1; }
