#!/usr/bin/env bash
# Test worker (opsflow WorkerScriptsIT): counts its runs in the file $1, then exits 127 the way a script whose own
# command is missing does ({"ok":false,...}): it ran, so it must not be run once more.
set -euo pipefail
printf 'ran\n' >>"$1"
printf '{"ok":false,"error":"a command of mine is missing"}\n'
exit 127
