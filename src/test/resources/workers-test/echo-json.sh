#!/usr/bin/env bash
# Test worker (opsflow WorkerScriptsIT): echoes its arguments back as one JSON line.
# Usage: echo-json.sh [ARG...]   (arguments must not contain control characters other than \n \r \t)
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true

json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

echo "echo-json: $# argument(s)" >&2
echo "progress: working"
out='{"ok":true,"argc":'"$#"',"args":['
sep=''
for a in "$@"; do
  out+="$sep$(json_string "$a")"
  sep=','
done
out+=']}'
printf '%s\n' "$out"
