#!/usr/bin/env bash
# lb-switch.sh: send a pool's traffic to the blue or the green backends (blue-green cut-over and its rollback).
#
# Usage:
#   lb-switch.sh --api URL --pool APP --to blue|green [--force] [--timeout SECS]
#
#   --api      admin API base URL of the load balancer, e.g. http://127.0.0.1:9100
#   --to       the color that gets the traffic
#   --force    switch even when no backend of that color is healthy (otherwise refused: nothing changes)
#   --timeout  seconds per API request (default 10)
# Switching to the color that is already active changes nothing (still checks its backends).
#
# Result (one JSON line on stdout):
#   {"ok":true,"pool":..,"previous":"blue|green"|null,"active":"green","changed":true|false,"readyBackends":n}
# Exit codes: 0 ok, 1 failed (e.g. no healthy backend of that color), 2 invalid arguments.

set -euo pipefail
set -o errtrace
SCRIPT='lb-switch.sh'

# @include lib/common.sh

# @include lib/lb.sh

api="" pool="" to="" force=false
while (($#)); do
  case $1 in
    --api) need_value "$@"; api=$2; shift 2 ;;
    --pool) need_value "$@"; pool=$2; shift 2 ;;
    --to) need_value "$@"; to=$2; shift 2 ;;
    --force) force=true; shift ;;
    --timeout) need_value "$@"; lb_timeout=$2; shift 2 ;;
    *) help_or_unknown "$1" ;;
  esac
done

is_url "$api" || usage_error "invalid --api (http(s) URL expected): $api"
is_name "$pool" || usage_error "invalid --pool (expected ^[a-z0-9][a-z0-9-]{0,62}\$): $pool"
[[ $to == blue || $to == green ]] || usage_error "invalid --to (blue or green): $to"
[[ $lb_timeout =~ ^[1-9][0-9]{0,3}$ ]] || usage_error "invalid --timeout (1-9999 seconds): $lb_timeout"
lb_api=${api%/}

lb_read "$pool" "" "$to"
[[ $lb_pool_present == true ]] || fail 1 "the load balancer has no pool $pool" pool s "$pool" active z "" changed b false
previous=$lb_active
if [[ $lb_ready == 0 && $force == false ]]; then
  fail 1 "no healthy, undrained $to backend in pool $pool: traffic stays on ${previous:-no color}" \
    pool s "$pool" previous z "$previous" active z "$previous" changed b false readyBackends n 0
fi
changed=false
if [[ $previous != "$to" ]]; then
  lb_call POST "/_lb/pools/$pool/switch" "{\"color\":$(json_str "$to")}"
  lb_require_2xx "switching pool $pool to $to"
  lb_read "$pool" "" "$to"
  [[ $lb_active == "$to" ]] || fail 1 "pool $pool reports active ${lb_active:-none} after switching to $to" \
    pool s "$pool" previous z "$previous" active z "$lb_active" changed b true
  changed=true
  printf 'pool %s: %s -> %s\n' "$pool" "${previous:-none}" "$to" >&2
fi
emit ok b true pool s "$pool" previous z "$previous" active s "$to" changed b "$changed" readyBackends n "$lb_ready"
