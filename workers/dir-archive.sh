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

source_dir="" output="" excludes=()
while (($#)); do
  case $1 in
    --source) need_value "$@"; source_dir=$2; shift 2 ;;
    --output) need_value "$@"; output=$2; shift 2 ;;
    --exclude) need_value "$@"; excludes+=("$2"); shift 2 ;;
    -h | --help) usage; emit ok b true usage s "see the header of $SCRIPT"; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

is_path "$source_dir" || usage_error "invalid --source (absolute path without '..' expected): $source_dir"
is_path "$output" || usage_error "invalid --output (absolute path without '..' expected): $output"
[[ $output != */ ]] || usage_error "--output must name a file: $output"
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
outdir=${output%/*}
mkdir -p -- "${outdir:-/}"
partial=$(mktemp "$output.partial-XXXXXX")
cleanup_add "$partial"
err=$(mktemp "${TMPDIR:-/tmp}/dir-archive.XXXXXX")
cleanup_add "$err"
if ! tar -C "$source_dir" --numeric-owner "${tar_excludes[@]}" -czf "$partial" . 2>"$err"; then
  cat -- "$err" >&2
  fail 1 "archiving $source_dir failed: $(tr -s '\n ' ' ' <"$err" | head -c 500 | sed 's/ *$//')" source s "$source_dir"
fi
files=$(tar -tzf "$partial" | awk 'substr($0, length($0)) != "/" { n++ } END { print n + 0 }')
chmod 600 -- "$partial"
mv -f -- "$partial" "$output"
emit ok b true kind s files source s "$source_dir" file s "$output" size n "$(file_size "$output")" \
  sha256 s "$(file_sha256 "$output")" files n "$files" startedAt s "$started" finishedAt s "$(now_iso)" \
  durationMs n "$(($(now_ms) - start_ms))"
