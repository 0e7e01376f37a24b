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

# @include lib/common.sh

# @include lib/db.sh

# @include lib/pg.sh

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
    *) help_or_unknown "$1" ;;
  esac
done

is_dbname "$database" || usage_error "invalid --database (expected ^[A-Za-z_][A-Za-z0-9_-]{0,62}\$): $database"
is_path "$input" || usage_error "invalid --input (absolute path without '..' expected): $input"
[[ -z $sha256 ]] || is_sha256 "$sha256" || usage_error "invalid --sha256 (64 hex digits expected)"
client_args
[[ -z $passfile ]] || is_path "$passfile" || usage_error "invalid --passfile (absolute path expected): $passfile"
is_dbname "$maintenance_db" || usage_error "invalid --maintenance-db: $maintenance_db"
[[ $database != "$maintenance_db" ]] || usage_error "the target database must not be the maintenance database $maintenance_db"
verify_arg

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
