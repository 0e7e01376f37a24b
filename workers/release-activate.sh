#!/usr/bin/env bash
# release-activate.sh: install a release of an application (when missing) and make it the one an instance runs.
#
# Usage:
#   release-activate.sh --root DIR --app APP --instance NAME --version V --artifact URL_OR_PATH --port N
#                       [--sha256 HEX|auto] [--health-path /health] [--health-timeout SECS]
#                       [--stop-timeout SECS] [--bind ADDR] [--check]
#
#   --root            application root (default $HOME; "~" and "~/x" mean $HOME)
#   --artifact        <app>-<version>.tar.gz as an absolute local path or an http(s) URL; the tarball holds
#                     bin/<app>, VERSION (must equal --version) and migrations/
#   --sha256          expected SHA-256 of the artifact; "auto" reads it from <artifact>.sha256
#   --health-timeout  seconds to wait for GET http://127.0.0.1:<port><health-path> to answer 2xx (default 20)
#   --bind            listen address handed to the application as BIND (default: the application's own)
#   --check           dry run, the evidence an approver sees: everything this run would do is checked and reported
#                     (a missing release is fetched to a temporary directory, its checksum and contents verified,
#                     then discarded) and nothing on the host changes; a check that fails is the failure the real
#                     run would meet
#
# Layout: <root>/apps/<app>/releases/<version>/, <root>/apps/<app>/instances/<instance>/{current,instance.env,run/app.pid,log/app.log}
# Steps: extract to a temporary directory and rename it into releases/ (never a half-extracted release), write
# instance.env, switch `current` atomically (new link renamed over the old one), restart, wait until healthy.
# Activating the version that already runs, on the same port, does not restart it; it still verifies health.
# When the new version does not become healthy the result is {"ok":false,...,"previousVersion":...} with exit 1:
# `current` stays on the new version so the caller decides (roll back = activate previousVersion again).
#
# Result of --check: {"ok":true,"check":true,"app":..,"instance":..,"previousVersion":..|null,"version":..,"port":..,
#    "install":true|false,"switch":true|false,"envChanged":true|false,"restart":true|false,"running":true|false,
#    "sha256":..|null} (exit 1 with ok=false when the real run would fail the same way).
# Result (one JSON line on stdout):
#   {"ok":true,"app":..,"instance":..,"previousVersion":..|null,"version":..,"port":..,"healthy":true,
#    "changed":true|false,"installed":true|false,"pid":..,"sha256":..|null}
# Exit codes: 0 ok, 1 failed (JSON says why), 2 invalid arguments (nothing was changed).

set -euo pipefail
set -o errtrace
SCRIPT='release-activate.sh'
umask 022

# @include lib/common.sh

# @include lib/service.sh

# @include lib/artifact.sh

root="" app="" instance="" version="" artifact="" port="" sha256="" health_path=/health health_timeout=20
stop_timeout=10 bind="" bind_set=false check=false
while (($#)); do
  case $1 in
    --root | --app | --instance) instance_option "$@"; shift 2 ;;
    --version) need_value "$@"; version=$2; shift 2 ;;
    --artifact) need_value "$@"; artifact=$2; shift 2 ;;
    --port) need_value "$@"; port=$2; shift 2 ;;
    --sha256) need_value "$@"; sha256=$2; shift 2 ;;
    --health-path) need_value "$@"; health_path=$2; shift 2 ;;
    --health-timeout) need_value "$@"; health_timeout=$2; shift 2 ;;
    --stop-timeout) need_value "$@"; stop_timeout=$2; shift 2 ;;
    --bind) need_value "$@"; bind=$2; bind_set=true; shift 2 ;;
    --check) check=true; shift ;;
    *) help_or_unknown "$1" ;;
  esac
done

instance_args
is_version "$version" || usage_error "invalid --version (expected ^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}\$): $version"
is_port "$port" || usage_error "invalid --port (1-65535 expected): $port"
artifact_arg
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

