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

# @include lib/common.sh

# @include lib/service.sh

root="" app="" instance="" version="" stop_timeout=10
while (($#)); do
  case $1 in
    --root | --app | --instance) instance_option "$@"; shift 2 ;;
    --version) need_value "$@"; version=$2; shift 2 ;;
    --stop-timeout) need_value "$@"; stop_timeout=$2; shift 2 ;;
    *) help_or_unknown "$1" ;;
  esac
done

instance_args
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
