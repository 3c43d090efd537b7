import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { PNG } from 'pngjs';
import { ContainerSpec } from '@tessera/protocol';
import { DockerRunner, RunResult } from '@tessera/sandbox';
import { TaskSpec } from '../../workload';
import { blankReason, isExr, pngStats } from '../image-check';
import { RenderWorkload } from '../render.workload';

// Medium tests of the Blender worker image (docker/workers/blender) and its scripts, run the way a
// provider runs them: DockerRunner's sandbox (no network, no capabilities, read-only root, uid
// 10001, noexec tmpfs /tmp) with the image's own environment. Frames are tiny (64×48, 8 samples)
// so the whole file takes about a minute once the image exists.

const IMAGE = 'tessera/blender:3.4';
const MIB = 1024 * 1024;
const REPO = resolve(__dirname, '../../../../..');
const DOCKER_CLI = process.env.DOCKER ?? 'docker';
const testId = `blender-${process.pid}`;

const runner = new DockerRunner(new Docker(), { labels: { 'tessera.test': testId }, outputWatchMs: 0 });
let root: string;
let counter = 0;
/** The demo scene (6 frames, 64×48, 32 samples), made once by demo_scene.py in the sandbox. */
let demoBlend: string;

interface Run {
  result: RunResult;
  stdout: string;
  stderr: string;
  log: string;
  out: string;
}

/** Blender on /in/scene.blend, auto-run disabled, as the render workload runs it. */
function blenderCommand(script: string, args: string[] = [], threads = 2, autoRun = '-Y'): string[] {
  return [
    'blender',
    '-b',
    autoRun,
    '--factory-startup',
    '/in/scene.blend',
    '--python-exit-code',
    '3',
    '-t',
    String(threads),
    '-P',
    `/opt/tessera/${script}`,
    '--',
    ...args,
  ];
}

function renderArgs(frames: string, ...more: string[]): string[] {
  return ['--frames', frames, '--samples', '8', '--seed', '0', '--out', '/out', ...more];
}

/** Runs `command` in the sandbox with `inputs` (name → host file or contents) in /in. */
async function run(
  command: string[],
  inputs: Record<string, string | Buffer> = {},
  spec: Partial<ContainerSpec> = {},
): Promise<Run> {
  const dir = join(root, `run-${++counter}`);
  const inputDir = join(dir, 'in');
  const out = join(dir, 'out');
  await mkdir(inputDir, { recursive: true, mode: 0o755 });
  await mkdir(out);
  for (const [name, source] of Object.entries(inputs)) {
    if (Buffer.isBuffer(source)) await writeFile(join(inputDir, name), source);
    else await copyFile(source, join(inputDir, name));
    await chmod(join(inputDir, name), 0o644);
  }
  const logs = { stdout: '', stderr: '', log: '' };
  const result = await runner.run({
    spec: {
      image: IMAGE,
      command,
      env: {}, // the image's own HOME=/tmp must be enough
      inputs: [],
      limits: {
        cpus: 2,
        memoryBytes: 2048 * MIB,
        pids: 256,
        timeoutSec: 100,
        tmpBytes: 256 * MIB,
        outputBytes: 64 * MIB,
        outputFiles: 100,
      },
      gpus: 0,
      ...spec,
    },
    name: `tessera-int-${testId}-${counter}`,
    inputDir,
    outputDir: out,
    gpuAvailable: false,
    onLog: (stream, text) => {
      logs[stream] += text;
      logs.log += text;
    },
  });
  return { result, ...logs, out };
}

function decode(file: string): Promise<PNG> {
  return readFile(file).then((bytes) => PNG.sync.read(bytes));
}

/** The `width`×`height` box at (x, y) of a decoded RGBA image. */
function crop(png: PNG, x: number, y: number, width: number, height: number): Buffer {
  const rows: Buffer[] = [];
  for (let row = y; row < y + height; row++) {
    rows.push(png.data.subarray((row * png.width + x) * 4, (row * png.width + x + width) * 4));
  }
  return Buffer.concat(rows);
}

function lines(text: string, marker: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(marker));
}

