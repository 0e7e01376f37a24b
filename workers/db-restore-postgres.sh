#!/usr/bin/env bash
# db-restore-postgres.sh: restore a pg_dump -Fc backup into a PostgreSQL database and report its row counts.
#
# Usage:
#   db-restore-postgres.sh --database NAME --input FILE [--sha256 HEX] [--host HOST] [--port N] [--user USER]
#                          [--passfile FILE] [--maintenance-db postgres] [--create-db] [--recreate] [--no-owner]
#                          [--verify-query SQL] [--drop-after]
#
#   --database     target database: the original one, or a scratch database for a restore drill
#   --sha256       expected SHA-256 of FILE: checked (with the archive's table of contents) before anything is touched
#   --create-db    create the target database when it does not exist (otherwise a missing database is an error)
#   --recreate     drop (WITH FORCE) and create the target database first, so objects created after the backup
#                  (e.g. by a failed migration) disappear too; without it pg_restore --clean --if-exists replaces
#                  the dumped objects in one transaction (all or nothing) and leaves other objects alone
#   --no-owner     do not restore object ownership (restoring as another user, e.g. into a scratch database)
#   --verify-query one SELECT whose result is reported as verifyValue (compare with the backup's)
#   --drop-after   drop the target database after counting (restore drills)
#   --passfile     a .pgpass file (PGPASSFILE); passwords are never taken as arguments
# Stopping the writers before restoring over a live database is the caller's job.
# --recreate and --drop-after need PostgreSQL 13 or later (dropdb --force).
#
# Result (one JSON line on stdout):
#   {"ok":true,"kind":"postgres","database":..,"file":..,"sha256":..,"size":n,"created":bool,"recreated":bool,
#    "rowCounts":{..},"tables":n,"verifyValue":..|null,"dropped":bool,"startedAt":..,"finishedAt":..,"durationMs":n}
# Exit codes: 0 ok, 1 failed, 2 invalid arguments (nothing was changed).

set -euo pipefail
set -o errtrace
SCRIPT='db-restore-postgres.sh'
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

database="" input="" sha256="" host="" port="" user="" passfile="" maintenance_db=postgres create_db=false
recreate=false no_owner=false verify_query="" verify_set=false drop_after=false
while (($#)); do
  case $1 in
    --database) need_value "$@"; database=$2; shift 2 ;;
    --input) need_value "$@"; input=$2; shift 2 ;;
    --sha256) need_value "$@"; sha256=$2; shift 2 ;;
    --host) need_value "$@"; host=$2; shift 2 ;;
    --port) need_value "$@"; port=$2; shift 2 ;;
    --user) need_value "$@"; user=$2; shift 2 ;;
    --passfile) need_value "$@"; passfile=$2; shift 2 ;;
    --maintenance-db) need_value "$@"; maintenance_db=$2; shift 2 ;;
    --create-db) create_db=true; shift ;;
    --recreate) recreate=true; shift ;;
    --no-owner) no_owner=true; shift ;;
    --verify-query) need_value "$@"; verify_query=$2; verify_set=true; shift 2 ;;
    --drop-after) drop_after=true; shift ;;
    -h | --help) usage; emit ok b true usage s "see the header of $SCRIPT"; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

is_dbname "$database" || usage_error "invalid --database (expected ^[A-Za-z_][A-Za-z0-9_-]{0,62}\$): $database"
is_path "$input" || usage_error "invalid --input (absolute path without '..' expected): $input"
[[ -z $sha256 ]] || is_sha256 "$sha256" || usage_error "invalid --sha256 (64 hex digits expected)"
[[ -z $host ]] || is_host "$host" || usage_error "invalid --host: $host"
[[ -z $port ]] || is_port "$port" || usage_error "invalid --port (1-65535 expected): $port"
[[ -z $user ]] || is_dbuser "$user" || usage_error "invalid --user: $user"
[[ -z $passfile ]] || is_path "$passfile" || usage_error "invalid --passfile (absolute path expected): $passfile"
is_dbname "$maintenance_db" || usage_error "invalid --maintenance-db: $maintenance_db"
[[ $database != "$maintenance_db" ]] || usage_error "the target database must not be the maintenance database $maintenance_db"
[[ $verify_set == false ]] || is_query "$verify_query" ||
  usage_error "invalid --verify-query (one SELECT/WITH query without ';', '\\' or control characters)"

