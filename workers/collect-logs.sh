#!/usr/bin/env bash
# collect-logs.sh: copy the application and load balancer log lines of a time window into one gzip file.
#
# Usage:
#   collect-logs.sh --since TIME --until TIME --output FILE [--root DIR] [--app NAME] [--lb-log FILE]...
#                   [--max-bytes N]
#
#   --since, --until  the window, UTC, as YYYY-MM-DDTHH:MM:SS (Z optional); lines stamped in [since, until] are
#                     kept, lines without a time stamp (stack traces) go with the line before them
#   --output     the .gz to write (absolute, or "~/x"; directories created, mode 0600); written as FILE.partial-*
#                and renamed when complete. The caller reads it (SFTP) and removes it.
#   --root       application root (default $HOME): reads <root>/apps/<app>/instances/<instance>/log/app.log
#   --app        only this application's instances (default: every application)
#   --lb-log     a load balancer access log to read as well (absolute or "~/x"; repeatable; missing files are
#                skipped and reported)
#   --max-bytes  at most this many bytes of log lines (before compression; default 8388608, at most 268435456):
#                the file is cut at a line boundary and "truncated":true is reported
#
# Every line of the output is "<source><TAB><line as logged>": source "app:<app>/<instance>" or "lb:<file name>".
# Files are read as a stream (awk | gzip): memory stays flat whatever their size. Changes nothing but FILE.
#
# Result (one JSON line on stdout):
#   {"ok":true,"file":..,"bytes":n,"compressedBytes":n,"lines":n,"truncated":bool,"sources":[..],"missing":[..],
#    "hostname":..}
# Exit codes: 0 ok, 1 failed (no file left behind), 2 invalid arguments.

set -euo pipefail
set -o errtrace
SCRIPT='collect-logs.sh'
umask 077

# @include lib/common.sh

# @include lib/output.sh

since="" until="" output="" root="" app_only="" max_bytes=8388608 lb_logs=()
while (($#)); do
  case $1 in
    --since) need_value "$@"; since=$2; shift 2 ;;
    --until) need_value "$@"; until=$2; shift 2 ;;
    --output) need_value "$@"; output=$2; shift 2 ;;
    --root) need_value "$@"; root=$2; shift 2 ;;
    --app) need_value "$@"; app_only=$2; shift 2 ;;
    --lb-log) need_value "$@"; lb_logs+=("$(expand_home "$2")"); shift 2 ;;
    --max-bytes) need_value "$@"; max_bytes=$2; shift 2 ;;
    *) help_or_unknown "$1" ;;
  esac
done

stamp='^[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z?$'
[[ $since =~ $stamp ]] || usage_error "invalid --since (YYYY-MM-DDTHH:MM:SS UTC expected): $since"
[[ $until =~ $stamp ]] || usage_error "invalid --until (YYYY-MM-DDTHH:MM:SS UTC expected): $until"
since=${since%Z} until=${until%Z}
[[ ! $until < $since ]] || usage_error "--until ($until) is before --since ($since)"
root=$(expand_home "${root:-"~"}")
is_path "$root" || usage_error "invalid --root (absolute path without '..' expected): $root"
output=$(expand_home "$output")
output_arg
[[ -z $app_only ]] || is_name "$app_only" || usage_error "invalid --app (a name expected): $app_only"
if ! is_uint "$max_bytes" || ((max_bytes < 1 || max_bytes > 268435456)); then
  usage_error "invalid --max-bytes (1 to 268435456 expected): $max_bytes"
fi
for f in "${lb_logs[@]}"; do
  is_path "$f" || usage_error "invalid --lb-log (absolute path without '..' expected): $f"
done

# window FILE...: the lines of the files in the window, each prefixed with its source and a tab, at most
# $max_bytes bytes in all, to stdout; "<bytes> <lines> <truncated>" to $partial.stats. A file's lines are read
# until the first one stamped after the window.
window() {
  LC_ALL=C awk -v since="$since" -v until="$until" -v budget="$max_bytes" -v stats="$partial.stats" '
    BEGIN { used = 0; n = 0; truncated = "false" }
    FNR == 1 {
      keep = 0; done = 0; src = FILENAME
      if (src ~ /\/log\/app\.log$/) {
        k = split(src, part, "/")
        src = "app:" part[k - 4] "/" part[k - 2]
      } else {
        k = split(src, part, "/")
        src = "lb:" part[k]
      }
    }
    done { next }
    {
      if ($0 ~ /^[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]/) {
        ts = substr($0, 1, 19)
        keep = (ts >= since && ts <= until)
        if (ts > until) { done = 1; next }
      }
      if (!keep) { next }
      line = src "\t" $0
      if (used + length(line) + 1 > budget) { truncated = "true"; exit 0 }
      used += length(line) + 1
      n++
      print line
    }
    END { print used, n, truncated > stats }' "$@"
}

files=() sources=() missing=()
shopt -s nullglob
for appdir in "$root"/apps/*/; do
  appdir=${appdir%/}
  app=${appdir##*/}
  is_name "$app" || continue
  [[ -z $app_only || $app == "$app_only" ]] || continue
  for logfile in "$appdir"/instances/*/log/app.log; do
    instance=${logfile%/log/app.log}
    instance=${instance##*/}
    is_name "$instance" || continue
    files+=("$logfile")
    sources+=("app:$app/$instance")
  done
done
for f in "${lb_logs[@]}"; do
  if [[ -f $f && -r $f ]]; then
    files+=("$f")
    sources+=("lb:${f##*/}")
  else
    missing+=("$f")
  fi
done

open_partial
cleanup_add "$partial.stats"
if ((${#files[@]})); then
  window "${files[@]}" | gzip -c -6 >"$partial"
else
  gzip -c </dev/null >"$partial"
  printf '0 0 false\n' >"$partial.stats"
fi
read -r used lines truncated <"$partial.stats"
compressed=$(file_size "$partial")
publish "$partial" "$output"

list_json() {
  local out="" sep="" s
  for s in "$@"; do out+="$sep$(json_str "$s")"; sep=","; done
  printf '[%s]' "$out"
}
emit ok b true file s "$output" bytes n "$used" compressedBytes n "$compressed" lines n "$lines" \
  truncated b "$truncated" sources j "$(list_json "${sources[@]}")" missing j "$(list_json "${missing[@]}")" \
  hostname s "$(hostname 2>/dev/null || printf unknown)"
