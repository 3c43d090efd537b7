"""Render a chunk of frames of an untrusted .blend, deterministically, with thumbnails.

    blender -b -Y --factory-startup /in/scene.blend --python-exit-code 3 -t THREADS \
        -P /opt/tessera/render.py -- --frames 1,2,3 [--samples N] [--resolution WxH | --percentage P] \
        [--engine CYCLES] [--device CPU|CUDA|OPTIX] [--seed S] [--format PNG|OPEN_EXR] [--out /out] \
        [--thumb-width 160] [--frame-timeout SEC] [--region X0,Y0,X1,Y1 | --regions F:X0,Y0,X1,Y1;...]

Writes /out/frame-000001.png (or .exr) per frame and /out/thumbs/frame-000001.png (with --regions,
/out/regions/000.png, 001.png, … instead: one box of one frame each, what a spot-check re-renders),
prints
`TESSERA_FRAME_DONE <frame> <seconds>` on stdout as each frame is finished, and exits
  0    every frame rendered and written;
  2    bad arguments or an unsupported request (an engine other than Cycles, a region off the frame);
  3    the render failed (no camera, Blender's error, an unexpected exception: --python-exit-code 3);
  4    the requested GPU device type is not in this Blender build or no such device is visible;
  124  a frame ran longer than --frame-timeout (`TESSERA_FRAME_TIMEOUT <frame> <limit>` on stderr).
Blender itself exits 1 before this script runs when it cannot read the file.

Determinism: on the CPU, the same file and arguments give the same pixels run after run, with any
thread count, whole frame or region (a region equals the full frame's box). So: a fixed seed and no animated seed; no adaptive sampling and no time limit
(both stop early on timing or noise estimates; without them `--samples N` is exactly N per pixel);
no denoising (Debian's build lacks OpenImageDenoise, and denoisers differ by version and device);
dither 0 (dither noise is per image, so a region would not match the full frame's box); no
persistent data; the thread count from -t (threads mode AUTO); metadata without date, time, render
time, memory or host name. Contract: libs/workloads/src/render/blender/README.md.
"""

import argparse
import ctypes
import os
import sys
import threading
import time
import traceback

import bpy

EXIT_USAGE = 2
EXIT_FAILED = 3
EXIT_DEVICE = 4
EXIT_TIMEOUT = 124

GPU_DEVICE_TYPES = ("CUDA", "OPTIX")
FORMATS = {"PNG": "png", "OPEN_EXR": "exr", "EXR": "exr"}

try:
    _libc = ctypes.CDLL(None)
except OSError:  # pragma: no cover - always present on Linux
    _libc = None


def flush_c_stdio():
    """Blender prints through C stdio, buffered when stdout is a pipe. Flushing it before our own
    lines keeps markers whole and on their own line (a half-flushed C line would prefix them)."""
    if _libc is not None:
        _libc.fflush(None)


def emit(line):
    flush_c_stdio()
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class RenderError(Exception):
    def __init__(self, message, code=EXIT_FAILED):
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise RenderError(message, EXIT_USAGE)


def int_list(text):
    try:
        frames = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("must be frame numbers separated by commas, e.g. 1,2,3")
    return frames


def resolution(text):
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("must be WIDTHxHEIGHT, e.g. 1920x1080")
    if width < 4 or height < 4 or width > 65536 or height > 65536:
        raise argparse.ArgumentTypeError("%s is outside 4x4..65536x65536" % text)
    return width, height


def region(text):
    try:
        x0, y0, x1, y1 = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("must be X0,Y0,X1,Y1 in pixels, e.g. 0,0,64,48")
    if x0 < 0 or y0 < 0 or x1 <= x0 or y1 <= y0:
        raise argparse.ArgumentTypeError("%s is empty or negative (need 0 <= X0 < X1, 0 <= Y0 < Y1)" % text)
    return x0, y0, x1, y1


def region_list(text):
    """`12:0,0,64,48;13:10,10,42,42`: boxes of frames, rendered in this order (a spot-check's samples)."""
    regions = []
    for part in text.split(";"):
        frame, sep, box = part.partition(":")
        if not sep:
            raise argparse.ArgumentTypeError("must be FRAME:X0,Y0,X1,Y1 separated by ';', e.g. 1:0,0,64,48")
        try:
            frame = int(frame)
        except ValueError:
            raise argparse.ArgumentTypeError("%r is not a frame number" % frame)
        regions.append((frame,) + region(box))
    if not regions or len(regions) > 1000:
        raise argparse.ArgumentTypeError("1 to 1000 regions")
    return regions


