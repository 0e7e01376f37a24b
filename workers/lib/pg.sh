# >>> lib/pg.sh: PostgreSQL client options and psql (assembled from workers/lib/pg.sh)
pg_conn=()
# pg_setup: connection options from $host $port $user $passfile (the password only ever comes from PGPASSFILE)
pg_setup() {
  pg_conn=(-w)
  [[ -z $host ]] || pg_conn+=(-h "$host")
  [[ -z $port ]] || pg_conn+=(-p "$port")
  [[ -z $user ]] || pg_conn+=(-U "$user")
  if [[ -n $passfile ]]; then
    [[ -f $passfile && -r $passfile ]] || fail 1 "passfile $passfile does not exist or is not readable"
    hold_credentials "$passfile"
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
# <<< lib/pg.sh
