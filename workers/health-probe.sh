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

# >>> common: identical in every workers/*.sh (each script is uploaded alone, so it cannot source a library)
exec 3>&1 1>&2 # fd 3 carries the one JSON result line; everything else written to stdout goes to stderr
_emitted=0
_err_line=""
_err_cmd=""
_cleanup=()

# json_str VALUE: prints VALUE as a JSON string literal (other control characters are dropped)
json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  s=${s//[[:cntrl:]]/}
  printf '"%s"' "$s"
}

# emit KEY TYPE VALUE ...: writes the result object once. TYPE: s string, z string or null when empty,
# n integer or null, f decimal number or null, b boolean, j JSON produced by this script (null when empty)
emit() {
  local out="" sep="" k t v
  ((_emitted == 0)) || return 0
  while (($# >= 3)); do
    k=$1 t=$2 v=$3
    shift 3
    case $t in
      s) v=$(json_str "$v") ;;
      z) if [[ -z $v ]]; then v=null; else v=$(json_str "$v"); fi ;;
      n) [[ $v =~ ^-?(0|[1-9][0-9]*)$ ]] || v=null ;;
      f) [[ $v =~ ^-?(0|[1-9][0-9]*)(\.[0-9]+)?$ ]] || v=null ;;
      b) [[ $v == true ]] || v=false ;;
      j) [[ -n $v ]] || v=null ;;
      *) v=null ;;
    esac
    out+="$sep$(json_str "$k"):$v"
    sep=","
  done
  printf '{%s}\n' "$out" >&3
  _emitted=1
}

# fail EXIT_CODE MESSAGE [KEY TYPE VALUE ...]: reports {"ok":false,"error":MESSAGE,...} and exits
fail() {
  local code=$1 msg=$2
  shift 2
  printf '%s: error: %s\n' "$SCRIPT" "$msg" >&2
  emit ok b false error s "$msg" "$@"
  exit "$code"
}

# usage_error MESSAGE: invalid invocation, exit code 2, nothing has been changed
usage_error() {
  fail 2 "$1"
}

usage() {
  sed -n '2,/^$/{s/^# \{0,1\}//;p;}' "$0" >&2 || true
}

cleanup_add() {
  _cleanup+=("$1")
}

_on_err() {
  _err_line=$1
  _err_cmd=$2
}

_on_exit() {
  local rc=$?
  if ((${#_cleanup[@]})); then
    rm -rf -- "${_cleanup[@]}" 2>/dev/null || true
  fi
  if ((_emitted == 0)); then
    ((rc != 0)) || rc=1
    emit ok b false error s "unexpected failure (exit $rc) at line ${_err_line:-?}: ${_err_cmd:-?}"
  fi
  exit "$rc"
}
trap '_on_err "$LINENO" "$BASH_COMMAND"' ERR
trap _on_exit EXIT

# need_value "$@": the option in $1 must be followed by a non-empty value
need_value() {
  (($# >= 2)) || usage_error "option $1 needs a value"
  [[ -n $2 ]] || usage_error "option $1 needs a non-empty value"
}

is_name() { [[ $1 =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]]; }
is_version() { [[ $1 =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$ ]]; }
is_port() { [[ $1 =~ ^[1-9][0-9]{0,4}$ ]] && ((10#$1 <= 65535)); }
is_uint() { [[ $1 =~ ^(0|[1-9][0-9]{0,8})$ ]]; }
is_seconds() { [[ $1 =~ ^(0|[1-9][0-9]{0,5})(\.[0-9]{1,3})?$ ]]; }
is_sha256() { [[ $1 =~ ^[0-9a-fA-F]{64}$ ]]; }
is_path() { [[ $1 =~ ^/[A-Za-z0-9._/+@=:,~-]*$ && "$1/" != *"/../"* && "$1/" != *"/./"* && $1 != *//* ]]; }
is_url() {
  [[ $1 =~ ^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/%+=,@:-]*)?(\?[A-Za-z0-9._~%+=\&,/:-]*)?$ && $1 != *"/../"* ]]
}
is_host() { [[ $1 =~ ^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$ ]] || is_path "$1"; }

# expand_home VALUE: "~" and "~/x" refer to $HOME (SSH callers quote every argument, so the shell does not expand them)
expand_home() {
  local tilde='~'
  if [[ $1 == "$tilde" ]]; then
    printf '%s\n' "${HOME:-}"
  elif [[ $1 == "$tilde/"* ]]; then
    printf '%s\n' "${HOME:-}/${1#"$tilde/"}"
  else
    printf '%s\n' "$1"
  fi
}

now_iso() { date -u +%Y-%m-%dT%H:%M:%SZ; }
# now_ms: wall clock in milliseconds (bash 5 EPOCHREALTIME without forking; date otherwise)
now_ms() {
  if [[ -n ${EPOCHREALTIME:-} ]]; then
    local t=${EPOCHREALTIME/[.,]/}
    printf '%s\n' "${t:0:-3}"
  else
    date +%s%3N
  fi
}
file_sha256() { sha256sum -- "$1" | cut -d' ' -f1; }
file_size() { stat -c %s -- "$1"; }
# <<< common

url="" expect_status=200 retries=1 interval=1 timeout=5 expect_body="" expect_body_set=false
while (($#)); do
  case $1 in
    --url) need_value "$@"; url=$2; shift 2 ;;
    --expect-status) need_value "$@"; expect_status=$2; shift 2 ;;
    --retries) need_value "$@"; retries=$2; shift 2 ;;
    --interval) need_value "$@"; interval=$2; shift 2 ;;
    --timeout) need_value "$@"; timeout=$2; shift 2 ;;
    --expect-body) need_value "$@"; expect_body=$2; expect_body_set=true; shift 2 ;;
    -h | --help) usage; emit ok b true usage s "see the header of $SCRIPT"; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
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
