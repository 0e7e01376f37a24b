#!/usr/bin/env bash
# Test worker (opsflow WorkerScriptsIT): fails the documented way, exit 3 and {"ok":false,"error":...}.
set -euo pipefail
echo "fails: about to fail" >&2
printf '{"ok":false,"error":"boom: %s"}\n' "${1:-no reason}"
exit 3
