#!/usr/bin/env bash
# health-probe.sh: GET a URL until it answers the expected status (and optionally contains a text).
#
# Usage:
#   health-probe.sh --url URL [--expect-status 200] [--retries N] [--interval SECS] [--timeout SECS]
#                   [--expect-body TEXT]
#
#   --url            http(s) URL, e.g. http://127.0.0.1:8080/health
#   --expect-status  HTTP status that counts as healthy (default 200)
#   --retries        attempts before giving up (default 1)
#   --interval       seconds between attempts, decimals allowed (default 1)
#   --timeout        seconds per request (default 5)
#   --expect-body    the body must also contain this text, e.g. '"version":"1.1.0"'
#
# Result (one JSON line on stdout):
#   {"ok":true|false,"url":..,"status":200|null,"expectedStatus":200,"attempts":n,"body":"first 2000 chars",
#    "elapsedMs":n}            (ok:false also has "error")
# Exit codes: 0 healthy, 1 not healthy after all attempts, 2 invalid arguments.

set -euo pipefail
set -o errtrace
SCRIPT='health-probe.sh'

# @include lib/common.sh

url="" expect_status=200 retries=1 interval=1 timeout=5 expect_body="" expect_body_set=false
while (($#)); do
  case $1 in
    --url) need_value "$@"; url=$2; shift 2 ;;
    --expect-status) need_value "$@"; expect_status=$2; shift 2 ;;
    --retries) need_value "$@"; retries=$2; shift 2 ;;
    --interval) need_value "$@"; interval=$2; shift 2 ;;
    --timeout) need_value "$@"; timeout=$2; shift 2 ;;
    --expect-body) need_value "$@"; expect_body=$2; expect_body_set=true; shift 2 ;;
    *) help_or_unknown "$1" ;;
  esac
done

is_url "$url" || usage_error "invalid --url (http(s) URL expected): $url"
[[ $expect_status =~ ^[1-5][0-9][0-9]$ ]] || usage_error "invalid --expect-status: $expect_status"
[[ $retries =~ ^[1-9][0-9]{0,3}$ ]] || usage_error "invalid --retries (1-9999): $retries"
is_seconds "$interval" || usage_error "invalid --interval (seconds): $interval"
[[ $timeout =~ ^[1-9][0-9]{0,3}$ ]] || usage_error "invalid --timeout (1-9999 seconds): $timeout"
if [[ $expect_body_set == true ]]; then
  [[ -n $expect_body && ${#expect_body} -le 500 && $expect_body != *[[:cntrl:]]* ]] ||
    usage_error "invalid --expect-body (1-500 characters without control characters)"
fi

body_file=$(mktemp "${TMPDIR:-/tmp}/health-probe.XXXXXX")
cleanup_add "$body_file"
start=$(now_ms)
status="" body="" attempt=0 reason="" healthy=false
while ((attempt < retries)); do
  attempt=$((attempt + 1))
  : >"$body_file"
  status=$(curl -s -o "$body_file" -w '%{http_code}' --max-time "$timeout" "$url" 2>/dev/null) || true
  [[ $status =~ ^[1-9][0-9][0-9]$ ]] || status=""
  body=$(head -c 2000 -- "$body_file" | tr -d '\000')
  if [[ $status == "$expect_status" ]]; then
    if [[ $expect_body_set == false || $(tr -d '\000' <"$body_file") == *"$expect_body"* ]]; then
      healthy=true
      break
    fi
    reason="body does not contain $expect_body"
  elif [[ -z $status ]]; then
    reason="no HTTP answer"
  else
    reason="status $status"
  fi
  printf 'attempt %s/%s: %s: %s\n' "$attempt" "$retries" "$url" "$reason" >&2
  if ((attempt < retries)); then sleep "$interval"; fi
done
result=(url s "$url" status n "$status" expectedStatus n "$expect_status" attempts n "$attempt" body s "$body"
  elapsedMs n "$(($(now_ms) - start))")
[[ $healthy == true ]] || fail 1 "$url not healthy after $attempt attempt(s): $reason" "${result[@]}"
emit ok b true "${result[@]}"
