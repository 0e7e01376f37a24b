#!/usr/bin/env bash
# db-restore-mariadb.sh: restore a db-backup-mariadb.sh dump into a MariaDB/MySQL database and report row counts.
#
# Usage:
#   db-restore-mariadb.sh --database NAME --input FILE [--sha256 HEX] [--host HOST] [--port N] [--user USER]
#                         [--defaults-file FILE] [--create-db] [--recreate] [--verify-query SQL] [--drop-after]
#
#   --database       target database: the original one, or a scratch database for a restore drill
#   --sha256         expected SHA-256 of FILE, checked (with gzip integrity and the dump's shape) before anything
#                    is touched
#   --create-db      create the target database when it does not exist (otherwise a missing database is an error)
#   --recreate       drop and create the target database first, so tables created after the backup disappear too;
#                    without it every dumped table is dropped and re-created, other tables stay
#   --verify-query   one SELECT whose result is reported as verifyValue (compare with the backup's)
#   --drop-after     drop the target database after counting (restore drills)
#   --defaults-file  option file with [client] user=/password= (--defaults-extra-file); never passwords as arguments
# MariaDB DDL is not transactional: a restore that fails half-way leaves the database half-restored (the JSON says
# so); run it again. Dumps naming a database (USE / CREATE DATABASE) are refused: they could write elsewhere.
#
# Result (one JSON line on stdout):
#   {"ok":true,"kind":"mariadb","database":..,"file":..,"sha256":..,"size":n,"created":bool,"recreated":bool,
#    "rowCounts":{..},"tables":n,"verifyValue":..|null,"dropped":bool,"startedAt":..,"finishedAt":..,"durationMs":n}
# Exit codes: 0 ok, 1 failed, 2 invalid arguments (nothing was changed).

set -euo pipefail
set -o errtrace
SCRIPT='db-restore-mariadb.sh'
umask 077

# @include lib/common.sh

# @include lib/db.sh

# @include lib/my.sh

database="" input="" sha256="" host="" port="" user="" defaults_file="" create_db=false recreate=false
verify_query="" verify_set=false drop_after=false
while (($#)); do
  case $1 in
    --database) need_value "$@"; database=$2; shift 2 ;;
    --input) need_value "$@"; input=$2; shift 2 ;;
    --sha256) need_value "$@"; sha256=$2; shift 2 ;;
    --host) need_value "$@"; host=$2; shift 2 ;;
    --port) need_value "$@"; port=$2; shift 2 ;;
    --user) need_value "$@"; user=$2; shift 2 ;;
    --defaults-file) need_value "$@"; defaults_file=$2; shift 2 ;;
    --create-db) create_db=true; shift ;;
    --recreate) recreate=true; shift ;;
    --verify-query) need_value "$@"; verify_query=$2; verify_set=true; shift 2 ;;
    --drop-after) drop_after=true; shift ;;
    *) help_or_unknown "$1" ;;
  esac
done

is_dbname "$database" || usage_error "invalid --database (expected ^[A-Za-z_][A-Za-z0-9_-]{0,62}\$): $database"
is_path "$input" || usage_error "invalid --input (absolute path without '..' expected): $input"
[[ -z $sha256 ]] || is_sha256 "$sha256" || usage_error "invalid --sha256 (64 hex digits expected)"
client_args
[[ -z $defaults_file ]] || is_path "$defaults_file" || usage_error "invalid --defaults-file (absolute path expected): $defaults_file"
verify_arg
case ${database,,} in
  mysql | information_schema | performance_schema | sys) usage_error "refusing to restore into system database $database" ;;
esac

started=$(now_iso)
start_ms=$(now_ms)
check_dump "$input" "$sha256"
work=$(mktemp -d "${TMPDIR:-/tmp}/db-restore-mariadb.XXXXXX")
cleanup_add "$work"
# read_dump: the dump as SQL on stdout
read_dump() {
  if [[ $input == *.gz ]]; then gzip -dc -- "$input"; else cat -- "$input"; fi
}
if [[ $input == *.gz ]]; then
  gzip -t -- "$input" 2>"$work/err" || fail 1 "$input is not a valid gzip file" file s "$input" sha256 s "$input_sha"
fi
# (the reader may die of SIGPIPE once head has enough: that is expected, not a failure)
first=$({ read_dump 2>/dev/null || true; } | head -c 4096 | tr -d '\000')
grep -q -E '^(-- (MariaDB|MySQL) dump|/\*)' <<<"$first" ||
  fail 1 "$input does not look like a mysqldump file" file s "$input" sha256 s "$input_sha"
named=$(read_dump | grep -c -i -E '^(USE |CREATE DATABASE )' || true)
[[ $named == 0 ]] || fail 1 "$input names a database (USE / CREATE DATABASE): refusing to restore it into $database" \
  file s "$input" sha256 s "$input_sha"

my_setup
q_db=${database//\`/\`\`}
exists=$(my_sql <<<"SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '$database';" 2>"$work/err") || {
  cat -- "$work/err" >&2
  fail 1 "cannot query MariaDB: $(tr -s '\n ' ' ' <"$work/err" | head -c 500 | sed 's/ *$//')" database s "$database"
}
created=false recreated=false dropped=false
if [[ $recreate == true ]]; then
  my_sql <<<"DROP DATABASE IF EXISTS \`$q_db\`; CREATE DATABASE \`$q_db\`;" ||
    fail 1 "could not re-create database $database" database s "$database"
  recreated=true
elif [[ $exists == 0 ]]; then
  [[ $create_db == true ]] || fail 1 "database $database does not exist (use --create-db for a scratch database)" \
    database s "$database" file s "$input" sha256 s "$input_sha"
  my_sql <<<"CREATE DATABASE IF NOT EXISTS \`$q_db\`;" || fail 1 "could not create database $database" database s "$database"
  created=true
fi

printf 'restoring %s into %s\n' "$input" "$database" >&2
if ! read_dump | my_sql "$database" 2>"$work/restore.err"; then
  cat -- "$work/restore.err" >&2
  fail 1 "restoring into $database failed (the database may be half-restored; run again): $(tr -s '\n ' ' ' <"$work/restore.err" | head -c 500 | sed 's/ *$//')" \
    database s "$database" file s "$input" sha256 s "$input_sha" created b "$created" recreated b "$recreated"
fi

my_counts "$database" "$work/counts" "$work/verify" 2>"$work/err" || {
  cat -- "$work/err" >&2
  fail 1 "verifying $database failed: $(tr -s '\n ' ' ' <"$work/err" | head -c 500 | sed 's/ *$//')" database s "$database"
}

if [[ $drop_after == true ]]; then
  my_sql <<<"DROP DATABASE IF EXISTS \`$q_db\`;" ||
    fail 1 "restored and verified, but could not drop database $database" database s "$database"
  dropped=true
fi

verify_json=""
[[ $verify_set == false ]] || verify_json=$(json_str "$(verify_value "$work/verify")")
emit ok b true kind s mariadb database s "$database" host z "$host" port n "$port" file s "$input" \
  sha256 s "$input_sha" size n "$input_size" created b "$created" recreated b "$recreated" \
  rowCounts j "$(counts_json "$work/counts")" tables n "$(count_entries "$work/counts")" verifyValue j "$verify_json" \
  dropped b "$dropped" startedAt s "$started" finishedAt s "$(now_iso)" durationMs n "$(($(now_ms) - start_ms))"
