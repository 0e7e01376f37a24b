#!/usr/bin/env bash
# db-migrate.sh: apply the SQL migrations of an application release (migrations/*.sql in its artifact) to a database.
#
# Usage:
#   db-migrate.sh --kind postgres|mariadb --database NAME --artifact URL_OR_PATH [--sha256 HEX|auto]
#                 [--host HOST] [--port N] [--user USER] [--passfile FILE] [--defaults-file FILE] [--plan]
#
#   --kind           postgres (psql) or mariadb (mysql)
#   --artifact       <app>-<version>.tar.gz as an absolute local path or an http(s) URL; its migrations/ holds the
#                    NNN_name.sql files of that release and of every earlier one, applied in name order
#   --sha256         expected SHA-256 of the artifact; "auto" reads it from <artifact>.sha256
#   --plan           only report what is applied and what is pending; changes nothing
#   --passfile       PostgreSQL: a .pgpass file (PGPASSFILE); --defaults-file MariaDB: an option file with
#                    [client] user=/password=; passwords are never taken as arguments
# Applied migrations are recorded in the table opsflow_schema_history (script, sha256, applied_at) of the migrated
# database, created on the first --apply. PostgreSQL runs each file together with its history row in one
# transaction, so a failing file leaves nothing of itself, under a transaction-level advisory lock in which the history
# is read again: a file another runner applied meanwhile (a killed node's psql that outlived it) is skipped; MariaDB commits DDL implicitly, so a file failing
# half-way leaves its first statements applied (the migrate-database runbook then restores the pre-migration
# backup). A migration recorded as applied whose file has changed since (checksum drift) is refused before anything
# runs; a recorded migration the artifact does not have (a newer release ran) is reported in "unknown".
#
# Result (one JSON line on stdout):
#   {"ok":true,"kind":..,"database":..,"plan":bool,"all":[..],"appliedBefore":[..],"pending":[..],"applied":[..],
#    "unknown":[..],"rowCounts":{..}|null,"startedAt":..,"finishedAt":..,"durationMs":n}
#   a failing migration: {"ok":false,"error":..,"failed":"004_x.sql","applied":[..applied by this run..]} (exit 1)
# Exit codes: 0 ok, 1 failed, 2 invalid arguments (nothing was changed).

set -euo pipefail
set -o errtrace
SCRIPT='db-migrate.sh'
umask 077

# @include lib/common.sh

# @include lib/db.sh

# @include lib/pg.sh

# @include lib/my.sh

# @include lib/artifact.sh

kind="" database="" artifact="" sha256="" host="" port="" user="" passfile="" defaults_file="" plan=false
# read by lib/my.sh (my_counts) and lib/db.sh (verify_arg), unused here
verify_query="" verify_set=false
while (($#)); do
  case $1 in
    --kind) need_value "$@"; kind=$2; shift 2 ;;
    --database) need_value "$@"; database=$2; shift 2 ;;
    --artifact) need_value "$@"; artifact=$2; shift 2 ;;
    --sha256) need_value "$@"; sha256=$2; shift 2 ;;
    --host) need_value "$@"; host=$2; shift 2 ;;
    --port) need_value "$@"; port=$2; shift 2 ;;
    --user) need_value "$@"; user=$2; shift 2 ;;
    --passfile) need_value "$@"; passfile=$2; shift 2 ;;
    --defaults-file) need_value "$@"; defaults_file=$2; shift 2 ;;
    --plan) plan=true; shift ;;
    *) help_or_unknown "$1" ;;
  esac
done

[[ $kind == postgres || $kind == mariadb ]] || usage_error "invalid --kind (postgres or mariadb expected): $kind"
is_dbname "$database" || usage_error "invalid --database (expected ^[A-Za-z_][A-Za-z0-9_-]{0,62}\$): $database"
artifact_arg
[[ -z $sha256 || $sha256 == auto ]] || is_sha256 "$sha256" || usage_error "invalid --sha256 (64 hex digits or auto)"
client_args
[[ -z $passfile ]] || is_path "$passfile" || usage_error "invalid --passfile (absolute path expected): $passfile"
[[ -z $defaults_file ]] || is_path "$defaults_file" ||
  usage_error "invalid --defaults-file (absolute path expected): $defaults_file"
