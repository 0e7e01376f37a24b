#!/usr/bin/env bash
# lb-ctl.sh: add, remove, drain, undrain or report one backend of a load balancer pool (admin API of docs/contracts.md:
# the sandbox load balancer, or an adapter in front of HAProxy's Data Plane API on real hosts).
#
# Usage:
#   lb-ctl.sh --api URL --pool APP --backend ID [--url http://HOST:PORT] [--color blue|green]
#             [--wait-healthy SECS] [--wait-idle SECS] [--timeout SECS] add|remove|drain|undrain|status
#
#   --api           admin API base URL, e.g. http://127.0.0.1:9100
#   --pool          pool name (the application), --backend backend id (e.g. the host name or host-color)
#   --url --color   for add: where the backend listens and its color (blue-green); PUT is idempotent
#   --wait-healthy  after add/undrain, wait up to SECS until the load balancer reports the backend healthy
#   --wait-idle     after drain, wait up to SECS until the backend has no request in flight (the load balancer's
#                   inFlight count); still busy after SECS is reported ("idle":false), not an error: the caller
#                   decides. An API without the count gives "idle":null at once (the caller falls back to a delay).
#   --timeout       seconds per API request (default 10)
#   remove of an absent backend is fine; drain/undrain of an absent backend is an error.
#
# Result (one JSON line on stdout):
#   {"ok":true,"pool":..,"backend":..,"action":..,"present":true|false,"state":"active|drained"|null,
#    "healthy":true|false|null,"url":..|null,"color":..|null,"active":"blue|green"|null,"changed":true|false,
#    "inFlight":N|null,"idle":true|false|null (idle only with --wait-idle; "waitedMs":N how long it waited)}
# Exit codes: 0 ok, 1 failed, 2 invalid arguments (nothing was changed).

set -euo pipefail
set -o errtrace
SCRIPT='lb-ctl.sh'

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

# >>> lb: identical in lb-ctl.sh and lb-switch.sh
lb_api="" lb_timeout=10 lb_status="" lb_body_file=""

