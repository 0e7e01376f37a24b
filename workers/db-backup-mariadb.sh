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

# @include lib/common.sh

# @include lib/db.sh

# @include lib/output.sh

# @include lib/my.sh

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
    *) help_or_unknown "$1" ;;
  esac
done

is_dbname "$database" || usage_error "invalid --database (expected ^[A-Za-z_][A-Za-z0-9_-]{0,62}\$): $database"
output_arg
client_args
[[ -z $defaults_file ]] || is_path "$defaults_file" || usage_error "invalid --defaults-file (absolute path expected): $defaults_file"
verify_arg
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

open_partial
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
