#!/usr/bin/env bash
# db-backup-mariadb.sh: dump a MariaDB/MySQL database with mysqldump --single-transaction and record checksum,
# size and row counts.
#
# Usage:
#   db-backup-mariadb.sh --database NAME --output FILE [--host HOST] [--port N] [--user USER]
#                        [--defaults-file FILE] [--verify-query SQL]
#
#   --output         absolute path of the dump; FILE ending in .gz is gzip-compressed; written as FILE.partial-*
#                    and renamed when complete (mode 0600), so FILE is never half-written; an existing FILE is replaced
#   --host           host name or IP (TCP), or an absolute socket path; client defaults when omitted
#   --defaults-file  option file with [client] user=/password= (passed as --defaults-extra-file); passwords are
#                    never taken as arguments
#   --verify-query   one SELECT whose result is recorded as verifyValue, for comparison after a restore
# The dump holds tables, data, routines and triggers of that one database without CREATE DATABASE/USE, so it can be
# restored into any database (the original or a scratch one). Row counts are taken in a consistent snapshot just
# before the dump: exact when nothing writes during the backup, otherwise approximate (use --verify-query on a
# stable predicate for live databases).
#
# Result (one JSON line on stdout):
#   {"ok":true,"kind":"mariadb","database":..,"file":..,"format":"sql|sql.gz","size":n,"sha256":..,
#    "rowCounts":{"items":3,..},"tables":n,"verifyValue":..|null,"startedAt":..,"finishedAt":..,"durationMs":n}
# Exit codes: 0 ok, 1 failed (no file left behind), 2 invalid arguments.

set -euo pipefail
set -o errtrace
SCRIPT='db-backup-mariadb.sh'
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