# lb_call METHOD PATH [JSON_BODY]: calls the load balancer admin API; sets lb_status and lb_body_file
lb_call() {
  local -a args
  if [[ -z $lb_body_file ]]; then
    lb_body_file=$(mktemp "${TMPDIR:-/tmp}/lb.XXXXXX")
    cleanup_add "$lb_body_file"
  fi
  : >"$lb_body_file"
  args=(-s -o "$lb_body_file" -w '%{http_code}' --max-time "$lb_timeout" -X "$1")
  if (($# >= 3)); then
    args+=(-H 'Content-Type: application/json' --data-binary "$3")
  fi
  lb_status=$(curl "${args[@]}" "$lb_api$2" 2>/dev/null) || true
  [[ $lb_status =~ ^[1-9][0-9][0-9]$ ]] || lb_status=""
  printf '%s %s -> %s\n' "$1" "$lb_api$2" "${lb_status:-no HTTP answer}" >&2
}

lb_body_excerpt() {
  head -c 300 -- "$lb_body_file" 2>/dev/null | tr -d '\000' || true
}

# lb_require_2xx WHAT: fails unless the last call answered 2xx
lb_require_2xx() {
  if [[ ! $lb_status =~ ^2 ]]; then
    local excerpt
    excerpt=$(lb_body_excerpt)
    fail 1 "$1 failed: ${lb_status:-no HTTP answer from $lb_api}${excerpt:+: $excerpt}" pool s "$pool"
  fi
}

# lb_read POOL [BACKEND] [COLOR]: GET /_lb/pools and set lb_pool_present lb_present lb_state lb_healthy lb_url
# lb_color lb_inflight (requests the backend is serving; empty when the API does not count them) lb_active lb_backends
# lb_ready (backends of COLOR, or of any color, that are healthy and not drained)
lb_read() {
  local line
  lb_call GET /_lb/pools
  lb_require_2xx "GET /_lb/pools"
  line=$(python3 -c '
import json, sys
pool, backend, color = sys.argv[1], sys.argv[2], sys.argv[3]
def s(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return "".join(c for c in str(v) if c >= " " and c != "\x1f")
try:
    with open(sys.argv[4], encoding="utf-8") as f:
        data = json.load(f)
except ValueError as e:
    sys.exit("the load balancer API answered invalid JSON: %s" % e)
p = (data.get("pools") or {}).get(pool) if isinstance(data, dict) else None
if not isinstance(p, dict):
    print("\x1f".join(["false", "false", "", "", "", "", "", "", "0", "0"]))
    sys.exit(0)
backends = [b for b in (p.get("backends") or []) if isinstance(b, dict)]
b = next((x for x in backends if x.get("id") == backend), None) if backend else None
ready = [x for x in backends if x.get("healthy") is True and x.get("state", "active") == "active"
         and (not color or x.get("color") == color)]
fields = ["true", "true" if b else "false"]
fields += [s(b.get(k)) for k in ("state", "healthy", "url", "color")] if b else ["", "", "", ""]
n = b.get("inFlight") if b else None
fields.append(str(n) if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else "")
fields += [s(p.get("active")), str(len(backends)), str(len(ready))]
print("\x1f".join(fields))
' "$1" "${2:-}" "${3:-}" "$lb_body_file") || fail 1 "could not read the pools of $lb_api (python3 needed)" pool s "$1"
  # shellcheck disable=SC2034 # each script uses some of them
  IFS=$'\x1f' read -r lb_pool_present lb_present lb_state lb_healthy lb_url lb_color lb_inflight lb_active lb_backends \
    lb_ready <<<"$line"
}
# <<< lb

api="" pool="" backend="" url="" color="" action="" wait_healthy=0 wait_idle=""
while (($#)); do
  case $1 in
    --api) need_value "$@"; api=$2; shift 2 ;;
    --pool) need_value "$@"; pool=$2; shift 2 ;;
    --backend) need_value "$@"; backend=$2; shift 2 ;;
    --url) need_value "$@"; url=$2; shift 2 ;;
    --color) need_value "$@"; color=$2; shift 2 ;;
    --wait-healthy) need_value "$@"; wait_healthy=$2; shift 2 ;;
    --wait-idle) need_value "$@"; wait_idle=$2; shift 2 ;;
    --timeout) need_value "$@"; lb_timeout=$2; shift 2 ;;
    add | remove | drain | undrain | status)
      [[ -z $action ]] || usage_error "only one action expected, got $action and $1"
      action=$1
      shift
      ;;
    -h | --help) usage; emit ok b true usage s "see the header of $SCRIPT"; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

