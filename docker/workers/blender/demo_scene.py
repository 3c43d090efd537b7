"""Build Tessera's demo scene from nothing and save it as a .blend.

    blender -b --factory-startup -P /opt/tessera/demo_scene.py -- /out/demo.blend \
        [--frames 24] [--resolution 320x240] [--samples 32]

A few coloured objects on a ground plane, a sun and a camera; every object moves or turns over the
frame range, so no two frames are alike. Cycles, fixed seed, no denoising, no adaptive sampling:
about 2 s per frame at 320x240 and 32 samples on 2 CPU threads. Everything is made here (nothing is
downloaded or read), and the same arguments give the same scene. Saved uncompressed.
"""

import argparse
import math
import sys
import traceback

import bpy

EXIT_USAGE = 2
EXIT_FAILED = 3


class Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write("tessera demo_scene.py: error: %s\n" % message)
        sys.exit(EXIT_USAGE)


def parse_args():
    argv = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []
    parser = Parser(prog="demo_scene.py")
    parser.add_argument("output", help="where to save the .blend, e.g. /out/demo.blend")
    parser.add_argument("--frames", type=int, default=24, help="frames 1..N (default 24)")
    parser.add_argument("--resolution", default="320x240", help="WIDTHxHEIGHT (default 320x240)")
    parser.add_argument("--samples", type=int, default=32, help="Cycles samples (default 32)")
    args = parser.parse_args(argv)
    if args.frames < 1:
        parser.error("--frames must be at least 1")
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    try:
        width, height = (int(v) for v in args.resolution.lower().split("x"))
    except ValueError:
        parser.error("--resolution must be WIDTHxHEIGHT, e.g. 320x240")
    if width < 4 or height < 4:
        parser.error("--resolution must be at least 4x4")
    args.width, args.height = width, height
    return args


def clear_factory_scene():
    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj, do_unlink=True)
    for collection in (bpy.data.meshes, bpy.data.materials, bpy.data.lights, bpy.data.cameras):
        for block in list(collection):
            collection.remove(block)


