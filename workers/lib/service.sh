# >>> lib/service.sh: one application instance: pid, start, stop, health, lock (assembled from workers/lib/service.sh)
# These functions use $app, $instance, $appdir and $instdir set by the caller.

# root_arg: --root (default ~; "~" and "~/x" mean $HOME) must be an absolute path; sets root to the expanded one
root_arg() {
  root=$(expand_home "${root:-"~"}")
  is_path "$root" || usage_error "invalid --root (absolute path without '..' expected): $root"
}

# instance_option OPTION VALUE: --root, --app or --instance of the scripts that act on one instance (shift 2 after)
instance_option() {
  need_value "$@"
  case $1 in
    --root) root=$2 ;;
    --app) app=$2 ;;
    --instance) instance=$2 ;;
  esac
}

# instance_args: checks --root, --app and --instance (in this order) of the scripts that act on one instance
instance_args() {
  root_arg
  is_name "$app" || usage_error "invalid --app (expected ^[a-z0-9][a-z0-9-]{0,62}\$): $app"
  is_name "$instance" || usage_error "invalid --instance (expected ^[a-z0-9][a-z0-9-]{0,62}\$): $instance"
}

# proc_alive PID: true when PID runs (zombies count as gone)
proc_alive() {
  local pid=$1 stat
  [[ $pid =~ ^[1-9][0-9]*$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r /proc/$pid/stat ]]; then
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z && ${stat:0:1} != X ]] || return 1
  fi
  return 0
}

# env_get FILE KEY: value of KEY=... in FILE (never sourced)
env_get() {
  local line
  [[ -f $1 ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line == "$2="* ]]; then
      printf '%s\n' "${line#*=}"
      return 0
    fi
  done <"$1"
}

# current_version: version the instance's current link points to (empty when none)
current_version() {
  local target
  [[ -L $instdir/current ]] || return 0
  target=$(readlink -- "$instdir/current") || return 0
  printf '%s\n' "${target##*/}"
}

# svc_pid: pid of the running instance process (empty when stopped; a stale or foreign pid counts as stopped)
svc_pid() {
  local pidfile=$instdir/run/app.pid pid cmd
  [[ -f $pidfile ]] || return 0
  pid=$(head -c 32 -- "$pidfile" 2>/dev/null | tr -dc '0-9') || true
  [[ -n $pid ]] || return 0
  proc_alive "$pid" || return 0
  if [[ -r /proc/$pid/cmdline ]]; then
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 0
    [[ $cmd == *"/apps/$app/releases/"* ]] || return 0
  fi
  printf '%s\n' "$pid"
}

# lock_instance: serialises operations on one instance (fd 9 is closed for the application process)
lock_instance() {
  mkdir -p -- "$instdir"
  exec 9>>"$instdir/.lock"
  flock -w "${LOCK_WAIT:-120}" 9 || fail 1 "another operation on $app/$instance holds its lock"
}

port_in_use() {
  (exec 4<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

health_host() {
  local bind
  bind=$(env_get "$instdir/instance.env" BIND)
  if [[ -z $bind || $bind == 0.0.0.0 || $bind == "::" ]]; then
    printf '127.0.0.1\n'
  else
    printf '%s\n' "$bind"
  fi
}

# wait_healthy PORT PATH TIMEOUT PID: polls http://host:PORT/PATH until 2xx; sets health_reason when it fails
health_reason=""
wait_healthy() {
  local url code deadline
  deadline=$(($(now_ms) + $3 * 1000))
  url="http://$(health_host):$1$2"
  while :; do
    if [[ -n $4 ]] && ! proc_alive "$4"; then
      # shellcheck disable=SC2034 # reported by the callers
      health_reason="process $4 exited (see $instdir/log/app.log)"
      return 1
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null) || true
    if [[ $code =~ ^2[0-9][0-9]$ ]]; then
      if [[ -z $4 ]] || proc_alive "$4"; then
        return 0
      fi
    fi
    if (($(now_ms) >= deadline)); then
      [[ $code =~ ^[1-9][0-9][0-9]$ ]] || code="no HTTP answer"
      # shellcheck disable=SC2034
      health_reason="GET $url answered $code for ${3}s"
      return 1
    fi
    sleep 0.2
  done
}

# health_now PORT PATH: one probe, prints true or false
health_now() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$(health_host):$1$2" 2>/dev/null) || true
  if [[ $code =~ ^2[0-9][0-9]$ ]]; then printf 'true\n'; else printf 'false\n'; fi
}

