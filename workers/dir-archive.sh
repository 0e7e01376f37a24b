#!/usr/bin/env bash
# dir-archive.sh: archive a directory as tar.gz and report its SHA-256, size and number of files.
#
# Usage:
#   dir-archive.sh --source DIR --output FILE [--exclude PATTERN]...
#
#   --source   absolute path of the directory; the archive holds its content with paths relative to it
#              (owners as numeric ids, permissions kept)
#   --output   absolute path of the .tar.gz (directories created, mode 0600), not inside --source; written as
#              FILE.partial-* and renamed when complete, so FILE is never half-written; an existing FILE is replaced
#   --exclude  tar --exclude pattern relative to the source, e.g. 'cache/*' (letters, digits, . _ - / * ? only)
#
# Result (one JSON line on stdout):
#   {"ok":true,"kind":"files","source":..,"file":..,"size":n,"sha256":..,"files":n,"startedAt":..,"finishedAt":..,
#    "durationMs":n}
# Exit codes: 0 ok, 1 failed (no file left behind), 2 invalid arguments.

set -euo pipefail
set -o errtrace
SCRIPT='dir-archive.sh'
umask 077

# @include lib/common.sh

# @include lib/output.sh

source_dir="" output="" excludes=()
while (($#)); do
  case $1 in
    --source) need_value "$@"; source_dir=$2; shift 2 ;;
    --output) need_value "$@"; output=$2; shift 2 ;;
    --exclude) need_value "$@"; excludes+=("$2"); shift 2 ;;
    *) help_or_unknown "$1" ;;
  esac
done

is_path "$source_dir" || usage_error "invalid --source (absolute path without '..' expected): $source_dir"
output_arg
source_dir=${source_dir%/}
source_dir=${source_dir:-/}
case "$output/" in
  "$source_dir"/*) usage_error "--output must not be inside --source" ;;
esac
tar_excludes=()
for pattern in "${excludes[@]}"; do
  [[ $pattern =~ ^[A-Za-z0-9._*?][A-Za-z0-9._*?/-]{0,200}$ && "/$pattern/" != *"/../"* ]] ||
    usage_error "invalid --exclude pattern: $pattern"
  tar_excludes+=("--exclude=./$pattern")
done
[[ -d $source_dir ]] || fail 1 "source directory $source_dir does not exist" source s "$source_dir"
[[ ! -d $output ]] || fail 1 "--output $output is a directory"

started=$(now_iso)
start_ms=$(now_ms)
open_partial
err=$(mktemp "${TMPDIR:-/tmp}/dir-archive.XXXXXX")
cleanup_add "$err"
if ! tar -C "$source_dir" --numeric-owner "${tar_excludes[@]}" -czf "$partial" . 2>"$err"; then
  cat -- "$err" >&2
  fail 1 "archiving $source_dir failed: $(tr -s '\n ' ' ' <"$err" | head -c 500 | sed 's/ *$//')" source s "$source_dir"
fi
files=$(tar -tzf "$partial" | awk 'substr($0, length($0)) != "/" { n++ } END { print n + 0 }')
publish "$partial" "$output"
emit ok b true kind s files source s "$source_dir" file s "$output" size n "$(file_size "$output")" \
  sha256 s "$(file_sha256 "$output")" files n "$files" startedAt s "$started" finishedAt s "$(now_iso)" \
  durationMs n "$(($(now_ms) - start_ms))"