def material(name, color, roughness=0.5, metallic=0.0):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (*color, 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    bsdf.inputs["Metallic"].default_value = metallic
    return mat


def add(op, name, mat, smooth=True, **kwargs):
    op(**kwargs)
    obj = bpy.context.active_object
    obj.name = name
    obj.data.materials.append(mat)
    if smooth:
        for poly in obj.data.polygons:
            poly.use_smooth = True
    return obj


def keyframes(obj, path, values, frames):
    """Keys `values` at evenly spaced frames from 1 to `frames` on `obj.<path>`."""
    count = len(values)
    for i, value in enumerate(values):
        frame = 1 + round(i * (frames - 1) / max(1, count - 1)) if frames > 1 else 1
        setattr(obj, path, value)
        obj.keyframe_insert(data_path=path, frame=frame)


def linear(obj):
    for fcurve in obj.animation_data.action.fcurves:
        for key in fcurve.keyframe_points:
            key.interpolation = "LINEAR"


def build(args):
    clear_factory_scene()
    scene = bpy.context.scene
    scene.name = "Tessera Demo"
    frames = args.frames

    ground = add(
        bpy.ops.mesh.primitive_plane_add,
        "Ground",
        material("Ground", (0.7, 0.66, 0.6), roughness=0.8),
        smooth=False,
        size=20,
    )
    ground.location = (0, 0, 0)

    cube = add(
        bpy.ops.mesh.primitive_cube_add,
        "Cube",
        material("Coral", (0.9, 0.25, 0.2), roughness=0.35),
        smooth=False,
        size=1.2,
        location=(-1.8, 0.4, 0.6),
    )
    keyframes(cube, "rotation_euler", [(0, 0, 0), (0, 0, math.pi / 2)], frames)
    linear(cube)

    sphere = add(
        bpy.ops.mesh.primitive_uv_sphere_add,
        "Sphere",
        material("Teal", (0.1, 0.6, 0.65), roughness=0.2),
        radius=0.6,
        segments=32,
        ring_count=16,
        location=(0.2, -0.6, 0.6),
    )
    # A bounce: up and down twice over the range.
    keyframes(sphere, "location", [(0.2, -0.6, z) for z in (0.6, 1.6, 0.6, 1.6, 0.6)], frames)

    torus = add(
        bpy.ops.mesh.primitive_torus_add,
        "Torus",
        material("Gold", (0.95, 0.7, 0.25), roughness=0.3, metallic=1.0),
        major_radius=0.6,
        minor_radius=0.2,
        major_segments=32,
        minor_segments=12,
        location=(1.9, 0.6, 0.8),
    )
    keyframes(torus, "rotation_euler", [(math.pi / 2, 0, 0), (math.pi / 2, math.pi, math.pi / 2)], frames)
    linear(torus)

    cone = add(
        bpy.ops.mesh.primitive_cone_add,
        "Cone",
        material("Leaf", (0.3, 0.75, 0.3), roughness=0.5),
        smooth=False,
        radius1=0.5,
        depth=1.4,
        vertices=24,
        location=(0, 2.6, 0.7),
    )
    # Slides across the back of the set.
    keyframes(cone, "location", [(-2.4, 2.6, 0.7), (2.4, 2.6, 0.7)], frames)
    linear(cone)

    sun_data = bpy.data.lights.new("Sun", type="SUN")
    sun_data.energy = 3.0
    sun_data.angle = math.radians(8)
    sun = bpy.data.objects.new("Sun", sun_data)
    sun.rotation_euler = (math.radians(45), math.radians(10), math.radians(30))
    scene.collection.objects.link(sun)

    cam_data = bpy.data.cameras.new("Camera")
    cam_data.lens = 38
    camera = bpy.data.objects.new("Camera", cam_data)
    camera.location = (0, -7.0, 3.4)
    camera.rotation_euler = (math.radians(67), 0, 0)
    scene.collection.objects.link(camera)
    scene.camera = camera

    world = bpy.data.worlds.get("World") or bpy.data.worlds.new("World")
    scene.world = world
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.45, 0.55, 0.75, 1.0)
    world.node_tree.nodes["Background"].inputs["Strength"].default_value = 0.6

    scene.frame_start = 1
    scene.frame_end = frames
    scene.frame_step = 1
    scene.frame_current = 1
    render = scene.render
    render.engine = "CYCLES"
    render.fps = 24
    render.resolution_x = args.width
    render.resolution_y = args.height
    render.resolution_percentage = 100
    render.film_transparent = False
    scene.view_settings.view_transform = "Filmic"
    for look in ("Medium High Contrast", "Filmic - Medium High Contrast"):  # names vary by OCIO config
        try:
            scene.view_settings.look = look
            break
        except TypeError:
            pass
    render.image_settings.file_format = "PNG"
    cycles = scene.cycles
    cycles.device = "CPU"
    cycles.samples = args.samples
    cycles.use_adaptive_sampling = False
    cycles.use_denoising = False  # Debian's Blender has no OpenImageDenoise
    cycles.seed = 0
    cycles.use_animated_seed = False
    # Fewer bounces than the default 12: this open, diffuse-and-glossy set looks the same, for less.
    cycles.max_bounces = 6
    cycles.diffuse_bounces = 3
    cycles.glossy_bounces = 3
    cycles.transmission_bounces = 2
    cycles.volume_bounces = 0
    cycles.transparent_max_bounces = 4


def main():
    args = parse_args()
    try:
        build(args)
        bpy.ops.wm.save_as_mainfile(filepath=args.output, compress=False, check_existing=False)
    except Exception as error:
        # Without --python-exit-code Blender would exit 0 after a failed script: fail loudly.
        traceback.print_exc()
        sys.stderr.write("tessera demo_scene.py: error: %s: %s\n" % (type(error).__name__, error))
        sys.stderr.flush()
        sys.exit(EXIT_FAILED)
    sys.stdout.write("TESSERA_DEMO_SAVED %s\n" % args.output)
    sys.stdout.flush()


main()