/** Asserts the exit code; on failure the message shows the outcome and the end of the log. */
function expectExit(r: Run, exitCode: number): void {
  const tail = r.log
    .split('\n')
    .filter((l) => !l.startsWith('Fra:'))
    .slice(-15)
    .join('\n');
  expect({ exitCode: r.result.exitCode, outcome: r.result.outcome, tail }).toMatchObject({
    exitCode,
    outcome: 'exited',
  });
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Saves a .blend built by a Blender Python script (run without auto-run, like everything here). */
async function buildBlend(name: string, script: string): Promise<string> {
  const built = await run(
    [
      'blender',
      '-b',
      '-Y',
      '--factory-startup',
      '--python-exit-code',
      '3',
      '-P',
      '/in/build.py',
      '--',
      '/out/built.blend',
    ],
    { 'build.py': Buffer.from(script) },
  );
  expectExit(built, 0);
  const path = join(root, name);
  await copyFile(join(built.out, 'built.blend'), path);
  return path;
}

/** Frame 1 of the demo, 64×48, 8 samples, 2 threads: the reference the determinism tests compare to. */
let reference: Promise<{ png: PNG; run: Run }> | undefined;
function referenceFrames(): Promise<{ png: PNG; run: Run }> {
  reference ??= (async () => {
    const r = await run(blenderCommand('render.py', renderArgs('1,2')), { 'scene.blend': demoBlend });
    return { png: await decode(join(r.out, 'frame-000001.png')), run: r };
  })();
  return reference;
}

beforeAll(async () => {
  // Cheap when the image is up to date (it hashes the build context); rebuilds after script edits.
  execFileSync(join(REPO, 'docker/build-images.sh'), ['blender'], {
    stdio: 'inherit',
    env: { ...process.env, DOCKER: DOCKER_CLI },
  });
  root = await mkdtemp(join(tmpdir(), 'tessera-blender-'));
  await chmod(root, 0o755); // the sandbox user reads the inputs
  const demo = await run([
    'blender',
    '-b',
    '--factory-startup',
    '-P',
    '/opt/tessera/demo_scene.py',
    '--',
    '/out/demo.blend',
    '--frames',
    '6',
    '--resolution',
    '64x48',
  ]);
  expect(demo.stdout).toContain('TESSERA_DEMO_SAVED /out/demo.blend');
  expectExit(demo, 0);
  demoBlend = join(root, 'demo.blend');
  await copyFile(join(demo.out, 'demo.blend'), demoBlend);
}, 300_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the Blender worker image', () => {
  it('runs Blender 3.4.1 headless in the sandbox', async () => {
    const r = await run(['blender', '-b', '--factory-startup', '--version']);
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^Blender 3\.4\.1$/m);
  });

  it('builds a demo scene that inspect.py reports with its frame range, resolution, engine and camera', async () => {
    const r = await run(blenderCommand('inspect.py'), { 'scene.blend': demoBlend });
    expectExit(r, 0);
    const marked = lines(r.stdout, 'TESSERA_SCENE_JSON ');
    expect(marked).toHaveLength(1);
    expect(JSON.parse(marked[0].slice('TESSERA_SCENE_JSON '.length))).toMatchObject({
      blenderVersion: '3.4.1',
      fileVersion: '3.4',
      scene: 'Tessera Demo',
      frameStart: 1,
      frameEnd: 6,
      frameStep: 1,
      fps: 24,
      resolutionX: 64,
      resolutionY: 48,
      resolutionPercentage: 100,
      engine: 'CYCLES',
      camera: true,
      samples: 32,
      frames: 6,
      autoRunScriptsPresent: false,
    });
  });

  it('renders frames 1 and 2 in the sandbox with thumbnails, and the frames differ', async () => {
    const { run: r, png: first } = await referenceFrames();
    expectExit(r, 0);
    expect(lines(r.stdout, 'TESSERA_FRAME_DONE ').map((l) => l.split(' ')[1])).toEqual(['1', '2']);
    const second = await decode(join(r.out, 'frame-000002.png'));
    for (const frame of ['000001', '000002']) {
      const stats = pngStats(await readFile(join(r.out, `frame-${frame}.png`)));
      expect([stats.width, stats.height]).toEqual([64, 48]);
      expect(blankReason(stats)).toBeUndefined();
    }
    expect(first.data.equals(second.data)).toBe(false);
    for (const frame of ['000001', '000002']) {
      const thumb = await decode(join(r.out, 'thumbs', `frame-${frame}.png`));
      expect([thumb.width, thumb.height]).toEqual([160, 120]);
    }
  });

  it('gives pixel-identical frames when the same frame is rendered again', async () => {
    const { png: expected } = await referenceFrames();
    const again = await run(blenderCommand('render.py', renderArgs('1', '--thumb-width', '32')), {
      'scene.blend': demoBlend,
    });
    expectExit(again, 0);
    expect((await decode(join(again.out, 'frame-000001.png'))).data.equals(expected.data)).toBe(true);
    const thumb = await decode(join(again.out, 'thumbs/frame-000001.png'));
    expect([thumb.width, thumb.height]).toEqual([32, 24]);
  });

  it('gives pixel-identical frames with 1 thread and with 2', async () => {
    const { png: expected } = await referenceFrames();
    const single = await run(blenderCommand('render.py', renderArgs('1'), 1), { 'scene.blend': demoBlend });
    expect(single.stdout).toMatch(/TESSERA_RENDER_START .*threads=1 /);
    expectExit(single, 0);
    expect((await decode(join(single.out, 'frame-000001.png'))).data.equals(expected.data)).toBe(true);
  });

  it('renders a region that equals the same box of the full frame', async () => {
    const { png: full } = await referenceFrames();
    const box = { x: 10, y: 6, width: 37, height: 29 };
    const region = await run(
      blenderCommand(
        'render.py',
        renderArgs(
          '1',
          '--region',
          `${box.x},${box.y},${box.x + box.width},${box.y + box.height}`,
          '--thumb-width',
          '0',
        ),
      ),
      { 'scene.blend': demoBlend },
    );
    expectExit(region, 0);
    const png = await decode(join(region.out, 'frame-000001.png'));
    expect([png.width, png.height]).toEqual([box.width, box.height]);
    expect(png.data.equals(crop(full, box.x, box.y, box.width, box.height))).toBe(true);
  });

  it("runs the render workload's own container spec, and its output check accepts the result", async () => {
    const workload = new RenderWorkload({
      image: IMAGE,
      gpuImage: `${IMAGE}-cuda`,
      targetChunkSeconds: 60,
      checkRegions: 5,
      checkRegionFraction: 1 / 16,
    });
    const task: TaskSpec = {
      index: 0,
      params: {
        frames: [2, 3],
        width: 64,
        height: 48,
        samples: 8,
        format: 'OPEN_EXR',
        seed: 7,
        device: 'ANY',
        frameTimeoutSec: 60,
      },
      image: IMAGE,
      requirements: { cpus: 1, memoryBytes: 2048 * MIB, gpus: 0, vramBytes: 0 },
      timeoutSec: 100,
      inputs: [],
    };
    const spec = workload.containerSpec(task, {
      cpuCores: 2,
      memoryBytes: 8192 * MIB,
      gpus: [],
      images: [IMAGE],
      slots: 1,
    });
    const r = await run(spec.command, { 'scene.blend': demoBlend }, { env: spec.env, limits: spec.limits });
    expectExit(r, 0);
    const outputs = await runner.checkOutputs(r.out, spec.limits);
    expect(outputs.map((o) => o.path).sort()).toEqual([
      'frame-000002.exr',
      'frame-000003.exr',
      'thumbs/frame-000002.png',
      'thumbs/frame-000003.png',
    ]);
    expect(isExr(await readFile(join(r.out, 'frame-000002.exr')))).toBe(true);
    await expect(
      workload.checkOutputs(task, outputs, (file) => readFile(join(r.out, file.path)), true),
    ).resolves.toBeUndefined();
  });

  it('renders frames outside the scene range, negative ones included (Blender allows them)', async () => {
    const r = await run(blenderCommand('render.py', renderArgs('-2,40', '--thumb-width', '0')), {
      'scene.blend': demoBlend,
    });
    expectExit(r, 0);
    expect(lines(r.stdout, 'TESSERA_FRAME_DONE ').map((l) => l.split(' ')[1])).toEqual(['-2', '40']);
    expect(await exists(join(r.out, 'frame--000002.png'))).toBe(true);
    expect(await exists(join(r.out, 'frame-000040.png'))).toBe(true);
  });
});

