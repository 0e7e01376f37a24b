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

# @include lib/common.sh

# @include lib/service.sh

root="" probe_health=true
while (($#)); do
  case $1 in
    --root) need_value "$@"; root=$2; shift 2 ;;
    --no-health) probe_health=false; shift ;;
    *) help_or_unknown "$1" ;;
  esac
done

root_arg
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
