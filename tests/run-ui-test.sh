#!/bin/sh
# run-ui-test.sh: runs a ui test under a private X server and D-Bus session.
#
# Usage: tests/run-ui-test.sh TEST [ARGS...]
# Without xvfb-run or dbus-run-session the test is skipped (TAP "1..0 # SKIP").
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

for tool in xvfb-run dbus-run-session; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "1..0 # SKIP $tool is not installed (apt-get install xvfb xauth dbus)"
    exit 0
  fi
done

# GTK must not try Wayland or a real display; the renderer is the GL-free cairo one so
# screenshots look the same on every machine.
unset WAYLAND_DISPLAY
export GDK_BACKEND=x11
export GSK_RENDERER=${GSK_RENDERER:-cairo}
export NO_AT_BRIDGE=1
export GTK_A11Y=none
exec xvfb-run -a -s "-screen 0 1600x1000x24 -nolisten tcp" dbus-run-session -- "$@"
