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
# <<< lib/lb.sh
