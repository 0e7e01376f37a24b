#!/usr/bin/env bash
# dir-restore.sh: restore a dir-archive.sh tar.gz into a directory.
#
# Usage:
#   dir-restore.sh --input FILE --target DIR [--sha256 HEX] [--mode replace|merge]
#
#   --sha256  expected SHA-256 of FILE; checked, with the archive's member list (no absolute paths, no '..'),
#             before anything is touched
#   --mode    replace (default): the target becomes exactly the archive's content: it is extracted next to the
#             target and swapped in by renames, so a failed extraction leaves the target as it was;
#             merge: extract over the existing target (files in the archive are overwritten, others stay)
# Owners (numeric ids, when run as root) and permissions are restored as archived. The target "/" is refused.
#
# Result (one JSON line on stdout):
#   {"ok":true,"kind":"files","target":..,"file":..,"sha256":..,"size":n,"files":n,"mode":..,"replaced":bool,
#    "startedAt":..,"finishedAt":..,"durationMs":n}
# Exit codes: 0 ok, 1 failed, 2 invalid arguments (nothing was changed).

set -euo pipefail
set -o errtrace
SCRIPT='dir-restore.sh'
umask 022

# @include lib/common.sh

input="" target="" sha256="" mode=replace
while (($#)); do
  case $1 in
    --input) need_value "$@"; input=$2; shift 2 ;;
    --target) need_value "$@"; target=$2; shift 2 ;;
    --sha256) need_value "$@"; sha256=$2; shift 2 ;;
    --mode) need_value "$@"; mode=$2; shift 2 ;;
    *) help_or_unknown "$1" ;;
  esac
done

is_path "$input" || usage_error "invalid --input (absolute path without '..' expected): $input"
is_path "$target" || usage_error "invalid --target (absolute path without '..' expected): $target"
target=${target%/}
[[ -n $target ]] || usage_error "refusing to restore into /"
[[ -z $sha256 ]] || is_sha256 "$sha256" || usage_error "invalid --sha256 (64 hex digits expected)"
[[ $mode == replace || $mode == merge ]] || usage_error "invalid --mode (replace or merge): $mode"

started=$(now_iso)
start_ms=$(now_ms)
[[ -f $input && -r $input ]] || fail 1 "archive $input does not exist or is not readable"
actual=$(file_sha256 "$input")
if [[ -n $sha256 && ${sha256,,} != "$actual" ]]; then
  fail 1 "checksum mismatch for $input: expected ${sha256,,}, got $actual; nothing was restored" \
    file s "$input" sha256 s "$actual" expectedSha256 s "${sha256,,}"
fi
parent=${target%/*}
parent=${parent:-/}
work=$(mktemp -d "${TMPDIR:-/tmp}/dir-restore.XXXXXX")
cleanup_add "$work"
tar -tzf "$input" >"$work/members" 2>"$work/err" || fail 1 "$input is not a readable tar.gz" file s "$input" sha256 s "$actual"
while IFS= read -r member; do
  if [[ $member == /* || "/$member/" == *"/../"* ]]; then
    fail 1 "$input contains an unsafe member: $member; nothing was restored" file s "$input" sha256 s "$actual"
  fi
done <"$work/members"
files=$(awk 'substr($0, length($0)) != "/" { n++ } END { print n + 0 }' "$work/members")

replaced=false
if [[ $mode == merge ]]; then
  mkdir -p -- "$target"
  tar -xzf "$input" -C "$target" --numeric-owner 2>"$work/err" || {
    cat -- "$work/err" >&2
    fail 1 "extracting $input into $target failed (merge: the target may be partly restored)" file s "$input"
  }
else
  mkdir -p -- "$parent"
  staging=$(mktemp -d "$parent/.dir-restore.XXXXXX")
  cleanup_add "$staging"
  tar -xzf "$input" -C "$staging" --numeric-owner 2>"$work/err" || {
    cat -- "$work/err" >&2
    fail 1 "extracting $input failed; $target is unchanged" file s "$input" sha256 s "$actual"
  }
  # the archive's root entry "." carries the original directory's mode and owner
  if [[ -e $target || -L $target ]]; then
    old="$parent/.dir-restore-old.$$"
    rm -rf -- "$old"
    mv -T -- "$target" "$old"
    if ! mv -T -- "$staging" "$target"; then
      mv -T -- "$old" "$target"
      fail 1 "could not move the restored content into $target; $target is unchanged" file s "$input"
    fi
    rm -rf -- "$old"
    replaced=true
  else
    mv -T -- "$staging" "$target"
  fi
fi
emit ok b true kind s files target s "$target" file s "$input" sha256 s "$actual" size n "$(file_size "$input")" \
  files n "$files" mode s "$mode" replaced b "$replaced" startedAt s "$started" finishedAt s "$(now_iso)" \
  durationMs n "$(($(now_ms) - start_ms))"