started=$(now_iso)
start_ms=$(now_ms)
check_dump "$input" "$sha256"
pg_restore -l -- "$input" >/dev/null || fail 1 "$input is not a pg_dump custom-format archive" file s "$input" sha256 s "$input_sha"
pg_setup
work=$(mktemp -d "${TMPDIR:-/tmp}/db-restore-postgres.XXXXXX")
cleanup_add "$work"

exists=$(pg_psql "$maintenance_db" -v name="$database" <<<"SELECT 1 FROM pg_database WHERE datname = :'name';" \
  2>"$work/psql.err") || {
  cat -- "$work/psql.err" >&2
  fail 1 "cannot query PostgreSQL (maintenance database $maintenance_db): $(tr -s '\n ' ' ' <"$work/psql.err" | head -c 500 | sed 's/ *$//')" \
    database s "$database"
}
created=false recreated=false dropped=false
if [[ $recreate == true ]]; then
  if [[ $exists == 1 ]]; then
    dropdb "${pg_conn[@]}" --maintenance-db="$maintenance_db" --if-exists --force "$database" ||
      fail 1 "could not drop database $database" database s "$database"
  fi
  createdb "${pg_conn[@]}" --maintenance-db="$maintenance_db" "$database" ||
    fail 1 "could not create database $database" database s "$database"
  recreated=true
elif [[ $exists != 1 ]]; then
  [[ $create_db == true ]] || fail 1 "database $database does not exist (use --create-db for a scratch database)" \
    database s "$database" file s "$input" sha256 s "$input_sha"
  createdb "${pg_conn[@]}" --maintenance-db="$maintenance_db" "$database" ||
    fail 1 "could not create database $database" database s "$database"
  created=true
fi

restore_opts=(--clean --if-exists --single-transaction --exit-on-error)
[[ $no_owner == false ]] || restore_opts+=(--no-owner --no-privileges)
printf 'restoring %s into %s\n' "$input" "$database" >&2
if ! pg_restore "${pg_conn[@]}" "${restore_opts[@]}" -d "$database" -- "$input" 2>"$work/restore.err"; then
  cat -- "$work/restore.err" >&2
  fail 1 "pg_restore into $database failed (rolled back): $(tr -s '\n ' ' ' <"$work/restore.err" | head -c 500 | sed 's/ *$//')" \
    database s "$database" file s "$input" sha256 s "$input_sha" created b "$created" recreated b "$recreated"
fi

{
  printf '%s\n' "BEGIN READ ONLY;" "SELECT '--opsflow-counts--';" "$PG_COUNT_SQL"
  if [[ $verify_set == true ]]; then printf '%s\n' "SELECT '--opsflow-verify--';" "$verify_query;"; fi
  printf '%s\n' "COMMIT;"
} | pg_psql "$database" >"$work/out" 2>"$work/psql.err" || {
  cat -- "$work/psql.err" >&2
  fail 1 "verifying $database failed: $(tr -s '\n ' ' ' <"$work/psql.err" | head -c 500 | sed 's/ *$//')" \
    database s "$database" file s "$input" sha256 s "$input_sha" created b "$created" recreated b "$recreated"
}
section=""
: >"$work/counts"
: >"$work/verify"
while IFS= read -r line || [[ -n $line ]]; do
  case $line in
    --opsflow-counts--) section=counts ;;
    --opsflow-verify--) section=verify ;;
    *) if [[ -n $section ]]; then printf '%s\n' "$line" >>"$work/$section"; fi ;;
  esac
done <"$work/out"

if [[ $drop_after == true ]]; then
  dropdb "${pg_conn[@]}" --maintenance-db="$maintenance_db" --if-exists --force "$database" ||
    fail 1 "restored and verified, but could not drop database $database" database s "$database"
  dropped=true
fi

verify_json=""
[[ $verify_set == false ]] || verify_json=$(json_str "$(verify_value "$work/verify")")
emit ok b true kind s postgres database s "$database" host z "$host" port n "$port" file s "$input" \
  sha256 s "$input_sha" size n "$input_size" created b "$created" recreated b "$recreated" \
  rowCounts j "$(counts_json "$work/counts")" tables n "$(count_entries "$work/counts")" verifyValue j "$verify_json" \
  dropped b "$dropped" startedAt s "$started" finishedAt s "$(now_iso)" durationMs n "$(($(now_ms) - start_ms))"
