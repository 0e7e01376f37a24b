#!/usr/bin/env bash
# inventory.sh: report every application instance installed under an application root, as it is now.
#
# Usage:
#   inventory.sh [--root DIR] [--no-health]
#
#   --root       application root (default $HOME; "~" and "~/x" mean $HOME)
#   --no-health  do not probe the instances' health paths (by default each running instance gets one
#                GET http://127.0.0.1:<port><HEALTH_PATH of instance.env> with a 2 s limit)
#
# Reads <root>/apps/<app>/instances/<instance>/ (current link, instance.env, run/app.pid, desired-state); changes
# nothing. An instance whose directory has no current link is reported with version null.
#
# Result (one JSON line on stdout):
#   {"ok":true,"root":..,"hostname":..,"instances":[{"app":..,"instance":..,"state":"running|stopped",
#    "desiredState":..|null,"pid":..|null,"version":..|null,"port":..|null,"healthy":true|false|null}, ...]}
#   healthy is null when the instance is stopped or --no-health is given.
# Exit codes: 0 ok, 1 failed, 2 invalid arguments.

set -euo pipefail
set -o errtrace
SCRIPT='inventory.sh'
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

root="" probe_health=true
while (($#)); do
  case $1 in
    --root) need_value "$@"; root=$2; shift 2 ;;
    --no-health) probe_health=false; shift ;;
    -h | --help) usage; emit ok b true usage s "see the header of $SCRIPT"; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

root=$(expand_home "${root:-"~"}")
is_path "$root" || usage_error "invalid --root (absolute path without '..' expected): $root"
[[ -d $root ]] || fail 1 "root directory $root does not exist"

# instance_json: one instance ($app, $instance, $instdir) as a JSON object
instance_json() {
  local pid version port health_path healthy=null desired state=stopped
  pid=$(svc_pid)
  version=$(current_version)
  port=$(env_get "$instdir/instance.env" PORT)
  is_port "$port" || port=""
  health_path=$(env_get "$instdir/instance.env" HEALTH_PATH)
  [[ $health_path =~ ^/[A-Za-z0-9._~/-]{0,200}$ ]] || health_path=/health
  desired=""
  if [[ -f $instdir/desired-state ]]; then read -r desired <"$instdir/desired-state" || true; fi
  [[ $desired == running || $desired == stopped ]] || desired=""
  if [[ -n $pid ]]; then
    state=running
    if [[ $probe_health == true && -n $port ]]; then healthy=$(health_now "$port" "$health_path"); fi
  fi
  printf '{"app":%s,"instance":%s,"state":%s,"desiredState":%s,"pid":%s,"version":%s,"port":%s,"healthy":%s}' \
    "$(json_str "$app")" "$(json_str "$instance")" "$(json_str "$state")" \
    "$(if [[ -n $desired ]]; then json_str "$desired"; else printf null; fi)" "${pid:-null}" \
    "$(if [[ -n $version ]]; then json_str "$version"; else printf null; fi)" "${port:-null}" "$healthy"
}

list="" sep=""
shopt -s nullglob
for appdir in "$root"/apps/*/; do
  appdir=${appdir%/}
  app=${appdir##*/}
  is_name "$app" || continue
  for instdir in "$appdir"/instances/*/; do
    instdir=${instdir%/}
    instance=${instdir##*/}
    is_name "$instance" || continue
    list+="$sep$(instance_json)"
    sep=","
  done
done

emit ok b true root s "$root" hostname s "$(hostname 2>/dev/null || printf unknown)" instances j "[$list]"
