#!/usr/bin/env bash
# Makes the demo scene: Blender builds it from a script inside the render image (nothing is
# downloaded), in the same sandbox as a task (no network, read-only root, non-root user).
#   scripts/make-demo-scene.sh OUT_DIR [FRAMES] [WIDTHxHEIGHT] [SAMPLES]   →   OUT_DIR/scene.blend
set -euo pipefail
out="$(mkdir -p "$1" && cd "$1" && pwd)"
frames="${2:-24}"
resolution="${3:-320x240}"
samples="${4:-16}"
image="${TESSERA_RENDER_IMAGE:-tessera/blender:3.4}"
chmod 0777 "$out"
docker run --rm --network none --read-only --tmpfs /tmp:rw,size=256m --cap-drop ALL --user 10001:10001 \
  -e HOME=/tmp -v "$out:/out" "$image" \
  blender -b --factory-startup -P /opt/tessera/demo_scene.py -- /out/scene.blend \
  --frames "$frames" --resolution "$resolution" --samples "$samples" >"$out/make-scene.log" 2>&1 || {
  tail -20 "$out/make-scene.log" >&2
  exit 1
}
echo "$out/scene.blend"