is_url "$api" || usage_error "invalid --api (http(s) URL expected): $api"
is_name "$pool" || usage_error "invalid --pool (expected ^[a-z0-9][a-z0-9-]{0,62}\$): $pool"
is_name "$backend" || usage_error "invalid --backend (expected ^[a-z0-9][a-z0-9-]{0,62}\$): $backend"
[[ -n $action ]] || usage_error "missing action: add, remove, drain, undrain or status"
if [[ $action == add ]]; then
  [[ $url =~ ^https?://[A-Za-z0-9.-]+:[0-9]{1,5}/?$ ]] || usage_error "add needs --url http://HOST:PORT, got: $url"
else
  [[ -z $url ]] || usage_error "--url is only used by add"
fi
[[ -z $color || $color == blue || $color == green ]] || usage_error "invalid --color (blue or green): $color"
[[ $wait_healthy =~ ^(0|[1-9][0-9]{0,3})$ ]] || usage_error "invalid --wait-healthy (0-9999 seconds): $wait_healthy"
if [[ -n $wait_idle ]]; then
  [[ $action == drain ]] || usage_error "--wait-idle is only used by drain"
  [[ $wait_idle =~ ^(0|[1-9][0-9]{0,3})$ ]] || usage_error "invalid --wait-idle (0-9999 seconds): $wait_idle"
fi
[[ $lb_timeout =~ ^[1-9][0-9]{0,3}$ ]] || usage_error "invalid --timeout (1-9999 seconds): $lb_timeout"
lb_api=${api%/}
url=${url%/}

lb_read "$pool" "$backend"
before="$lb_present|$lb_state|$lb_url|$lb_color"
path="/_lb/pools/$pool/backends/$backend"
case $action in
  add)
    body="{\"url\":$(json_str "$url"),\"color\":"
    if [[ -n $color ]]; then body+="$(json_str "$color")}"; else body+="null}"; fi
    lb_call PUT "$path" "$body"
    lb_require_2xx "adding $backend ($url) to pool $pool"
    ;;
  remove)
    if [[ $lb_present == true ]]; then
      lb_call DELETE "$path"
      [[ $lb_status == 404 ]] || lb_require_2xx "removing $backend from pool $pool"
    fi
    ;;
  drain | undrain)
    [[ $lb_present == true ]] || fail 1 "pool $pool has no backend $backend" pool s "$pool" backend s "$backend" \
      action s "$action" present b false
    lb_call POST "$path/$action"
    lb_require_2xx "$action of $backend in pool $pool"
    ;;
  status) ;;
esac

if [[ $action != status ]]; then
  lb_read "$pool" "$backend"
fi
if [[ $wait_healthy != 0 && ($action == add || $action == undrain) ]]; then
  deadline=$(($(now_ms) + wait_healthy * 1000))
  while [[ $lb_healthy != true ]] && (($(now_ms) < deadline)); do
    sleep 0.5
    lb_read "$pool" "$backend"
  done
fi
idle="" waited_ms=""
if [[ -n $wait_idle && $lb_present == true ]]; then
  started=$(now_ms)
  deadline=$((started + wait_idle * 1000))
  while [[ -n $lb_inflight && $lb_inflight != 0 ]] && (($(now_ms) < deadline)); do
    sleep 0.2
    lb_read "$pool" "$backend"
  done
  waited_ms=$(($(now_ms) - started))
  if [[ -z $lb_inflight ]]; then
    printf '%s: the load balancer does not report in-flight requests for %s\n' "$SCRIPT" "$backend" >&2
  elif [[ $lb_inflight == 0 ]]; then
    idle=true
  else
    idle=false
    printf '%s: %s still has %s request(s) in flight after %ss\n' "$SCRIPT" "$backend" "$lb_inflight" "$wait_idle" >&2
  fi
fi
after="$lb_present|$lb_state|$lb_url|$lb_color"
changed=false
[[ $before == "$after" ]] || changed=true
healthy_json=""
[[ -z $lb_healthy ]] || healthy_json=$lb_healthy
result=(pool s "$pool" backend s "$backend" action s "$action" present b "$lb_present" state z "$lb_state"
  healthy j "$healthy_json" url z "$lb_url" color z "$lb_color" active z "$lb_active" changed b "$changed"
  inFlight n "$lb_inflight")
if [[ -n $wait_idle ]]; then
  result+=(idle j "$idle" waitedMs n "$waited_ms")
fi

case $action in
  add | undrain)
    [[ $lb_present == true ]] || fail 1 "$backend is not in pool $pool after $action" "${result[@]}"
    [[ $action == add || $lb_state != drained ]] || fail 1 "$backend is still drained" "${result[@]}"
    if [[ $wait_healthy != 0 && $lb_healthy != true ]]; then
      fail 1 "the load balancer does not report $backend healthy after ${wait_healthy}s" "${result[@]}"
    fi
    ;;
  remove) [[ $lb_present == false ]] || fail 1 "$backend is still in pool $pool" "${result[@]}" ;;
  drain) [[ $lb_state == drained ]] || fail 1 "$backend is not drained (state ${lb_state:-unknown})" "${result[@]}" ;;
esac
emit ok b true "${result[@]}"