describe('bad and hostile scenes', () => {
  it.each([
    [
      'a truncated .blend',
      'truncated',
      "Error: Failed to read blend file '/in/scene.blend': Missing DNA block",
    ],
    ['a file that is not a .blend', 'text', "Error: File format is not supported in file '/in/scene.blend'"],
  ])('%s makes Blender exit 1 with its own error', async (_name, kind, error) => {
    const bytes =
      kind === 'truncated'
        ? (await readFile(demoBlend)).subarray(0, Math.floor((await stat(demoBlend)).size / 2))
        : Buffer.from('# not a scene\n'.repeat(100));
    for (const script of ['inspect.py', 'render.py']) {
      const r = await run(blenderCommand(script, script === 'render.py' ? renderArgs('1') : []), {
        'scene.blend': bytes,
      });
      expectExit(r, 1);
      expect(r.stdout).toContain(error);
      expect(r.stdout).not.toContain('TESSERA_SCENE_JSON');
      expect(await exists(join(r.out, 'frame-000001.png'))).toBe(false);
    }
  });

  it('refuses a scene without a camera with a non-zero exit', async () => {
    const blend = await buildBlend(
      'no-camera.blend',
      [
        'import sys, bpy',
        'bpy.data.objects.remove(bpy.data.objects["Camera"], do_unlink=True)',
        'bpy.ops.wm.save_as_mainfile(filepath=sys.argv[-1], compress=False)',
      ].join('\n'),
    );
    const r = await run(blenderCommand('render.py', renderArgs('1', '--resolution', '32x24')), {
      'scene.blend': blend,
    });
    expectExit(r, 3);
    expect(r.stderr).toContain('tessera render.py: error: scene "Scene" has no active camera');
  });

  it('never runs a registered text block or a Python driver from the file', async () => {
    const blend = await buildBlend(
      'autorun.blend',
      [
        'import sys, bpy',
        'text = bpy.data.texts.new("tessera_autorun.py")',
        `text.write("open('/out/pwned-by-text', 'w').write('ran')\\n")`,
        'text.use_module = True  # "Register": runs on load when auto-run is on',
        'fcurve = bpy.data.objects["Cube"].driver_add("location", 2)',
        'fcurve.driver.type = "SCRIPTED"',
        `fcurve.driver.expression = "len(open('/out/pwned-by-driver', 'w').name) * 0"`,
        'bpy.ops.wm.save_as_mainfile(filepath=sys.argv[-1], compress=False)',
      ].join('\n'),
    );
    const args = renderArgs('1', '--resolution', '32x24', '--thumb-width', '0');

    const inspected = await run(blenderCommand('inspect.py'), { 'scene.blend': blend });
    expect(inspected.stdout).toContain('"autoRunScriptsPresent": true');
    const safe = await run(blenderCommand('render.py', args), { 'scene.blend': blend });
    expectExit(safe, 0);
    expect(safe.log).toContain(`scripts disabled for "/in/scene.blend", skipping 'tessera_autorun.py'`);
    expect(safe.log).toContain("restricted access disallows name 'open'");
    for (const r of [inspected, safe]) {
      expect(await exists(join(r.out, 'pwned-by-text'))).toBe(false);
      expect(await exists(join(r.out, 'pwned-by-driver'))).toBe(false);
    }

    // The control: with auto-run enabled (-y, which Tessera never passes) both traps do fire, so
    // the assertions above test -Y rather than a file that does nothing.
    const unsafe = await run(blenderCommand('render.py', args, 2, '-y'), { 'scene.blend': blend });
    expectExit(unsafe, 0);
    expect(await exists(join(unsafe.out, 'pwned-by-text'))).toBe(true);
    expect(await exists(join(unsafe.out, 'pwned-by-driver'))).toBe(true);
  });
});

