# >>> lib/common.sh: JSON result line, errors, cleanup, argument checks (assembled from workers/lib/common.sh)
exec 3>&1 1>&2 # fd 3 carries the one JSON result line; everything else written to stdout goes to stderr
_emitted=0
_err_line=""
_err_cmd=""
_cleanup=()
# The worker holds a shared flock on its own file (fd 8) while it runs: opsflow removes an old version of a worker
# from the host only when it gets an exclusive lock on it (WorkerScripts). A process the worker leaves running
# closes fd 8 (lib/service.sh does for the application it starts).
if [[ -f $0 ]] && command -v flock >/dev/null 2>&1; then
  exec 8<"$0"
  flock -s 8 || true
fi

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

# help_or_unknown ARG: the last case of every option loop: -h or --help prints the usage (exit 0), anything else is
# an unknown argument (exit 2)
help_or_unknown() {
  case $1 in
    -h | --help) usage; emit ok b true usage s "see the header of $SCRIPT"; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
}

# one_action ARG: sets $action, for scripts that take one action word; a second one is a usage error
one_action() {
  [[ -z ${action:-} ]] || usage_error "only one action expected, got $action and $1"
  action=$1
}

cleanup_add() {
  _cleanup+=("$1")
}

# hold_credentials FILE: the worker uses the credentials file FILE (.pgpass or option file) for its whole life: a
# shared flock on it (inherited by the database tools) tells opsflow's sweep it is in use; an opsflow credentials
# file (.../.credentials/cred-*) is removed when the worker exits, also when the opsflow node that wrote it died
hold_credentials() {
  local fd
  exec {fd}<"$1"
  flock -s "$fd"
  if [[ $1 == */.credentials/cred-* ]]; then cleanup_add "$1"; fi
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
# <<< lib/common.sh
