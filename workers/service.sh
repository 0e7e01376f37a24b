#!/usr/bin/env bash
# service.sh: start, stop, restart or report an application instance installed by release-activate.sh.
#
# Usage:
#   service.sh --root DIR --app APP --instance NAME [--health-timeout SECS] [--stop-timeout SECS]
#              start|stop|restart|status|ensure
#
#   --root            application root (default $HOME; "~" and "~/x" mean $HOME)
#   --health-timeout  start/restart/ensure wait this long for the health path of instance.env to answer 2xx
#                     (default 20); status probes it once
#   --stop-timeout    seconds between TERM and KILL (default 10)
#   start    starts the current release unless it already runs (then only verifies health)
#   stop     TERM to the process group, KILL after --stop-timeout; stopping a stopped instance is fine
#   restart  stop, then start
#   status   reports; changes nothing
#   ensure   brings the instance back to its desired state (desired-state file: running after start/activate,
#            stopped after stop), e.g. after the host or the sandbox fleet restarted
#
# The process runs detached (setsid, nohup) with APP, INSTANCE, PORT, VERSION (and BIND) in its environment;
# its pid is in <instance>/run/app.pid, its output in <instance>/log/app.log.
#
# Result (one JSON line on stdout):
#   {"ok":true,"app":..,"instance":..,"action":..,"state":"running|stopped","desiredState":..,"pid":..|null,
#    "version":..|null,"port":..|null,"healthy":true|false|null,"changed":true|false,"installed":true|false}
# Exit codes: 0 ok, 1 failed (e.g. started but unhealthy, no current release), 2 invalid arguments.

set -euo pipefail
set -o errtrace
SCRIPT='service.sh'
umask 022

# @include lib/common.sh

# @include lib/service.sh

root="" app="" instance="" action="" health_timeout=20 stop_timeout=10
while (($#)); do
  case $1 in
    --root | --app | --instance) instance_option "$@"; shift 2 ;;
    --health-timeout) need_value "$@"; health_timeout=$2; shift 2 ;;
    --stop-timeout) need_value "$@"; stop_timeout=$2; shift 2 ;;
    start | stop | restart | status | ensure) one_action "$1"; shift ;;
    *) help_or_unknown "$1" ;;
  esac
done

instance_args
[[ -n $action ]] || usage_error "missing action: start, stop, restart, status or ensure"
[[ $health_timeout =~ ^[1-9][0-9]{0,3}$ ]] || usage_error "invalid --health-timeout (1-9999 seconds): $health_timeout"
[[ $stop_timeout =~ ^[1-9][0-9]{0,3}$ ]] || usage_error "invalid --stop-timeout (1-9999 seconds): $stop_timeout"

appdir=$root/apps/$app
instdir=$appdir/instances/$instance

installed=false
[[ -d $instdir && -L $instdir/current ]] && installed=true

# report [ok] [error]: the result for the instance as it is now
report() {
  local pid version port health_path healthy="" desired state=stopped
  pid=$(svc_pid)
  version=$(current_version)
  port=$(env_get "$instdir/instance.env" PORT)
  health_path=$(env_get "$instdir/instance.env" HEALTH_PATH)
  desired=""
  if [[ -f $instdir/desired-state ]]; then read -r desired <"$instdir/desired-state" || true; fi
  if [[ -n $pid ]]; then
    state=running
    if is_port "$port"; then healthy=$(health_now "$port" "${health_path:-/health}"); fi
  fi
  local -a fields=(app s "$app" instance s "$instance" action s "$action" state s "$state" desiredState z "$desired"
    pid n "$pid" version z "$version" port n "$port" healthy j "$healthy" changed b "$changed" installed b "$installed")
  if [[ -n ${1:-} ]]; then
    fail 1 "$1" "${fields[@]}"
  fi
  emit ok b true "${fields[@]}"
}

# start_and_verify: starts (unless running) and waits for health
start_and_verify() {
  local pid port health_path
  pid=$(svc_pid)
  if [[ -z $pid ]]; then
    svc_start
    pid=$started_pid
    changed=true
  else
    set_desired running
  fi
  port=$(env_get "$instdir/instance.env" PORT)
  health_path=$(env_get "$instdir/instance.env" HEALTH_PATH)
  if ! wait_healthy "$port" "${health_path:-/health}" "$health_timeout" "$pid"; then
    log_tail 20 | sed 's/^/app.log: /' >&2
    report "$app/$instance did not become healthy: $health_reason"
  fi
}

changed=false
case $action in
  status)
    report
    ;;
  stop)
    if [[ -d $instdir ]]; then
      lock_instance
      svc_stop "$stop_timeout"
      [[ -z $stopped_pid ]] || changed=true
      set_desired stopped
    fi
    report
    ;;
  start | restart | ensure)
    [[ $installed == true ]] || fail 1 "$app/$instance is not installed under $root (no current release); activate a release first" \
      app s "$app" instance s "$instance" action s "$action" state s stopped installed b false
    lock_instance
    if [[ $action == restart ]]; then
      svc_stop "$stop_timeout"
      [[ -z $stopped_pid ]] || changed=true
    fi
    desired=running
    if [[ -f $instdir/desired-state ]]; then read -r desired <"$instdir/desired-state" || true; fi
    if [[ $action == ensure && $desired == stopped ]]; then
      svc_stop "$stop_timeout"
      [[ -z $stopped_pid ]] || changed=true
    else
      start_and_verify
    fi
    report
    ;;
esac
