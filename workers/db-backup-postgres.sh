#!/usr/bin/env bash
# db-backup-postgres.sh: dump a PostgreSQL database with pg_dump -Fc and record checksum, size and row counts.
#
# Usage:
#   db-backup-postgres.sh --database NAME --output FILE [--host HOST] [--port N] [--user USER]
#                         [--passfile FILE] [--verify-query SQL]
#
#   --output        absolute path of the dump (directories created, mode 0600); written as FILE.partial-* and
#                   renamed when complete, so FILE is never half-written; an existing FILE is replaced
#   --host --port --user   libpq defaults when omitted (e.g. the local socket); HOST may be a socket directory
#   --passfile      a .pgpass file (PGPASSFILE); passwords are never taken as arguments
#   --verify-query  one SELECT whose result is recorded as verifyValue, for comparison after a restore
# The dump and the row counts come from the same snapshot (pg_export_snapshot + pg_dump --snapshot), so the
# counts are exactly what the dump holds even while the application writes.
#
# Result (one JSON line on stdout):
#   {"ok":true,"kind":"postgres","database":..,"file":..,"format":"custom","size":n,"sha256":..,
#    "rowCounts":{"public.items":3,..},"tables":n,"verifyValue":..|null,"startedAt":..,"finishedAt":..,"durationMs":n}
# Exit codes: 0 ok, 1 failed (no file left behind), 2 invalid arguments.

set -euo pipefail
set -o errtrace
SCRIPT='db-backup-postgres.sh'
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

# >>> pg: identical in db-backup-postgres.sh and db-restore-postgres.sh
pg_conn=()
# pg_setup: connection options from $host $port $user $passfile (the password only ever comes from PGPASSFILE)
pg_setup() {
  pg_conn=(-w)
  [[ -z $host ]] || pg_conn+=(-h "$host")
  [[ -z $port ]] || pg_conn+=(-p "$port")
  [[ -z $user ]] || pg_conn+=(-U "$user")
  if [[ -n $passfile ]]; then
    [[ -f $passfile && -r $passfile ]] || fail 1 "passfile $passfile does not exist or is not readable"
    export PGPASSFILE=$passfile
  fi
  unset PGDATABASE PGSERVICE
  export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10} PGAPPNAME=opsflow-workers
}

# exact row counts of every base table outside the system schemas, one "schema.table|count" line each
PG_COUNT_SQL="SELECT table_schema || '.' || table_name || '|' || (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1;"

# pg_psql DB [PSQL_OPTION...]: psql reading SQL from stdin, unaligned, tuples only, stop at the first error
pg_psql() {
  psql "${pg_conn[@]}" -X -q -A -t -v ON_ERROR_STOP=1 "${@:2}" -d "$1"
}
# <<< pg

database="" output="" host="" port="" user="" passfile="" verify_query="" verify_set=false
while (($#)); do
  case $1 in
    --database) need_value "$@"; database=$2; shift 2 ;;
    --output) need_value "$@"; output=$2; shift 2 ;;
    --host) need_value "$@"; host=$2; shift 2 ;;
    --port) need_value "$@"; port=$2; shift 2 ;;
    --user) need_value "$@"; user=$2; shift 2 ;;
    --passfile) need_value "$@"; passfile=$2; shift 2 ;;
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
[[ -z $passfile ]] || is_path "$passfile" || usage_error "invalid --passfile (absolute path expected): $passfile"
[[ $verify_set == false ]] || is_query "$verify_query" ||
  usage_error "invalid --verify-query (one SELECT/WITH query without ';', '\\' or control characters)"
[[ ! -d $output ]] || fail 1 "--output $output is a directory"

pg_setup
started=$(now_iso)
start_ms=$(now_ms)
outdir=${output%/*}
mkdir -p -- "${outdir:-/}"
partial=$(mktemp "$output.partial-XXXXXX")
cleanup_add "$partial"
work=$(mktemp -d "${TMPDIR:-/tmp}/db-backup-postgres.XXXXXX")
cleanup_add "$work"
mkfifo -- "$work/in" "$work/out"

# a session that exports its snapshot and stays open while pg_dump uses that snapshot
pg_psql "$database" <"$work/in" >"$work/out" 2>"$work/psql.err" 3>&- &
psql_pid=$!
exec {to_psql}>"$work/in" {from_psql}<"$work/out"

psql_failure() {
  exec {to_psql}>&- || true
  wait "$psql_pid" 2>/dev/null || true
  cat -- "$work/psql.err" >&2 || true
  fail 1 "$1: $(tr -s '\n ' ' ' <"$work/psql.err" | head -c 500 | sed 's/ *$//')" database s "$database"
}

printf '%s\n' "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;" "SELECT pg_export_snapshot();" >&"$to_psql"
snapshot=""
IFS= read -r -t 120 -u "$from_psql" snapshot || psql_failure "could not open a session on database $database"
[[ $snapshot =~ ^[0-9A-Fa-f-]+$ ]] || psql_failure "unexpected answer to pg_export_snapshot(): $snapshot"

if ! pg_dump "${pg_conn[@]}" -Fc --snapshot="$snapshot" --lock-wait-timeout=60000 -f "$partial" -d "$database"; then
  psql_failure "pg_dump of $database failed"
fi

{
  printf '%s\n' "SELECT '--opsflow-counts--';" "$PG_COUNT_SQL"
  if [[ $verify_set == true ]]; then printf '%s\n' "SELECT '--opsflow-verify--';" "$verify_query;"; fi
  printf '%s\n' "SELECT '--opsflow-end--';" "COMMIT;"
} >&"$to_psql"
section="" line=""
: >"$work/counts"
: >"$work/verify"
while :; do
  IFS= read -r -t 3600 -u "$from_psql" line || psql_failure "counting rows in $database failed"
  case $line in
    --opsflow-counts--) section=counts ;;
    --opsflow-verify--) section=verify ;;
    --opsflow-end--) break ;;
    *) if [[ -n $section ]]; then printf '%s\n' "$line" >>"$work/$section"; fi ;;
  esac
done
exec {to_psql}>&-
wait "$psql_pid" || psql_failure "the snapshot session of $database failed"
exec {from_psql}<&-

publish "$partial" "$output"
verify_json=""
[[ $verify_set == false ]] || verify_json=$(json_str "$(verify_value "$work/verify")")
emit ok b true kind s postgres database s "$database" host z "$host" port n "$port" file s "$output" \
  format s custom size n "$(file_size "$output")" sha256 s "$(file_sha256 "$output")" \
  rowCounts j "$(counts_json "$work/counts")" tables n "$(count_entries "$work/counts")" verifyValue j "$verify_json" \
  startedAt s "$started" finishedAt s "$(now_iso)" durationMs n "$(($(now_ms) - start_ms))"
