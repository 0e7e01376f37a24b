# >>> lib/lb.sh: load balancer admin API calls (assembled from workers/lib/lb.sh)
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

# lb_parse POOL BACKEND COLOR KIND:FILE...: parses admin API answers with one python3 and prints one line of fields
# per file (lb_set reads one): KIND pools = a GET /_lb/pools answer (a missing pool: absent), KIND pool = an action's
# answer, which is the pool itself (docs/contracts.md); one that is not ("?" alone on its line) is read again by GET
lb_parse() {
  python3 -c '
import json, sys
pool, backend, color = sys.argv[1], sys.argv[2], sys.argv[3]
def s(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return "".join(c for c in str(v) if c >= " " and c != "\x1f")
def fields(data, kind):
    if kind == "pool":
        if not isinstance(data, dict) or not isinstance(data.get("backends"), list):
            return ["?"]
        p = data
    else:
        p = (data.get("pools") or {}).get(pool) if isinstance(data, dict) else None
    if not isinstance(p, dict):
        return ["false", "false", "", "", "", "", "", "", "0", "0"]
    backends = [b for b in (p.get("backends") or []) if isinstance(b, dict)]
    b = next((x for x in backends if x.get("id") == backend), None) if backend else None
    ready = [x for x in backends if x.get("healthy") is True and x.get("state", "active") == "active"
             and (not color or x.get("color") == color)]
    f = ["true", "true" if b else "false"]
    f += [s(b.get(k)) for k in ("state", "healthy", "url", "color")] if b else ["", "", "", ""]
    n = b.get("inFlight") if b else None
    f.append(str(n) if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else "")
    f += [s(p.get("active")), str(len(backends)), str(len(ready))]
    return f
for arg in sys.argv[4:]:
    kind, path = arg.split(":", 1)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except ValueError as e:
        if kind == "pool":
            print("?")
            continue
        sys.exit("the load balancer API answered invalid JSON: %s" % e)
    print("\x1f".join(fields(data, kind)))
' "$@"
}

# lb_set LINE: sets lb_pool_present lb_present lb_state lb_healthy lb_url lb_color lb_inflight (requests the backend
# is serving; empty when the API does not count them) lb_active lb_backends lb_ready (backends of COLOR, or of any
# color, that are healthy and not drained) from a line of lb_parse
lb_set() {
  # shellcheck disable=SC2034 # each script uses some of them
  IFS=$'\x1f' read -r lb_pool_present lb_present lb_state lb_healthy lb_url lb_color lb_inflight lb_active lb_backends \
    lb_ready <<<"$1"
}

# lb_act POOL BACKEND METHOD PATH: the pools as they are (GET /_lb/pools), then the action METHOD PATH (its answer in
# lb_body_file, its status in lb_status); sets lb_before_line, the lb_parse line of the backend before the action,
# and, when the action answered 2xx, lb_after_line, the one after it from the action's answer ("?": that answer was
# not the pool, read it again). Both answers are parsed by one python3: one read of the pool per action.
# shellcheck disable=SC2034 # lb_before_line and lb_after_line are for the script that calls it
lb_act() {
  local pools_file lines
  lb_call GET /_lb/pools
  lb_require_2xx "GET /_lb/pools"
  pools_file=$lb_body_file
  lb_body_file=$pools_file.action
  cleanup_add "$lb_body_file"
  lb_call "$3" "$4"
  lb_after_line=""
  if [[ $lb_status =~ ^2 ]]; then
    lines=$(lb_parse "$1" "$2" "" "pools:$pools_file" "pool:$lb_body_file") \
      || fail 1 "could not read the pools of $lb_api (python3 needed)" pool s "$1"
    lb_before_line=${lines%%$'\n'*}
    lb_after_line=${lines#*$'\n'}
  else
    lb_before_line=$(lb_parse "$1" "$2" "" "pools:$pools_file") \
      || fail 1 "could not read the pools of $lb_api (python3 needed)" pool s "$1"
  fi
}

# lb_read POOL [BACKEND] [COLOR]: GET /_lb/pools and set the lb_set variables
lb_read() {
  local line
  lb_call GET /_lb/pools
  lb_require_2xx "GET /_lb/pools"
  line=$(lb_parse "$1" "${2:-}" "${3:-}" "pools:$lb_body_file") \
    || fail 1 "could not read the pools of $lb_api (python3 needed)" pool s "$1"
  lb_set "$line"
}
# <<< lib/lb.sh
