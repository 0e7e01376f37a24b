#!/usr/bin/env bash
# release-remove.sh: stop an application instance and remove it (the compensation of a deployment).
#
# Usage:
#   release-remove.sh --root DIR --app APP --instance NAME [--version V] [--stop-timeout SECS]
#
#   --root      application root (default $HOME; "~" and "~/x" mean $HOME)
#   --version   the version the deployment installed: the instance is removed only when it runs this version
#               (otherwise a later deployment owns it and nothing is changed), and releases/<V> is removed too
#               when no other instance uses it
# Removing what is already gone is fine (idempotent). When the application has no instance and no release left,
# its directory <root>/apps/<app> is removed as well.
#
# Result (one JSON line on stdout):
#   {"ok":true,"app":..,"instance":..,"version":..|null,"stoppedPid":..|null,"instanceRemoved":true|false,
#    "releaseRemoved":true|false,"releaseInUseBy":[..]}
# Exit codes: 0 ok, 1 failed, 2 invalid arguments (nothing was changed).

set -euo pipefail
set -o errtrace
SCRIPT='release-remove.sh'
umask 022

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

# >>> service: identical in release-activate.sh, service.sh and release-remove.sh
# These functions use $app, $instance, $appdir and $instdir set by the caller.

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
    exec setsid nohup "$bin" --port "$port" </dev/null >>"$instdir/log/app.log" 2>&1 3>&- 9>&-
  ) &
  pid=$!
  printf '%s\n' "$pid" >"$instdir/run/app.pid.tmp"
  mv -f -- "$instdir/run/app.pid.tmp" "$instdir/run/app.pid"
  set_desired running
  # shellcheck disable=SC2034 # used by the scripts that start instances
  started_pid=$pid
  printf 'started %s/%s version %s pid %s port %s\n' "$app" "$instance" "$version" "$pid" "$port" >&2
}
# <<< service

root="" app="" instance="" version="" stop_timeout=10
while (($#)); do
  case $1 in
    --root) need_value "$@"; root=$2; shift 2 ;;
    --app) need_value "$@"; app=$2; shift 2 ;;
    --instance) need_value "$@"; instance=$2; shift 2 ;;
    --version) need_value "$@"; version=$2; shift 2 ;;
    --stop-timeout) need_value "$@"; stop_timeout=$2; shift 2 ;;
    -h | --help) usage; emit ok b true usage s "see the header of $SCRIPT"; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

root=$(expand_home "${root:-"~"}")
is_path "$root" || usage_error "invalid --root (absolute path without '..' expected): $root"
is_name "$app" || usage_error "invalid --app (expected ^[a-z0-9][a-z0-9-]{0,62}\$): $app"
is_name "$instance" || usage_error "invalid --instance (expected ^[a-z0-9][a-z0-9-]{0,62}\$): $instance"
[[ -z $version ]] || is_version "$version" || usage_error "invalid --version (expected ^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}\$): $version"
[[ $stop_timeout =~ ^[1-9][0-9]{0,3}$ ]] || usage_error "invalid --stop-timeout (1-9999 seconds): $stop_timeout"

appdir=$root/apps/$app
instdir=$appdir/instances/$instance

instance_removed=false release_removed=false
if [[ -d $instdir ]]; then
  lock_instance
  running=$(current_version)
  if [[ -n $version && -n $running && $running != "$version" ]]; then
    fail 1 "$app/$instance runs $running, not $version: a later deployment owns it, nothing removed" \
      app s "$app" instance s "$instance" version s "$version" currentVersion s "$running" \
      instanceRemoved b false releaseRemoved b false
  fi
  svc_stop "$stop_timeout"
  rm -rf -- "$instdir"
  instance_removed=true
  printf 'removed %s\n' "$instdir" >&2
fi

in_use=()
if [[ -n $version && -d $appdir/releases/$version ]]; then
  for link in "$appdir"/instances/*/current; do
    [[ -L $link ]] || continue
    target=$(readlink -- "$link") || continue
    if [[ ${target##*/} == "$version" ]]; then
      other=${link%/current}
      in_use+=("${other##*/}")
    fi
  done
  if ((${#in_use[@]} == 0)); then
    rm -rf -- "$appdir/releases/$version"
    release_removed=true
    printf 'removed %s\n' "$appdir/releases/$version" >&2
  else
    printf 'release %s kept: used by %s\n' "$version" "${in_use[*]}" >&2
  fi
fi

if [[ -d $appdir ]]; then
  rmdir -- "$appdir/instances" "$appdir/releases" 2>/dev/null || true
  rm -rf -- "$appdir/.tmp"
  rmdir -- "$appdir" 2>/dev/null || true
  if [[ -d $appdir && ! -d $appdir/instances && ! -d $appdir/releases ]]; then
    printf 'kept %s (holds other files)\n' "$appdir" >&2
  fi
fi

users="["
sep=""
for u in "${in_use[@]}"; do
  users+="$sep$(json_str "$u")"
  sep=","
done
users+="]"
emit ok b true app s "$app" instance s "$instance" version z "$version" stoppedPid n "$stopped_pid" \
  instanceRemoved b "$instance_removed" releaseRemoved b "$release_removed" releaseInUseBy j "$users"
