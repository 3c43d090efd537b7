"""Report what a .blend holds, as one line of JSON, without running anything from it.

    blender -b -Y --factory-startup /in/scene.blend --python-exit-code 3 -P /opt/tessera/inspect.py

Prints exactly one line to stdout:

    TESSERA_SCENE_JSON {"blenderVersion": "3.4.1", "fileVersion": "3.4", "fileSubversion": 6, "scene": "Scene", ...}

-Y keeps auto-run scripts off and --factory-startup ignores any user preferences, so opening the
file executes none of its Python (registered text blocks, driver expressions); this script only
reads properties. When Blender cannot read the file it prints its own error and exits 1 before this
script runs; should it ever run this script without a file, we exit 3 with a one-line error.
Contract: libs/workloads/src/render/blender/README.md.
"""

import json
import sys

import bpy

MARKER = "TESSERA_SCENE_JSON"
EXIT_FAILED = 3


def fail(message):
    sys.stdout.flush()
    sys.stderr.write("tessera inspect.py: error: %s\n" % message)
    sys.stderr.flush()
    sys.exit(EXIT_FAILED)


def file_version(version):
    """bpy.data.version is (major, minor, file subversion): "3.4" and 6, not a release number."""
    return "%d.%d" % (version[0], version[1]), version[2]


def registered_texts():
    """Text blocks marked "Register": Blender would run them on load were auto-run enabled."""
    return [text.name for text in bpy.data.texts if text.use_module]


def animated_ids():
    """Every ID with animation data, including node trees embedded in materials, worlds, scenes..."""
    for attr in dir(bpy.data):
        collection = getattr(bpy.data, attr, None)
        if not isinstance(collection, bpy.types.bpy_prop_collection):
            continue
        for datablock in collection:
            if not isinstance(datablock, bpy.types.ID):
                break  # not a collection of IDs (e.g. window managers' contents are fine, but be safe)
            for owner in (datablock, getattr(datablock, "node_tree", None)):
                anim = getattr(owner, "animation_data", None)
                if anim is not None:
                    yield owner, anim


def python_drivers():
    """Scripted drivers whose expression needs Python (Blender evaluates "simple" ones itself)."""
    found = []
    for owner, anim in animated_ids():
        for fcurve in anim.drivers:
            driver = fcurve.driver
            if driver.type == "SCRIPTED" and not driver.is_simple_expression:
                found.append("%s: %s" % (owner.name, fcurve.data_path))
    return found


def main():
    if not bpy.data.filepath:
        fail("no .blend was loaded (pass the scene before -P)")
    scene = bpy.context.scene
    if scene is None:
        fail("the file has no scene")
    render = scene.render
    step = max(1, scene.frame_step)
    frames = len(range(scene.frame_start, scene.frame_end + 1, step))
    cycles = getattr(scene, "cycles", None)
    saved_with, subversion = file_version(bpy.data.version)
    texts = registered_texts()
    drivers = python_drivers()
    info = {
        "blenderVersion": bpy.app.version_string,
        "fileVersion": saved_with,
        "fileSubversion": subversion,
        "scene": scene.name,
        "frameStart": scene.frame_start,
        "frameEnd": scene.frame_end,
        "frameStep": scene.frame_step,
        "fps": round(render.fps / render.fps_base, 6),
        "resolutionX": render.resolution_x,
        "resolutionY": render.resolution_y,
        "resolutionPercentage": render.resolution_percentage,
        "engine": render.engine,
        "camera": scene.camera is not None,
        "samples": cycles.samples if cycles is not None else 0,
        "frames": frames,
        # Informational: none of it runs here (or in render.py), but an artist may wonder why a
        # rig behaves differently on the farm.
        "autoRunScriptsPresent": bool(texts or drivers),
        "registeredTexts": texts[:20],
        "pythonDrivers": drivers[:20],
    }
    sys.stdout.write("%s %s\n" % (MARKER, json.dumps(info, sort_keys=False)))
    sys.stdout.flush()


main()
