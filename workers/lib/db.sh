# >>> lib/db.sh: database arguments, queries, row counts, dump checks (assembled from workers/lib/db.sh)
is_dbname() { [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_-]{0,62}$ ]]; }
is_dbuser() { [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_.@-]{0,62}$ ]]; }
# client_args: checks --host, --port and --user (each optional)
client_args() {
  [[ -z $host ]] || is_host "$host" || usage_error "invalid --host: $host"
  [[ -z $port ]] || is_port "$port" || usage_error "invalid --port (1-65535 expected): $port"
  [[ -z $user ]] || is_dbuser "$user" || usage_error "invalid --user: $user"
}

# is_query: one read-only query (SELECT or WITH) without semicolons, backslashes or control characters
is_query() {
  [[ ${#1} -le 2000 && $1 != *[[:cntrl:]]* && $1 != *\\* && $1 != *";"* && $1 =~ ^[[:space:]]*([Ss][Ee][Ll][Ee][Cc][Tt]|[Ww][Ii][Tt][Hh])[[:space:]] ]]
}

# verify_arg: checks --verify-query when given
verify_arg() {
  [[ $verify_set == false ]] || is_query "$verify_query" ||
    usage_error "invalid --verify-query (one SELECT/WITH query without ';', '\\' or control characters)"
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
# <<< lib/db.sh
