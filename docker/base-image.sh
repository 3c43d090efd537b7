#!/usr/bin/env bash
# Produce a local `debian:bookworm-slim` image when no registry can be reached.
#
# Ordinary Dockerfiles start `FROM debian:bookworm-slim`; on machines without a container registry
# (CI here, air-gapped fleets) this script builds an equivalent minimal root filesystem with
# debootstrap from the Debian archive and imports it under the same tag, so those Dockerfiles build
# unchanged. It does nothing when the tag already exists or can be pulled.
#
#   docker/base-image.sh            # ensure debian:bookworm-slim exists
#   FORCE=1 docker/base-image.sh    # rebuild it from the archive even if present
set -euo pipefail

TAG="${BASE_IMAGE_TAG:-debian:bookworm-slim}"
SUITE="${BASE_IMAGE_SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DOCKER="${DOCKER:-docker}"

log() { printf '[base-image] %s\n' "$*" >&2; }

if [ -z "${FORCE:-}" ] && "$DOCKER" image inspect "$TAG" >/dev/null 2>&1; then
  log "$TAG already present"
  exit 0
fi
if [ -z "${FORCE:-}" ] && timeout 20 "$DOCKER" pull -q "$TAG" >/dev/null 2>&1; then
  log "pulled $TAG from a registry"
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing debootstrap from the Debian archive"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null 2>&1 || {
      apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null; }
  else
    log "debootstrap is missing; run: sudo apt-get install -y debootstrap"
    exit 1
  fi
fi

root="$(mktemp -d /tmp/tessera-rootfs.XXXXXX)"
trap 'rm -rf "$root"' EXIT
log "debootstrapping $SUITE from $MIRROR into $root (about 30-60 s)"
debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$root" "$MIRROR" >/tmp/tessera-debootstrap.log 2>&1 || {
  log "debootstrap failed; see /tmp/tessera-debootstrap.log"; tail -20 /tmp/tessera-debootstrap.log >&2; exit 1; }

# Shape it like the official slim image: apt sources in deb822 form, no caches, no docs.
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log
: >"$root/etc/machine-id"

log "importing as $TAG"
tar --numeric-owner -C "$root" -c . | "$DOCKER" import \
  --change 'CMD ["bash"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  - "$TAG" >/dev/null
log "done: $("$DOCKER" image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}')"
