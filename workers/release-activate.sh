#!/usr/bin/env bash
# release-activate.sh: install a release of an application (when missing) and make it the one an instance runs.
#
# Usage:
#   release-activate.sh --root DIR --app APP --instance NAME --version V --artifact URL_OR_PATH --port N
#                       [--sha256 HEX|auto] [--health-path /health] [--health-timeout SECS]
#                       [--stop-timeout SECS] [--bind ADDR]
#
#   --root            application root (default $HOME; "~" and "~/x" mean $HOME)
#   --artifact        <app>-<version>.tar.gz as an absolute local path or an http(s) URL; the tarball holds
#                     bin/<app>, VERSION (must equal --version) and migrations/
#   --sha256          expected SHA-256 of the artifact; "auto" reads it from <artifact>.sha256
#   --health-timeout  seconds to wait for GET http://127.0.0.1:<port><health-path> to answer 2xx (default 20)
#   --bind            listen address handed to the application as BIND (default: the application's own)
#
# Layout: <root>/apps/<app>/releases/<version>/, <root>/apps/<app>/instances/<instance>/{current,instance.env,run/app.pid,log/app.log}
# Steps: extract to a temporary directory and rename it into releases/ (never a half-extracted release), write
# instance.env, switch `current` atomically (new link renamed over the old one), restart, wait until healthy.
# Activating the version that already runs, on the same port, does not restart it; it still verifies health.
# When the new version does not become healthy the result is {"ok":false,...,"previousVersion":...} with exit 1:
# `current` stays on the new version so the caller decides (roll back = activate previousVersion again).
#
# Result (one JSON line on stdout):
#   {"ok":true,"app":..,"instance":..,"previousVersion":..|null,"version":..,"port":..,"healthy":true,
#    "changed":true|false,"installed":true|false,"pid":..,"sha256":..|null}
# Exit codes: 0 ok, 1 failed (JSON says why), 2 invalid arguments (nothing was changed).

set -euo pipefail
set -o errtrace
SCRIPT='release-activate.sh'
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

root="" app="" instance="" version="" artifact="" port="" sha256="" health_path=/health health_timeout=20
stop_timeout=10 bind="" bind_set=false
while (($#)); do
  case $1 in
    --root) need_value "$@"; root=$2; shift 2 ;;
    --app) need_value "$@"; app=$2; shift 2 ;;
    --instance) need_value "$@"; instance=$2; shift 2 ;;
    --version) need_value "$@"; version=$2; shift 2 ;;
    --artifact) need_value "$@"; artifact=$2; shift 2 ;;
    --port) need_value "$@"; port=$2; shift 2 ;;
    --sha256) need_value "$@"; sha256=$2; shift 2 ;;
    --health-path) need_value "$@"; health_path=$2; shift 2 ;;
    --health-timeout) need_value "$@"; health_timeout=$2; shift 2 ;;
    --stop-timeout) need_value "$@"; stop_timeout=$2; shift 2 ;;
    --bind) need_value "$@"; bind=$2; bind_set=true; shift 2 ;;
    -h | --help) usage; emit ok b true usage s "see the header of $SCRIPT"; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

