# >>> lib/output.sh: the file a script writes, never half-written (assembled from workers/lib/output.sh)
# output_arg: --output must be an absolute path that names a file
output_arg() {
  is_path "$output" || usage_error "invalid --output (absolute path without '..' expected): $output"
  [[ $output != */ ]] || usage_error "--output must name a file: $output"
}

# open_partial: creates the directory of $output and an empty $output.partial-XXXXXX in it (removed on exit unless
# published); sets partial, where the script writes the file. The worker holds an exclusive flock on it for its whole
# life, inherited by the tools it starts (pg_dump, gzip …): opsflow removes a target's partial files that nobody holds
# (what a worker killed with its node, or outlived by its pg_dump, left behind) and never one still being written.
open_partial() {
  local dir=${output%/*} fd
  mkdir -p -- "${dir:-/}"
  partial=$(mktemp "$output.partial-XXXXXX")
  cleanup_add "$partial"
  exec {fd}<>"$partial"
  flock -x "$fd"
}

# publish PARTIAL OUTPUT: renames a complete file into place (never a half-written file under OUTPUT)
publish() {
  chmod 600 -- "$1"
  mv -f -- "$1" "$2"
}
# <<< lib/output.sh