log_tail() {
  if [[ -f $instdir/log/app.log ]]; then
    tail -n "${1:-20}" -- "$instdir/log/app.log" 2>/dev/null || true
  fi
}

set_desired() {
  printf '%s\n' "$1" >"$instdir/desired-state.tmp"
  mv -f -- "$instdir/desired-state.tmp" "$instdir/desired-state"
}

# svc_stop TIMEOUT: TERM to the process group, wait, then KILL; sets stopped_pid (empty when it was not running)
# shellcheck disable=SC2034 # read by the scripts that report it
stopped_pid=""
svc_stop() {
  local pid i
  stopped_pid=""
  pid=$(svc_pid)
  if [[ -z $pid ]]; then
    rm -f -- "$instdir/run/app.pid"
    return 0
  fi
  printf 'stopping %s/%s pid %s\n' "$app" "$instance" "$pid" >&2
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < $1 * 10; i++)); do
    proc_alive "$pid" || break
    sleep 0.1
  done
  if proc_alive "$pid"; then
    printf 'pid %s ignored TERM for %ss, sending KILL\n' "$pid" "$1" >&2
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      proc_alive "$pid" || break
      sleep 0.1
    done
  fi
  proc_alive "$pid" && fail 1 "could not stop $app/$instance (pid $pid)"
  rm -f -- "$instdir/run/app.pid"
  # shellcheck disable=SC2034
  stopped_pid=$pid
}

# svc_start: starts the instance's current release in the background; sets started_pid
# shellcheck disable=SC2034
started_pid=""
svc_start() {
  local release bin port bind version pid
  [[ -L $instdir/current ]] || fail 1 "$app/$instance has no current release; activate a release first"
  release=$(readlink -f -- "$instdir/current") || fail 1 "$app/$instance: current link is broken"
  bin=$release/bin/$app
  [[ -f $bin && -x $bin ]] || fail 1 "$bin is missing or not executable"
  port=$(env_get "$instdir/instance.env" PORT)
  is_port "$port" || fail 1 "$instdir/instance.env has no valid PORT"
  bind=$(env_get "$instdir/instance.env" BIND)
  version=${release##*/}
  port_in_use "$port" && fail 1 "port $port is already in use by another process; $app/$instance not started"
  mkdir -p -- "$instdir/run" "$instdir/log"
  printf '%s starting %s/%s version %s on port %s\n' "$(now_iso)" "$app" "$instance" "$version" "$port" >>"$instdir/log/app.log"
  (
    cd -- "$instdir"
    export APP="$app" INSTANCE="$instance" PORT="$port" VERSION="$version"
    if [[ -n $bind ]]; then export BIND="$bind"; fi
    exec setsid nohup "$bin" --port "$port" </dev/null >>"$instdir/log/app.log" 2>&1 3>&- 8<&- 9>&-
  ) &
  pid=$!
  printf '%s\n' "$pid" >"$instdir/run/app.pid.tmp"
  mv -f -- "$instdir/run/app.pid.tmp" "$instdir/run/app.pid"
  set_desired running
  # shellcheck disable=SC2034 # used by the scripts that start instances
  started_pid=$pid
  printf 'started %s/%s version %s pid %s port %s\n' "$app" "$instance" "$version" "$pid" "$port" >&2
}
# <<< lib/service.sh
