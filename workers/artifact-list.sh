#!/usr/bin/env bash
# artifact-list.sh: list the release artifacts an artifact store holds, as the hosts see the store.
#
# Usage:
#   artifact-list.sh --store DIR|URL
#
#   --store  the environment's artifact store (opsflow.environments.<env>.artifact-store): an absolute directory on
#            this host ("~" and "~/x" mean $HOME) or an http(s) base URL
#
# A directory store is listed: every regular file <app>-<version>.tar.gz in it. An http(s) store is read through its
# index, <store>/index.txt: one file name <app>-<version>.tar.gz per line (blank lines and lines starting with '#'
# skipped). A name splits at its first '-' followed by a digit: the application is what comes before (a name:
# lower-case letters, digits, '-'), the version what comes after (it starts with a digit). Names that do not fit are
# skipped and counted in "ignored". At most 5000 artifacts. Changes nothing.
#
# Result (one JSON line on stdout):
#   {"ok":true,"source":"directory|index","artifacts":[{"app":..,"version":..},...],"ignored":n}
# Exit codes: 0 ok, 1 the store could not be read, 2 invalid arguments.

set -euo pipefail
set -o errtrace
SCRIPT='artifact-list.sh'

# @include lib/common.sh

store=""
while (($#)); do
  case $1 in
    --store) need_value "$@"; store=$2; shift 2 ;;
    *) help_or_unknown "$1" ;;
  esac
done

[[ -n $store ]] || usage_error "--store is required"
store=${store%/}
if [[ $store == http://* || $store == https://* ]]; then
  is_url "$store/index.txt" || usage_error "invalid --store URL: $store"
  source=index
else
  store=$(expand_home "$store")
  is_path "$store" || usage_error "invalid --store (absolute directory or http(s) URL expected): $store"
  source=directory
fi

readonly max_artifacts=5000
artifacts="" sep="" count=0 ignored=0

# add NAME: one <app>-<version>.tar.gz file name, added to the list or counted as ignored
add() {
  local name=$1 base app version
  if [[ $name != *.tar.gz ]]; then
    ignored=$((ignored + 1))
    return 0
  fi
  base=${name%.tar.gz}
  app=${base%%-[0-9]*}
  version=${base#"$app"}
  version=${version#-}
  if [[ $app == "$base" ]] || ! is_name "$app" || ! is_version "$version" || [[ $version != [0-9]* ]]; then
    ignored=$((ignored + 1))
    return 0
  fi
  ((count < max_artifacts)) || fail 1 "the store holds more than $max_artifacts artifacts"
  artifacts+="$sep{\"app\":$(json_str "$app"),\"version\":$(json_str "$version")}"
  sep=","
  count=$((count + 1))
}

if [[ $source == directory ]]; then
  [[ -d $store ]] || fail 1 "artifact store directory $store does not exist"
  [[ -r $store && -x $store ]] || fail 1 "artifact store directory $store is not readable"
  shopt -s nullglob
  for file in "$store"/*.tar.gz; do
    [[ -f $file ]] || continue
    add "${file##*/}"
  done
else
  index=$(mktemp "${TMPDIR:-/tmp}/artifact-list.XXXXXX")
  cleanup_add "$index"
  curl -fsS --proto '=http,https' --connect-timeout 10 --max-time 60 --max-filesize 1048576 -o "$index" \
    "$store/index.txt" || fail 1 "could not read $store/index.txt"
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    [[ -n $line && $line != \#* ]] || continue
    add "$line"
  done <"$index"
fi

emit ok b true source s "$source" artifacts j "[$artifacts]" ignored n "$ignored"
