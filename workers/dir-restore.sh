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

input="" target="" sha256="" mode=replace
while (($#)); do
  case $1 in
    --input) need_value "$@"; input=$2; shift 2 ;;
    --target) need_value "$@"; target=$2; shift 2 ;;
    --sha256) need_value "$@"; sha256=$2; shift 2 ;;
    --mode) need_value "$@"; mode=$2; shift 2 ;;
    -h | --help) usage; emit ok b true usage s "see the header of $SCRIPT"; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
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