root=$(expand_home "${root:-"~"}")
is_path "$root" || usage_error "invalid --root (absolute path without '..' expected): $root"
is_name "$app" || usage_error "invalid --app (expected ^[a-z0-9][a-z0-9-]{0,62}\$): $app"
is_name "$instance" || usage_error "invalid --instance (expected ^[a-z0-9][a-z0-9-]{0,62}\$): $instance"
is_version "$version" || usage_error "invalid --version (expected ^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}\$): $version"
is_port "$port" || usage_error "invalid --port (1-65535 expected): $port"
if [[ $artifact == http://* || $artifact == https://* ]]; then
  is_url "$artifact" || usage_error "invalid --artifact URL: $artifact"
else
  is_path "$artifact" || usage_error "invalid --artifact (absolute path or http(s) URL expected): $artifact"
fi
[[ -z $sha256 || $sha256 == auto ]] || is_sha256 "$sha256" || usage_error "invalid --sha256 (64 hex digits or 'auto' expected)"
[[ $health_path =~ ^/[A-Za-z0-9._~/-]{0,200}$ && "$health_path/" != *"/../"* ]] ||
  usage_error "invalid --health-path: $health_path"
[[ $health_timeout =~ ^[1-9][0-9]{0,3}$ ]] || usage_error "invalid --health-timeout (1-9999 seconds): $health_timeout"
[[ $stop_timeout =~ ^[1-9][0-9]{0,3}$ ]] || usage_error "invalid --stop-timeout (1-9999 seconds): $stop_timeout"
[[ $bind_set == false || $bind =~ ^[0-9A-Fa-f.:]{2,45}$ ]] || usage_error "invalid --bind (IP address expected): $bind"
[[ -d $root ]] || fail 1 "root directory $root does not exist"

appdir=$root/apps/$app
instdir=$appdir/instances/$instance
reldir=$appdir/releases/$version

# fetch SOURCE DEST: copies a local file or downloads an http(s) URL
fetch() {
  case $1 in
    http://* | https://*)
      curl -fsSL --proto '=http,https' --retry 2 --connect-timeout 10 --max-time 900 -o "$2" "$1" ||
        fail 1 "could not download $1"
      ;;
    *)
      [[ -f $1 ]] || fail 1 "artifact $1 does not exist"
      cp -- "$1" "$2"
      ;;
  esac
}

# install_release: makes releases/<version> exist; sets installed and artifact_sha
installed=false
artifact_sha=""
install_release() {
  local tmp expected="" member recorded
  if [[ $sha256 == auto ]]; then
    tmp=$(mktemp "${TMPDIR:-/tmp}/release-activate.XXXXXX")
    cleanup_add "$tmp"
    fetch "$artifact.sha256" "$tmp"
    read -r expected _ <"$tmp" || true
    is_sha256 "$expected" || fail 1 "$artifact.sha256 does not hold a SHA-256"
  elif [[ -n $sha256 ]]; then
    expected=$sha256
  fi
  expected=${expected,,}
  if [[ -d $reldir ]]; then
    recorded=""
    if [[ -f $reldir/.artifact-sha256 ]]; then read -r recorded <"$reldir/.artifact-sha256" || true; fi
    if [[ -n $expected && -n $recorded && $expected != "$recorded" ]]; then
      fail 1 "release $app $version is already installed from an artifact with SHA-256 $recorded, not $expected" \
        app s "$app" instance s "$instance" version s "$version"
    fi
    artifact_sha=$recorded
    return 0
  fi
  mkdir -p -- "$appdir/releases" "$appdir/.tmp"
  tmp=$(mktemp -d "$appdir/.tmp/activate.XXXXXX")
  cleanup_add "$tmp"
  fetch "$artifact" "$tmp/artifact.tar.gz"
  artifact_sha=$(file_sha256 "$tmp/artifact.tar.gz")
  if [[ -n $expected && $artifact_sha != "$expected" ]]; then
    fail 1 "checksum mismatch for $artifact: expected $expected, got $artifact_sha" \
      app s "$app" instance s "$instance" version s "$version" sha256 s "$artifact_sha"
  fi
  tar -tzf "$tmp/artifact.tar.gz" >"$tmp/members" || fail 1 "$artifact is not a readable tar.gz"
  while IFS= read -r member; do
    if [[ $member == /* || "/$member/" == *"/../"* ]]; then
      fail 1 "$artifact contains an unsafe member: $member"
    fi
  done <"$tmp/members"
  mkdir -- "$tmp/release"
  tar -xzf "$tmp/artifact.tar.gz" -C "$tmp/release" --no-same-owner || fail 1 "could not extract $artifact"
  [[ -f $tmp/release/bin/$app && -x $tmp/release/bin/$app ]] || fail 1 "$artifact has no executable bin/$app"
  [[ -f $tmp/release/VERSION ]] || fail 1 "$artifact has no VERSION file"
  local packaged
  read -r packaged <"$tmp/release/VERSION" || true
  [[ $packaged == "$version" ]] || fail 1 "$artifact contains version '$packaged', not $version"
  printf '%s\n' "$artifact_sha" >"$tmp/release/.artifact-sha256"
  if ! mv -T -- "$tmp/release" "$reldir" 2>/dev/null; then
    [[ -d $reldir ]] || fail 1 "could not move the extracted release to $reldir"
  fi
  installed=true
  printf 'installed %s %s in %s\n' "$app" "$version" "$reldir" >&2
}

lock_instance
previous=$(current_version)
install_release

# instance.env: what the service needs to start the instance
old_env=""
[[ -f $instdir/instance.env ]] && old_env=$(cat -- "$instdir/instance.env")
[[ $bind_set == true ]] || bind=$(env_get "$instdir/instance.env" BIND)
new_env="APP=$app"$'\n'"INSTANCE=$instance"$'\n'"PORT=$port"$'\n'"HEALTH_PATH=$health_path"
[[ -z $bind ]] || new_env+=$'\n'"BIND=$bind"
changed=false
if [[ $new_env != "$old_env" ]]; then
  printf '%s\n' "$new_env" >"$instdir/instance.env.tmp"
  mv -f -- "$instdir/instance.env.tmp" "$instdir/instance.env"
  changed=true
fi

if [[ $previous != "$version" ]]; then
  ln -sfn -- "../../releases/$version" "$instdir/current.tmp"
  mv -fT -- "$instdir/current.tmp" "$instdir/current"
  changed=true
  printf '%s/%s: current %s -> %s\n' "$app" "$instance" "${previous:-none}" "$version" >&2
fi

pid=$(svc_pid)
if [[ $changed == true || -z $pid ]]; then
  svc_stop "$stop_timeout"
  svc_start
  pid=$started_pid
  changed=true
else
  printf '%s/%s already runs %s on port %s (pid %s); not restarted\n' "$app" "$instance" "$version" "$port" "$pid" >&2
  set_desired running
fi

if ! wait_healthy "$port" "$health_path" "$health_timeout" "$pid"; then
  log_tail 20 | sed 's/^/app.log: /' >&2
  fail 1 "$app $version on $instance did not become healthy: $health_reason" \
    app s "$app" instance s "$instance" previousVersion z "$previous" version s "$version" port n "$port" \
    healthy b false changed b "$changed" installed b "$installed" pid n "$(svc_pid)" \
    logTail s "$(log_tail 10)"
fi

emit ok b true app s "$app" instance s "$instance" previousVersion z "$previous" version s "$version" \
  port n "$port" healthy b true changed b "$changed" installed b "$installed" pid n "$pid" sha256 z "$artifact_sha"
