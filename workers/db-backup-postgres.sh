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

# @include lib/common.sh

# @include lib/db.sh

# @include lib/output.sh

# @include lib/pg.sh

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
    *) help_or_unknown "$1" ;;
  esac
done

is_dbname "$database" || usage_error "invalid --database (expected ^[A-Za-z_][A-Za-z0-9_-]{0,62}\$): $database"
output_arg
client_args
[[ -z $passfile ]] || is_path "$passfile" || usage_error "invalid --passfile (absolute path expected): $passfile"
verify_arg
[[ ! -d $output ]] || fail 1 "--output $output is a directory"

pg_setup
started=$(now_iso)
start_ms=$(now_ms)
open_partial
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
