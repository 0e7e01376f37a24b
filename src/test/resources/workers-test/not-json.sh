#!/usr/bin/env bash
# Test worker (opsflow WorkerScriptsIT): breaks the protocol, its last stdout line is not JSON.
set -euo pipefail
echo '{"ok":true}'
echo "done, all fine"
echo "a diagnostic" >&2