[[ $kind == postgres || -z $passfile ]] || usage_error "--passfile is for --kind postgres (use --defaults-file)"
[[ $kind == mariadb || -z $defaults_file ]] || usage_error "--defaults-file is for --kind mariadb (use --passfile)"

started=$(now_iso)
start_ms=$(now_ms)
work=$(mktemp -d "${TMPDIR:-/tmp}/db-migrate.XXXXXX")
cleanup_add "$work"

# json_names NAME...: ["a","b"]
json_names() {
  local out="" sep="" n
  for n in "$@"; do
    out+="$sep$(json_str "$n")"
    sep=","
  done
  printf '[%s]' "$out"
}

expected=""
if [[ $sha256 == auto ]]; then
  fetch "$artifact.sha256" "$work/artifact.sha256"
  read -r expected _ <"$work/artifact.sha256" || true
  is_sha256 "$expected" || fail 1 "$artifact.sha256 does not hold a SHA-256"
elif [[ -n $sha256 ]]; then
  expected=$sha256
fi
fetch "$artifact" "$work/artifact.tar.gz"
artifact_sha=$(file_sha256 "$work/artifact.tar.gz")
if [[ -n $expected && ${expected,,} != "$artifact_sha" ]]; then
  fail 1 "checksum mismatch for $artifact: expected ${expected,,}, got $artifact_sha; nothing was migrated"
fi
artifact_members "$work/artifact.tar.gz" "$work/members"
migration_members=()
while IFS= read -r member; do
  case $member in
    migrations/ | ./migrations/) ;;
    migrations/* | ./migrations/*) migration_members+=("$member") ;;
  esac
done <"$work/members"
mkdir -- "$work/x"
if ((${#migration_members[@]})); then
  tar -xzf "$work/artifact.tar.gz" -C "$work/x" --no-same-owner -- "${migration_members[@]}" ||
    fail 1 "could not extract the migrations of $artifact"
fi

# the release's migrations in name order, with their SHA-256
all=()
declare -A file_sha=()
if [[ -d $work/x/migrations || -d $work/x/./migrations ]]; then
  while IFS= read -r f; do
    name=${f##*/}
    [[ $name =~ ^[0-9]{3,6}_[A-Za-z0-9_-]{1,100}\.sql$ ]] ||
      fail 1 "$artifact has a migration with an unexpected name: $name (expected NNN_name.sql)"
    all+=("$name")
    file_sha[$name]=$(file_sha256 "$f")
  done < <(find "$work/x/migrations" -maxdepth 1 -type f -name '*.sql' | LC_ALL=C sort)
fi

HISTORY_DDL="CREATE TABLE IF NOT EXISTS opsflow_schema_history (script VARCHAR(200) NOT NULL PRIMARY KEY, sha256 CHAR(64) NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"
if [[ $kind == postgres ]]; then
  pg_setup
  HISTORY_EXISTS="SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'opsflow_schema_history'"
  db_sql() { pg_psql "$database"; }
else
  my_setup
  HISTORY_EXISTS="SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'opsflow_schema_history'"
  db_sql() { my_sql "$database"; }
fi