describe('render.py limits and refusals', () => {
  it('kills a frame that runs past --frame-timeout with exit 124', async () => {
    const started = Date.now();
    const r = await run(
      blenderCommand('render.py', ['--frames', '1', '--samples', '100000', '--frame-timeout', '2']),
      { 'scene.blend': demoBlend },
    );
    expectExit(r, 124);
    expect(r.stderr).toContain('TESSERA_FRAME_TIMEOUT 1 2\n');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await exists(join(r.out, 'frame-000001.png'))).toBe(false);
  });

  it('refuses Eevee with exit 2 and says why', async () => {
    const r = await run(blenderCommand('render.py', renderArgs('1', '--engine', 'BLENDER_EEVEE')), {
      'scene.blend': demoBlend,
    });
    expectExit(r, 2);
    expect(r.stderr).toContain(
      'tessera render.py: error: engine BLENDER_EEVEE is not supported: only CYCLES renders in the sandbox',
    );
  });

  it.each([
    ['CUDA', 'no CUDA device found'],
    ['OPTIX', 'this Blender build has no OPTIX support'],
  ])('fails clearly when --device %s has no GPU behind it', async (device, message) => {
    const r = await run(blenderCommand('render.py', renderArgs('1', '--device', device)), {
      'scene.blend': demoBlend,
    });
    expectExit(r, 4);
    expect(r.stderr).toContain(`tessera render.py: error: ${message}`);
    expect(await exists(join(r.out, 'frame-000001.png'))).toBe(false);
  });
});
