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

# @include lib/common.sh

# @include lib/lb.sh

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
    add | remove | drain | undrain | status) one_action "$1"; shift ;;
    *) help_or_unknown "$1" ;;
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

path="/_lb/pools/$pool/backends/$backend"
if [[ $action == drain || $action == undrain ]]; then
  # one read of the pool: before the action (GET), after it from the action's answer (the pool, docs/contracts.md)
  lb_act "$pool" "$backend" POST "$path/$action"
  lb_set "$lb_before_line"
else
  lb_read "$pool" "$backend"
fi
before="$lb_present|$lb_state|$lb_url|$lb_color"
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
    lb_require_2xx "$action of $backend in pool $pool"
    if [[ $lb_after_line == "?" ]]; then lb_read "$pool" "$backend"; else lb_set "$lb_after_line"; fi
    ;;
  status) ;;
esac

if [[ $action == add || $action == remove ]]; then
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
