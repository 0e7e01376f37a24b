# >>> lib/my.sh: MariaDB client options, mysql and row counts (assembled from workers/lib/my.sh)
my_opts=()
# my_setup: client options from $defaults_file $host $port $user (passwords only ever come from the defaults file)
my_setup() {
  my_opts=()
  if [[ -n $defaults_file ]]; then
    [[ -f $defaults_file && -r $defaults_file ]] || fail 1 "defaults file $defaults_file does not exist or is not readable"
    hold_credentials "$defaults_file"
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
# <<< lib/my.sh