def join_values(argv, options):
    """`--frames -3,-2` as `--frames=-3,-2`: argparse would take a value starting with '-' for an option."""
    joined, i = [], 0
    while i < len(argv):
        if argv[i] in options and i + 1 < len(argv):
            joined.append("%s=%s" % (argv[i], argv[i + 1]))
            i += 2
        else:
            joined.append(argv[i])
            i += 1
    return joined


def parse_args(argv):
    parser = Parser(prog="render.py")
    parser.add_argument("--frames", type=int_list, required=True, help="the chunk: 1,2,3")
    parser.add_argument("--samples", type=int, help="Cycles samples per pixel (default: the scene's)")
    parser.add_argument("--resolution", type=resolution, help="absolute WIDTHxHEIGHT")
    parser.add_argument("--percentage", type=int, help="percent of the scene's resolution")
    parser.add_argument("--engine", default="CYCLES")
    parser.add_argument("--device", default="CPU", type=str.upper)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", default="PNG", type=str.upper)
    parser.add_argument("--out", default="/out")
    parser.add_argument("--thumb-width", type=int, default=160, help="0: no thumbnails")
    parser.add_argument("--frame-timeout", type=float, default=0, help="seconds per frame; 0: none")
    parser.add_argument(
        "--region",
        type=region,
        help="X0,Y0,X1,Y1: render only this box (pixels of the final resolution, origin top left, "
        "X1/Y1 exclusive); the frame files are then the box's size",
    )
    parser.add_argument(
        "--regions",
        type=region_list,
        help="F:X0,Y0,X1,Y1;...: render these boxes of these frames (each as --region would) to "
        "/out/regions/000.png, 001.png, ... in order, instead of whole frames; no thumbnails",
    )
    args = parser.parse_args(join_values(argv, ("--frames", "--regions")))
    if args.region and args.regions:
        raise RenderError("give --region or --regions, not both", EXIT_USAGE)
    if args.engine != "CYCLES":
        raise RenderError(
            "engine %s is not supported: only CYCLES renders in the sandbox "
            "(Eevee and Workbench need a GPU display)" % args.engine,
            EXIT_USAGE,
        )
    if args.device not in ("CPU",) + GPU_DEVICE_TYPES:
        raise RenderError("--device must be CPU, CUDA or OPTIX, not %s" % args.device, EXIT_USAGE)
    if args.format not in FORMATS:
        raise RenderError("--format must be PNG or OPEN_EXR, not %s" % args.format, EXIT_USAGE)
    if args.format == "EXR":
        args.format = "OPEN_EXR"
    if args.samples is not None and not 1 <= args.samples <= 1 << 24:
        raise RenderError("--samples must be 1..%d" % (1 << 24), EXIT_USAGE)
    if args.percentage is not None and not 1 <= args.percentage <= 1000:
        raise RenderError("--percentage must be 1..1000", EXIT_USAGE)
    if args.resolution and args.percentage is not None:
        raise RenderError("give --resolution or --percentage, not both", EXIT_USAGE)
    if not 0 <= args.seed <= 2**31 - 1:
        raise RenderError("--seed must be 0..2147483647", EXIT_USAGE)
    if args.thumb_width < 0 or args.frame_timeout < 0:
        raise RenderError("--thumb-width and --frame-timeout must not be negative", EXIT_USAGE)
    return args


def frame_name(frame, ext):
    """frame-000012.png; negative frames frame--000012.png (as libs/workloads frames.ts names them)."""
    return "frame-%s%06d.%s" % ("-" if frame < 0 else "", abs(frame), ext)


class Watchdog(threading.Thread):
    """Hard-exits the whole process with 124 when one frame runs longer than `limit` seconds.
    Cycles renders with the GIL released, so this thread runs while a frame renders."""

    def __init__(self, limit):
        super().__init__(name="tessera-frame-watchdog", daemon=True)
        self.limit = limit
        self.lock = threading.Lock()
        self.frame = None
        self.started = 0.0

    def begin(self, frame):
        with self.lock:
            self.frame, self.started = frame, time.monotonic()

    def end(self):
        with self.lock:
            self.frame = None

    def run(self):
        while True:
            time.sleep(0.1)
            with self.lock:
                overdue = self.frame is not None and time.monotonic() - self.started > self.limit
                frame = self.frame
            if overdue:
                flush_c_stdio()
                sys.stderr.write("TESSERA_FRAME_TIMEOUT %d %g\n" % (frame, self.limit))
                sys.stderr.flush()
                os._exit(EXIT_TIMEOUT)


