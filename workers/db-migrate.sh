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
# transaction, so a failing file leaves nothing of itself; MariaDB commits DDL implicitly, so a file failing
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

kind="" database="" artifact="" sha256="" host="" port="" user="" passfile="" defaults_file="" plan=false
# referenced by the shared my block (my_counts), unused here
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
    -h | --help) usage; emit ok b true usage s "see the header of $SCRIPT"; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

[[ $kind == postgres || $kind == mariadb ]] || usage_error "invalid --kind (postgres or mariadb expected): $kind"
is_dbname "$database" || usage_error "invalid --database (expected ^[A-Za-z_][A-Za-z0-9_-]{0,62}\$): $database"
if [[ $artifact == http://* || $artifact == https://* ]]; then
  is_url "$artifact" || usage_error "invalid --artifact URL: $artifact"
else
  is_path "$artifact" || usage_error "invalid --artifact (absolute path or http(s) URL expected): $artifact"
fi
[[ -z $sha256 || $sha256 == auto ]] || is_sha256 "$sha256" || usage_error "invalid --sha256 (64 hex digits or auto)"
[[ -z $host ]] || is_host "$host" || usage_error "invalid --host: $host"
[[ -z $port ]] || is_port "$port" || usage_error "invalid --port (1-65535 expected): $port"
[[ -z $user ]] || is_dbuser "$user" || usage_error "invalid --user: $user"
[[ -z $passfile ]] || is_path "$passfile" || usage_error "invalid --passfile (absolute path expected): $passfile"
[[ -z $defaults_file ]] || is_path "$defaults_file" ||
  usage_error "invalid --defaults-file (absolute path expected): $defaults_file"
[[ $kind == postgres || -z $passfile ]] || usage_error "--passfile is for --kind postgres (use --defaults-file)"
[[ $kind == mariadb || -z $defaults_file ]] || usage_error "--defaults-file is for --kind mariadb (use --passfile)"

started=$(now_iso)
start_ms=$(now_ms)
work=$(mktemp -d "${TMPDIR:-/tmp}/db-migrate.XXXXXX")
cleanup_add "$work"

# fetch SOURCE DEST: copies a local file or downloads an http(s) URL
fetch() {
  case $1 in
    http://* | https://*)
      curl -fsSL --proto '=http,https' --retry 2 --connect-timeout 10 --max-time 900 -o "$2" "$1" ||
        fail 1 "could not download $1"
      ;;
    *)
      [[ -f $1 ]] || fail 1 "artifact $1 does not exist"
      cp -- "$1" "$2"
      ;;
  esac
}

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
tar -tzf "$work/artifact.tar.gz" >"$work/members" || fail 1 "$artifact is not a readable tar.gz"
migration_members=()
while IFS= read -r member; do
  if [[ $member == /* || "/$member/" == *"/../"* ]]; then
    fail 1 "$artifact contains an unsafe member: $member"
  fi
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
      { cat -- "$work/x/migrations/$name"; printf '\n%s\n' "$record"; } |
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