# the history: "script|sha256" lines
exists=$(db_sql <<<"$HISTORY_EXISTS;" 2>"$work/sql.err") || {
  cat -- "$work/sql.err" >&2
  fail 1 "cannot query $kind database $database: $(tr -s '\n ' ' ' <"$work/sql.err" | head -c 500 | sed 's/ *$//')"
}
: >"$work/history"
if [[ ${exists//[[:space:]]/} != 0 ]]; then
  db_sql <<<"SELECT script, sha256 FROM opsflow_schema_history ORDER BY script;" >"$work/history.raw" 2>"$work/sql.err" || {
    cat -- "$work/sql.err" >&2
    fail 1 "cannot read opsflow_schema_history of $database: $(tr -s '\n ' ' ' <"$work/sql.err" | head -c 500 | sed 's/ *$//')"
  }
  tr '\t' '|' <"$work/history.raw" >"$work/history"
fi
declare -A applied_sha=()
applied_before=()
unknown=()
while IFS='|' read -r script sha || [[ -n ${script:-} ]]; do
  [[ -n $script ]] || continue
  applied_sha[$script]=$sha
  applied_before+=("$script")
  if [[ -z ${file_sha[$script]+x} ]]; then
    unknown+=("$script")
  elif [[ ${file_sha[$script]} != "$sha" ]]; then
    fail 1 "migration $script was changed after it was applied to $database (recorded sha256 $sha, the artifact has ${file_sha[$script]}); nothing was migrated" \
      failed s "$script" applied j "[]"
  fi
done <"$work/history"
pending=()
for name in "${all[@]}"; do
  [[ -n ${applied_sha[$name]+x} ]] || pending+=("$name")
done

applied=()
if [[ $plan == false && ${#pending[@]} -gt 0 ]]; then
  db_sql <<<"$HISTORY_DDL;" 2>"$work/sql.err" || {
    cat -- "$work/sql.err" >&2
    fail 1 "cannot create opsflow_schema_history in $database: $(tr -s '\n ' ' ' <"$work/sql.err" | head -c 500 | sed 's/ *$//')" \
      failed z "" applied j "[]"
  }
  for name in "${pending[@]}"; do
    printf 'applying %s to %s\n' "$name" "$database" >&2
    record="INSERT INTO opsflow_schema_history (script, sha256) VALUES ('$name', '${file_sha[$name]}');"
    ok=true
    if [[ $kind == postgres ]]; then
      # one runner at a time per database, and the history read again under that lock: another runner (a node
      # killed in this step whose psql outlived it, or the node that took the step over) may have applied this
      # file since the history was read; then it is skipped, not applied twice or failed on
      { printf '%s\n' "SELECT pg_advisory_xact_lock(hashtext('opsflow_schema_history'));" \
          "SELECT count(*) AS opsflow_done FROM opsflow_schema_history WHERE script = '$name' \\gset" \
          "\\if :opsflow_done" "\\echo opsflow-already-applied" "\\else"
        cat -- "$work/x/migrations/$name"; printf '\n%s\n%s\n' "$record" "\\endif"; } |
        pg_psql "$database" --single-transaction >"$work/apply.out" 2>"$work/sql.err" || ok=false
    else
      { cat -- "$work/x/migrations/$name"; printf '\n%s\n' "$record"; } |
        my_sql "$database" >"$work/apply.out" 2>"$work/sql.err" || ok=false
    fi
    if [[ $ok == false ]]; then
      cat -- "$work/sql.err" >&2
      state="rolled back"
      [[ $kind == postgres ]] || state="DDL before the error is committed (MariaDB)"
      fail 1 "migration $name failed ($state): $(tr -s '\n ' ' ' <"$work/sql.err" | head -c 500 | sed 's/ *$//')" \
        failed s "$name" applied j "$(json_names "${applied[@]}")"
    fi
    if grep -qx 'opsflow-already-applied' "$work/apply.out"; then
      printf '%s was applied to %s by another runner meanwhile: skipped\n' "$name" "$database" >&2
      continue
    fi
    applied+=("$name")
  done
fi

if [[ $plan == true ]]; then
  left=("${pending[@]}")
else
  left=()
fi
# row counts as the run leaves the database (evidence for the log; verification compares backups, not these)
counted=true
if [[ $kind == postgres ]]; then
  pg_psql "$database" <<<"$PG_COUNT_SQL" >"$work/counts" 2>"$work/sql.err" || counted=false
else
  my_counts "$database" "$work/counts" 2>"$work/sql.err" || counted=false
fi
counts_out=""
if [[ $counted == true ]]; then counts_out=$(counts_json "$work/counts"); else cat -- "$work/sql.err" >&2; fi
emit ok b true kind s "$kind" database s "$database" plan b "$plan" artifactSha256 s "$artifact_sha" \
  all j "$(json_names "${all[@]}")" appliedBefore j "$(json_names "${applied_before[@]}")" \
  pending j "$(json_names "${left[@]}")" applied j "$(json_names "${applied[@]}")" \
  unknown j "$(json_names "${unknown[@]}")" rowCounts j "$counts_out" startedAt s "$started" finishedAt s "$(now_iso)" \
  durationMs n "$(($(now_ms) - start_ms))"