def use_device(scene, device):
    """CPU: no GPU is touched. CUDA/OPTIX: every device of that type, and not the CPU beside them."""
    prefs = bpy.context.preferences.addons["cycles"].preferences
    if device == "CPU":
        prefs.compute_device_type = "NONE"
        scene.cycles.device = "CPU"
        return []
    try:
        prefs.compute_device_type = device
    except TypeError:
        raise RenderError(
            "this Blender build has no %s support (Debian's Blender renders on the CPU only; "
            "use the tessera/blender:3.4-cuda image for GPUs)" % device,
            EXIT_DEVICE,
        )
    prefs.refresh_devices()
    devices = [d for d in prefs.get_devices_for_type(device) if d.type == device]
    if not devices:
        raise RenderError(
            "no %s device found: is an NVIDIA GPU passed into the container "
            "(--gpus / the NVIDIA container toolkit) with a driver that supports it?" % device,
            EXIT_DEVICE,
        )
    for d in prefs.get_devices_for_type(device):
        d.use = d.type == device
    for d in prefs.get_devices_for_type("CPU"):
        d.use = False
    scene.cycles.device = "GPU"
    return [d.name for d in devices]


def configure(scene, args):
    """Applies the request and the determinism settings (see the module comment). Returns the
    expected size of each written frame."""
    render = scene.render
    cycles = scene.cycles
    render.engine = "CYCLES"
    render.threads_mode = "AUTO"  # honour -t (a FIXED count saved in the file would override it)
    if args.resolution:
        render.resolution_x, render.resolution_y = args.resolution
        render.resolution_percentage = 100
    elif args.percentage is not None:
        render.resolution_percentage = args.percentage
    # Blender's own arithmetic (integer division), so the sizes agree with what it writes.
    width = render.resolution_x * render.resolution_percentage // 100
    height = render.resolution_y * render.resolution_percentage // 100
    if width < 1 or height < 1:
        raise RenderError("the resolution %dx%d is empty" % (width, height), EXIT_USAGE)

    render.use_border = False
    render.use_crop_to_border = False
    expected = (width, height)
    for box in [args.region] if args.region else [r[1:] for r in args.regions or []]:
        x0, y0, x1, y1 = box
        if x1 > width or y1 > height:
            raise RenderError(
                "region %d,%d,%d,%d is outside the %dx%d frame" % (x0, y0, x1, y1, width, height),
                EXIT_USAGE,
            )
    if args.region:
        expected = set_border(render, args.region, width, height)

    render.dither_intensity = 0.0
    render.use_persistent_data = False
    render.use_multiview = False  # one image per frame, no _L/_R files
    render.use_overwrite = True
    render.use_placeholder = False
    render.use_file_extension = True
    for stamp in ("date", "time", "render_time", "memory", "hostname", "frame_range"):
        setattr(render, "use_stamp_" + stamp, False)

    if args.samples is not None:
        cycles.samples = args.samples
    cycles.use_adaptive_sampling = False
    cycles.time_limit = 0.0
    cycles.use_denoising = False
    cycles.seed = args.seed
    cycles.use_animated_seed = False
    image_settings(render.image_settings, args.format)
    return expected


def set_border(render, box, width, height):
    """Renders only `box` (pixels from the top left, X1/Y1 exclusive) of the width x height frame,
    cropped to it. Returns the box's size, what Blender then writes."""
    x0, y0, x1, y1 = box
    # Blender's border is in 0..1 from the bottom left; ours is in pixels from the top left. Blender
    # keeps it as a 32-bit float and turns it back into pixels by truncating border * size, so an
    # exact x0 / width can land a hair below x0 and lose a pixel (a 50 px box rendered 51 px wide).
    # A quarter pixel in is the same pixel whether Blender truncates or rounds.
    render.use_border = True
    render.use_crop_to_border = True
    render.border_min_x = (x0 + 0.25) / width
    render.border_max_x = min(1.0, (x1 + 0.25) / width)
    render.border_min_y = (height - y1 + 0.25) / height
    render.border_max_y = min(1.0, (height - y0 + 0.25) / height)
    return (x1 - x0, y1 - y0)


def image_settings(settings, file_format):
    settings.file_format = file_format
    settings.color_mode = "RGBA"
    if file_format == "PNG":
        settings.color_depth = "8"
        settings.compression = 15
    else:
        settings.color_depth = "16"  # half float
        settings.exr_codec = "ZIP"  # lossless


def write_thumbnail(scene, args, frame_path, thumb_path, expected):
    """Loads the written frame, checks its size, scales it to --thumb-width (aspect kept) and saves
    a PNG. EXR frames are linear: they go through the scene's view transform, as the frame would."""
    image = bpy.data.images.load(frame_path, check_existing=False)
    try:
        size = tuple(image.size)
        if size != expected:
            raise RenderError(
                "Blender wrote a %dx%d frame, not the %dx%d expected" % (size + expected)
            )
        if not args.thumb_width:
            return
        width = args.thumb_width
        height = max(1, round(size[1] * width / size[0]))
        image.scale(width, height)
        if args.format == "PNG":
            image.filepath_raw = thumb_path
            image.file_format = "PNG"
            image.save()
        else:
            settings = scene.render.image_settings
            image_settings(settings, "PNG")
            try:
                image.save_render(thumb_path, scene=scene)
            finally:
                image_settings(settings, args.format)
    finally:
        bpy.data.images.remove(image)