# install_release: makes releases/<version> exist; sets installed and artifact_sha
installed=false
artifact_sha=""
install_release() {
  local tmp expected="" recorded
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
  if [[ $check == true ]]; then
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/release-check.XXXXXX")
  else
    mkdir -p -- "$appdir/releases" "$appdir/.tmp"
    tmp=$(mktemp -d "$appdir/.tmp/activate.XXXXXX")
  fi
  cleanup_add "$tmp"
  fetch "$artifact" "$tmp/artifact.tar.gz"
  artifact_sha=$(file_sha256 "$tmp/artifact.tar.gz")
  if [[ -n $expected && $artifact_sha != "$expected" ]]; then
    fail 1 "checksum mismatch for $artifact: expected $expected, got $artifact_sha" \
      app s "$app" instance s "$instance" version s "$version" sha256 s "$artifact_sha"
  fi
  artifact_members "$tmp/artifact.tar.gz" "$tmp/members"
  mkdir -- "$tmp/release"
  tar -xzf "$tmp/artifact.tar.gz" -C "$tmp/release" --no-same-owner || fail 1 "could not extract $artifact"
  [[ -f $tmp/release/bin/$app && -x $tmp/release/bin/$app ]] || fail 1 "$artifact has no executable bin/$app"
  [[ -f $tmp/release/VERSION ]] || fail 1 "$artifact has no VERSION file"
  local packaged
  read -r packaged <"$tmp/release/VERSION" || true
  [[ $packaged == "$version" ]] || fail 1 "$artifact contains version '$packaged', not $version"
  installed=true
  if [[ $check == true ]]; then
    printf 'would install %s %s from %s (SHA-256 %s%s)\n' "$app" "$version" "$artifact" "$artifact_sha" \
      "${expected:+, verified}" >&2
    return 0
  fi
  printf '%s\n' "$artifact_sha" >"$tmp/release/.artifact-sha256"
  if ! mv -T -- "$tmp/release" "$reldir" 2>/dev/null; then
    [[ -d $reldir ]] || fail 1 "could not move the extracted release to $reldir"
  fi
  printf 'installed %s %s in %s\n' "$app" "$version" "$reldir" >&2
}

[[ $check == true ]] || lock_instance
previous=$(current_version)
install_release

# instance.env: what the service needs to start the instance
old_env=""
[[ -f $instdir/instance.env ]] && old_env=$(cat -- "$instdir/instance.env")
[[ $bind_set == true ]] || bind=$(env_get "$instdir/instance.env" BIND)
new_env="APP=$app"$'\n'"INSTANCE=$instance"$'\n'"PORT=$port"$'\n'"HEALTH_PATH=$health_path"
[[ -z $bind ]] || new_env+=$'\n'"BIND=$bind"

if [[ $check == true ]]; then
  env_changed=false switch=false running=false
  [[ $new_env == "$old_env" ]] || env_changed=true
  [[ $previous == "$version" ]] || switch=true
  pid=$(svc_pid)
  [[ -z $pid ]] || running=true
  restart=false
  [[ $env_changed == false && $switch == false && $running == true ]] || restart=true
  if [[ $switch == true ]]; then
    printf 'would switch %s/%s: current %s -> %s\n' "$app" "$instance" "${previous:-none}" "$version" >&2
  fi
  [[ $env_changed == false ]] || printf 'would rewrite instance.env: %s\n' "${new_env//$'\n'/ }" >&2
  if [[ $restart == true ]]; then
    printf 'would (re)start %s/%s on port %s and wait up to %ss for %s\n' "$app" "$instance" "$port" \
      "$health_timeout" "$health_path" >&2
  else
    printf '%s/%s already runs %s on port %s: nothing would change\n' "$app" "$instance" "$version" "$port" >&2
  fi
  emit ok b true check b true app s "$app" instance s "$instance" previousVersion z "$previous" version s "$version" \
    port n "$port" install b "$installed" switch b "$switch" envChanged b "$env_changed" restart b "$restart" \
    running b "$running" sha256 z "$artifact_sha"
  exit 0
fi

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
