# >>> lib/artifact.sh: release artifacts, a local path or an http(s) URL (assembled from workers/lib/artifact.sh)
# artifact_arg: --artifact must be an absolute path on this host or an http(s) URL
artifact_arg() {
  if [[ $artifact == http://* || $artifact == https://* ]]; then
    is_url "$artifact" || usage_error "invalid --artifact URL: $artifact"
  else
    is_path "$artifact" || usage_error "invalid --artifact (absolute path or http(s) URL expected): $artifact"
  fi
}

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

# artifact_members TARBALL LIST: writes the member names of $artifact (fetched to TARBALL) to LIST; fails when it is
# not a readable tar.gz or has an absolute or '..' member
artifact_members() {
  local member
  tar -tzf "$1" >"$2" || fail 1 "$artifact is not a readable tar.gz"
  while IFS= read -r member; do
    if [[ $member == /* || "/$member/" == *"/../"* ]]; then
      fail 1 "$artifact contains an unsafe member: $member"
    fi
  done <"$2"
}
# <<< lib/artifact.sh
