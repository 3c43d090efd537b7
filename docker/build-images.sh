#!/usr/bin/env bash
# Build Tessera's worker images on this machine, no registry needed.
#
# First makes sure the base `debian:bookworm-slim` exists (docker/base-image.sh: pull, else
# debootstrap), then builds every docker/workers/<name>/Dockerfile under the tag(s) named on its
# `# tag: <ref> [<ref>...]` line. An image whose label io.tessera.context-hash matches the hash of its
# build context (file names, modes, contents) and of its FROM images is up to date and skipped, so
# running this again is cheap and safe. A worker directory with an executable prepare.sh gets it run
# first (it stages host-side downloads into <dir>/.stage/, part of the context and of its hash).
#
#   docker/build-images.sh                 # base image if missing, then every worker image
#   docker/build-images.sh toolbox         # only the named workers
#   FORCE=1 docker/build-images.sh         # rebuild the worker images even when up to date
#   FORCE_BASE=1 docker/build-images.sh    # also re-debootstrap the base image (about a minute)
#   DOCKER=/usr/bin/docker docker/build-images.sh
#
# Exits non-zero with the reason (and the tail of the build log) when anything fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DOCKER="${DOCKER:-docker}"
export DOCKER
# BuildKit needs the buildx plugin, which Debian's docker.io 20.10 lacks; the classic builder is
# enough for these Dockerfiles and works on every engine we support. Set DOCKER_BUILDKIT=1 to override.
export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}"
HASH_LABEL=io.tessera.context-hash
LOG_DIR="${TMPDIR:-/tmp}"

log() { printf '[build-images] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

command -v "$DOCKER" >/dev/null 2>&1 || die "no docker client ($DOCKER): install docker.io, or set DOCKER=/path/to/docker"
if ! err="$("$DOCKER" info 2>&1 >/dev/null)"; then
  die "cannot reach the Docker daemon (${err##*$'\n'}): start dockerd, add yourself to the docker group, or set DOCKER_HOST"
fi

# Hash of everything that determines the image: the context's files (path, mode, content) and the
# IDs of the images it builds FROM, so rebuilding the base also rebuilds the workers.
context_hash() {
  local dir="$1" from id
  {
    (cd "$dir" && find . -type f -printf '%m %p\n' | LC_ALL=C sort)
    (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    awk 'toupper($1) == "FROM" { print $2 }' "$dir/Dockerfile" | while read -r from; do
      id="$("$DOCKER" image inspect -f '{{.Id}}' "$from" 2>/dev/null || echo "missing:$from")"
      printf 'from %s %s\n' "$from" "$id"
    done
  } | sha256sum | cut -c1-64
}

# Which workers: the arguments, or every directory with a Dockerfile.
workers=()
if [ "$#" -gt 0 ]; then
  for name in "$@"; do
    [ -f "$here/workers/$name/Dockerfile" ] || die "no worker image '$name' (expected $here/workers/$name/Dockerfile)"
    workers+=("$name")
  done
else
  for file in "$here"/workers/*/Dockerfile; do
    [ -f "$file" ] && workers+=("$(basename "$(dirname "$file")")")
  done
fi
[ "${#workers[@]}" -gt 0 ] || die "no Dockerfiles under $here/workers/*/"

# FORCE means "rebuild the workers"; base-image.sh reads FORCE as "re-debootstrap the base", which
# takes a minute and needs the Debian archive, so it only gets it from FORCE_BASE.
FORCE="${FORCE_BASE:-}" "$here/base-image.sh" ||
  die "could not produce the base image debian:bookworm-slim (see the messages above)"

built=0
skipped=0
for name in "${workers[@]}"; do
  dir="$here/workers/$name"
  read -r -a tags <<<"$(sed -n 's/^#[[:space:]]*tag:[[:space:]]*//p' "$dir/Dockerfile" | head -n 1)"
  [ "${#tags[@]}" -gt 0 ] || die "$dir/Dockerfile has no '# tag: <image>:<version>' line"
  # A worker that needs downloads docker build cannot make (npm packages, binaries) stages them into
  # $dir/.stage/ with its own prepare.sh, which returns at once when the stage is up to date.
  if [ -x "$dir/prepare.sh" ]; then
    "$dir/prepare.sh" || die "$dir/prepare.sh failed (see the messages above)"
  fi
  hash="$(context_hash "$dir")"

  up_to_date=1
  for tag in "${tags[@]}"; do
    have="$("$DOCKER" image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$tag" 2>/dev/null || true)"
    [ "$have" = "$hash" ] || up_to_date=0
  done
  if [ -z "${FORCE:-}" ] && [ "$up_to_date" = 1 ]; then
    log "${tags[*]}: up to date"
    skipped=$((skipped + 1))
    continue
  fi

  tag_args=()
  for tag in "${tags[@]}"; do tag_args+=(-t "$tag"); done
  build_log="$LOG_DIR/tessera-build-$name.log"
  log "${tags[*]}: building from $dir (log: $build_log)"
  start=$SECONDS
  if ! "$DOCKER" build --force-rm --label "$HASH_LABEL=$hash" "${tag_args[@]}" "$dir" >"$build_log" 2>&1; then
    tail -n 30 "$build_log" >&2
    die "building ${tags[0]} failed; the full log is in $build_log"
  fi
  size="$("$DOCKER" image inspect -f '{{.Size}}' "${tags[0]}" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
  log "${tags[*]}: built in $((SECONDS - start)) s ($size)"
  built=$((built + 1))
done
log "done: $built built, $skipped up to date"