def render_frames(scene, args, expected):
    ext = FORMATS[args.format]
    thumbs = os.path.join(args.out, "thumbs")
    os.makedirs(thumbs, exist_ok=True)
    watchdog = None
    if args.frame_timeout > 0:
        watchdog = Watchdog(args.frame_timeout)
        watchdog.start()
    for frame in args.frames:
        started = time.monotonic()
        if watchdog:
            watchdog.begin(frame)
        scene.frame_set(frame)
        path = os.path.join(args.out, frame_name(frame, ext))
        scene.render.filepath = path
        try:
            result = bpy.ops.render.render(write_still=True, scene=scene.name)
        except RuntimeError as error:
            raise RenderError("frame %d: %s" % (frame, str(error).strip().replace("\n", " / ")))
        if "FINISHED" not in result or not os.path.isfile(path):
            raise RenderError("frame %d: Blender wrote no image (%s)" % (frame, ", ".join(result)))
        write_thumbnail(scene, args, path, os.path.join(thumbs, frame_name(frame, "png")), expected)
        if watchdog:
            watchdog.end()
        emit("TESSERA_FRAME_DONE %d %.3f" % (frame, time.monotonic() - started))


def render_regions(scene, args):
    """A spot-check: each --regions box of its frame, as --region renders it, to regions/NNN.png.
    Boxes are rendered in the order given; a frame is set once for consecutive boxes of it."""
    render = scene.render
    width = render.resolution_x * render.resolution_percentage // 100
    height = render.resolution_y * render.resolution_percentage // 100
    out = os.path.join(args.out, "regions")
    os.makedirs(out, exist_ok=True)
    watchdog = None
    if args.frame_timeout > 0:
        watchdog = Watchdog(args.frame_timeout)
        watchdog.start()
    for i, (frame, x0, y0, x1, y1) in enumerate(args.regions):
        started = time.monotonic()
        if watchdog:
            watchdog.begin(frame)
        if scene.frame_current != frame:
            scene.frame_set(frame)
        expected = set_border(render, (x0, y0, x1, y1), width, height)
        path = os.path.join(out, "%03d.png" % i)
        render.filepath = path
        try:
            result = bpy.ops.render.render(write_still=True, scene=scene.name)
        except RuntimeError as error:
            raise RenderError("region %d of frame %d: %s" % (i, frame, str(error).strip().replace("\n", " / ")))
        if "FINISHED" not in result or not os.path.isfile(path):
            raise RenderError("region %d of frame %d: Blender wrote no image (%s)" % (i, frame, ", ".join(result)))
        image = bpy.data.images.load(path, check_existing=False)
        try:
            if tuple(image.size) != expected:
                raise RenderError(
                    "Blender wrote a %dx%d region, not the %dx%d expected" % (tuple(image.size) + expected)
                )
        finally:
            bpy.data.images.remove(image)
        if watchdog:
            watchdog.end()
        emit("TESSERA_REGION_DONE %d %d %.3f" % (i, frame, time.monotonic() - started))


def main():
    argv = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []
    try:
        args = parse_args(argv)
        if not bpy.data.filepath:
            raise RenderError("no .blend was loaded (pass the scene before -P)")
        scene = bpy.context.scene
        if scene.camera is None:
            raise RenderError('scene "%s" has no active camera' % scene.name)
        expected = configure(scene, args)
        devices = use_device(scene, args.device)
        emit(
            "TESSERA_RENDER_START frames=%d device=%s%s threads=%d samples=%d size=%dx%d"
            % (
                len(args.frames),
                args.device,
                (":" + "+".join(devices)) if devices else "",
                scene.render.threads,  # in AUTO mode: the -t count, else all CPUs
                scene.cycles.samples,
                expected[0],
                expected[1],
            )
        )
        if args.regions:
            if args.format != "PNG":
                raise RenderError("--regions renders PNG only (spot-checks compare 8-bit pixels)", EXIT_USAGE)
            render_regions(scene, args)
        else:
            render_frames(scene, args, expected)
    except RenderError as error:
        flush_c_stdio()
        sys.stderr.write("tessera render.py: error: %s\n" % error)
        sys.stderr.flush()
        sys.exit(error.code)
    except Exception as error:  # anything else is a bug or a Blender failure: say it on one line
        flush_c_stdio()
        traceback.print_exc()
        sys.stderr.write("tessera render.py: error: %s: %s\n" % (type(error).__name__, error))
        sys.stderr.flush()
        sys.exit(EXIT_FAILED)


main()