# >>> db: identical in the db-*.sh scripts
is_dbname() { [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_-]{0,62}$ ]]; }
is_dbuser() { [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_.@-]{0,62}$ ]]; }
# is_query: one read-only query (SELECT or WITH) without semicolons, backslashes or control characters
is_query() {
  [[ ${#1} -le 2000 && $1 != *[[:cntrl:]]* && $1 != *\\* && $1 != *";"* && $1 =~ ^[[:space:]]*([Ss][Ee][Ll][Ee][Cc][Tt]|[Ww][Ii][Tt][Hh])[[:space:]] ]]
}

# counts_json FILE: lines "table|count" -> {"table":count,...}
counts_json() {
  local line name count out="" sep=""
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line == *"|"* ]] || continue
    name=${line%|*}
    count=${line##*|}
    [[ $count =~ ^[0-9]+$ ]] || continue
    out+="$sep$(json_str "$name"):$count"
    sep=","
  done <"$1"
  printf '{%s}\n' "$out"
}

count_entries() {
  grep -c '|' -- "$1" || true
}

# verify_value FILE: the query result as text (rows joined by newlines, columns by |)
verify_value() {
  local text
  text=$(cat -- "$1")
  printf '%s' "${text:0:4000}"
}

# check_dump INPUT SHA256: verifies the backup before anything is touched; sets input_sha and input_size
# shellcheck disable=SC2034 # the restore scripts report them
input_sha="" input_size=""
check_dump() {
  [[ -f $1 && -r $1 ]] || fail 1 "backup file $1 does not exist or is not readable"
  input_sha=$(file_sha256 "$1")
  # shellcheck disable=SC2034
  input_size=$(file_size "$1")
  if [[ -n $2 && ${2,,} != "$input_sha" ]]; then
    fail 1 "checksum mismatch for $1: expected ${2,,}, got $input_sha; nothing was restored" \
      file s "$1" sha256 s "$input_sha" expectedSha256 s "${2,,}"
  fi
}

# publish PARTIAL OUTPUT: renames a complete dump into place (never a half-written file under OUTPUT)
publish() {
  chmod 600 -- "$1"
  mv -f -- "$1" "$2"
}
# <<< db

# >>> my: identical in db-backup-mariadb.sh and db-restore-mariadb.sh
my_opts=()
# my_setup: client options from $defaults_file $host $port $user (passwords only ever come from the defaults file)
my_setup() {
  my_opts=()
  if [[ -n $defaults_file ]]; then
    [[ -f $defaults_file && -r $defaults_file ]] || fail 1 "defaults file $defaults_file does not exist or is not readable"
    my_opts+=("--defaults-extra-file=$defaults_file")
  fi
  if [[ -n $host ]]; then
    if [[ $host == /* ]]; then my_opts+=("--socket=$host"); else my_opts+=("--host=$host"); fi
  fi
  [[ -z $port ]] || my_opts+=("--port=$port")
  [[ -z $user ]] || my_opts+=("--user=$user")
  unset MYSQL_PWD MYSQL_HOST
}

# my_sql [DB]: runs SQL from stdin, batch output without column names
my_sql() {
  mysql "${my_opts[@]}" --batch --skip-column-names --default-character-set=utf8mb4 "$@"
}

# my_counts DB OUT [VERIFY_OUT]: exact row counts of every base table ("table|count" lines) in one consistent
# read-only snapshot, plus the result of $verify_query when set. Returns 1 on any error (callers use ||, where
# errexit does not apply, so every step is checked here).
my_counts() {
  local t list tables=() i=0 line section=counts
  list=$(my_sql "$1" <<<"SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name;") ||
    return 1
  while IFS= read -r t; do
    if [[ -n $t ]]; then tables+=("$t"); fi
  done <<<"$list"
  {
    printf '%s\n' "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY;"
    for t in "${tables[@]}"; do
      # shellcheck disable=SC2016 # backticks quote the table name in SQL
      printf 'SELECT COUNT(*) FROM `%s`;\n' "${t//\`/\`\`}"
    done
    if [[ $verify_set == true ]]; then
      printf '%s\n' "SELECT '--opsflow-verify--';" "$verify_query;"
    fi
    printf '%s\n' "COMMIT;"
  } | my_sql "$1" >"$2.raw" || return 1
  : >"$2" || return 1
  : >"${3:-/dev/null}" || return 1
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line == --opsflow-verify-- ]]; then
      section=verify
    elif [[ $section == counts ]]; then
      printf '%s|%s\n' "${tables[i]}" "$line" >>"$2"
      i=$((i + 1))
    else
      printf '%s\n' "${line//$'\t'/|}" >>"${3:-/dev/null}"
    fi
  done <"$2.raw"
  if ((i != ${#tables[@]})); then
    printf 'counting rows in %s returned %s results for %s tables\n' "$1" "$i" "${#tables[@]}" >&2
    return 1
  fi
}
# <<< my

database="" output="" host="" port="" user="" defaults_file="" verify_query="" verify_set=false
while (($#)); do
  case $1 in
    --database) need_value "$@"; database=$2; shift 2 ;;
    --output) need_value "$@"; output=$2; shift 2 ;;
    --host) need_value "$@"; host=$2; shift 2 ;;
    --port) need_value "$@"; port=$2; shift 2 ;;
    --user) need_value "$@"; user=$2; shift 2 ;;
    --defaults-file) need_value "$@"; defaults_file=$2; shift 2 ;;
    --verify-query) need_value "$@"; verify_query=$2; verify_set=true; shift 2 ;;
    -h | --help) usage; emit ok b true usage s "see the header of $SCRIPT"; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

is_dbname "$database" || usage_error "invalid --database (expected ^[A-Za-z_][A-Za-z0-9_-]{0,62}\$): $database"
is_path "$output" || usage_error "invalid --output (absolute path without '..' expected): $output"
[[ $output != */ ]] || usage_error "--output must name a file: $output"
[[ -z $host ]] || is_host "$host" || usage_error "invalid --host: $host"
[[ -z $port ]] || is_port "$port" || usage_error "invalid --port (1-65535 expected): $port"
[[ -z $user ]] || is_dbuser "$user" || usage_error "invalid --user: $user"
[[ -z $defaults_file ]] || is_path "$defaults_file" || usage_error "invalid --defaults-file (absolute path expected): $defaults_file"
[[ $verify_set == false ]] || is_query "$verify_query" ||
  usage_error "invalid --verify-query (one SELECT/WITH query without ';', '\\' or control characters)"
[[ ! -d $output ]] || fail 1 "--output $output is a directory"

my_setup
started=$(now_iso)
start_ms=$(now_ms)
work=$(mktemp -d "${TMPDIR:-/tmp}/db-backup-mariadb.XXXXXX")
cleanup_add "$work"

my_counts "$database" "$work/counts" "$work/verify" 2>"$work/err" || {
  cat -- "$work/err" >&2
  fail 1 "cannot read database $database: $(tr -s '\n ' ' ' <"$work/err" | head -c 500 | sed 's/ *$//')" database s "$database"
}

outdir=${output%/*}
mkdir -p -- "${outdir:-/}"
partial=$(mktemp "$output.partial-XXXXXX")
cleanup_add "$partial"
format=sql
dump=(mysqldump "${my_opts[@]}" --single-transaction --quick --routines --triggers --hex-blob --no-tablespaces
  --default-character-set=utf8mb4 --add-drop-table "$database")
if [[ $output == *.gz ]]; then
  format=sql.gz
  "${dump[@]}" 2>"$work/dump.err" | gzip -c >"$partial" || dump_failed=true
else
  "${dump[@]}" 2>"$work/dump.err" >"$partial" || dump_failed=true
fi
if [[ ${dump_failed:-false} == true ]]; then
  cat -- "$work/dump.err" >&2
  fail 1 "mysqldump of $database failed: $(tr -s '\n ' ' ' <"$work/dump.err" | head -c 500 | sed 's/ *$//')" database s "$database"
fi
cat -- "$work/dump.err" >&2

publish "$partial" "$output"
verify_json=""
[[ $verify_set == false ]] || verify_json=$(json_str "$(verify_value "$work/verify")")
emit ok b true kind s mariadb database s "$database" host z "$host" port n "$port" file s "$output" \
  format s "$format" size n "$(file_size "$output")" sha256 s "$(file_sha256 "$output")" \
  rowCounts j "$(counts_json "$work/counts")" tables n "$(count_entries "$work/counts")" verifyValue j "$verify_json" \
  startedAt s "$started" finishedAt s "$(now_iso)" durationMs n "$(($(now_ms) - start_ms))"
