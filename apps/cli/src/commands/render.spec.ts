import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@tessera/testing';
import { FakeCoordinator, sha256 } from '../../test/fake-coordinator';
import { runTessera, tempDir } from '../../test/cli-harness';

/** A file that passes the local check: it starts like a .blend. */
function writeScene(dir: string, name = 'scene.blend', size = 200_000): string {
  const bytes = Buffer.alloc(size, 7);
  bytes.write('BLENDER-v304', 0, 'latin1');
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('tessera render', () => {
  let fake: FakeCoordinator;
  let apiKey: string;
  let cwd: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    fake = await FakeCoordinator.start();
    apiKey = fake.addAccount();
    cwd = tempDir();
    env = { TESSERA_URL: fake.url, TESSERA_API_KEY: apiKey };
  });
  afterEach(() => fake.stop());

  it('uploads the scene, follows the job and downloads every frame into ./<scene>-frames', async () => {
    const scene = writeScene(cwd);
    const rendering = runTessera(
      ['render', 'scene.blend', '--frames', '1-6', '--samples', '16', '--resolution', '640x360'],
      { env, cwd },
    );
    await eventually(() => fake.subscriberCount('job-1') === 1);
    for (const task of [0, 1, 2]) fake.acceptTask('job-1', task, `box-${(task % 2) + 1}`);
    const run = await rendering;

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const digest = sha256(readFileSync(scene));
    expect(fake.blobs.get(digest)?.bytes.length).toBe(200_000);
    const job = [...fake.jobs.values()][0];
    expect(job.input).toEqual({
      blend: digest,
      name: 'scene',
      frames: '1-6',
      samples: 16,
      resolution: '640x360',
    });
    const folder = join(cwd, 'scene-frames');
    expect(readdirSync(folder).sort()).toEqual([1, 2, 3, 4, 5, 6].map((f) => `frame-00000${f}.png`));
    expect(readFileSync(join(folder, 'frame-000003.png'))).toEqual(FakeCoordinator.frameBytes(job.id, 3));
    expect(run.stdout).toContain('uploaded scene.blend: 195.3 KiB');
    expect(run.stdout).toContain(`job ${job.id} QUEUED: 6 frames in 3 tasks`);
    expect(run.stdout).toMatch(/frame 6 ✓ \(task 2 on box-1\)/);
    expect(run.stdout).toContain(`job ${job.id} COMPLETED: 6/6 frames (100%)`);
    expect(run.stdout).toContain(`6 frames in ${folder} (6 downloaded; every SHA-256 verified)`);
  });

  it('skips the upload when the coordinator already has the scene for this account', async () => {
    const scene = writeScene(cwd);
    fake.addBlob(readFileSync(scene), apiKey);
    const run = await runTessera(['render', scene, '--no-wait'], { env, cwd });

    expect(run.code).toBe(0);
    expect(fake.requests.filter((r) => r.method === 'PUT')).toHaveLength(0);
    expect(fake.requests.filter((r) => r.method === 'HEAD')).toHaveLength(1);
    expect(run.stdout).toMatch(/scene\.blend \(195\.3 KiB, sha256 [0-9a-f]{12}…\) is already uploaded/);
    expect(run.stdout).toContain('tessera watch job-1');
  });

  it('prints only the submitted job as JSON with --no-wait --json', async () => {
    writeScene(cwd);
    const run = await runTessera(
      ['render', 'scene.blend', '--no-wait', '--json', '--percentage', '50', '--format', 'exr'],
      {
        env,
        cwd,
      },
    );

    expect(run.code).toBe(0);
    const job = JSON.parse(run.stdout) as { id: string; state: string; progress: { itemsTotal: number } };
    expect(job).toMatchObject({ id: 'job-1', state: 'QUEUED', progress: { itemsTotal: 4 } });
    expect(fake.jobs.get('job-1')?.input).toMatchObject({ resolutionPercentage: 50, format: 'EXR' });
  });

  it('refuses a file that is not a .blend locally: nothing is uploaded or submitted', async () => {
    writeFileSync(join(cwd, 'scene.blend'), 'PK\x03\x04 this is a zip');
    const run = await runTessera(['render', 'scene.blend'], { env, cwd });

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: scene.blend is not a .blend file: it starts with "PK.. thi", not "BLENDER" (save it from Blender, with File > External Data > Pack Resources)\n',
    );
    expect(fake.requests).toEqual([]);
  });

  it('names a missing file in one line', async () => {
    const run = await runTessera(['render', 'nope.blend'], { env, cwd });
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'error: nope.blend: no such file\n' });
  });

  it('reports every bad option before touching the file or the network', async () => {
    const run = await runTessera(
      [
        'render',
        'missing.blend',
        '--frames',
        '10-1',
        '--samples',
        'lots',
        '--resolution',
        '2x99999',
        '--max-price',
        '1e3',
      ],
      { env, cwd },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      [
        'error: --frames: "10-1": the range ends before it starts',
        'error: --samples: "lots" is not a whole number',
        'error: --resolution: width 2 px is outside 4..16384',
        'error: --max-price: "1e3" is not a token amount such as 12.5',
        '',
      ].join('\n'),
    );
    expect(fake.requests).toEqual([]);
  });

  it('prints the BLOB_TOO_LARGE refusal (sent before the body is read) as one line with exit 1', async () => {
    fake.maxBlobBytes = 100_000;
    writeScene(cwd, 'big.blend', 20_000_000);
    const run = await runTessera(['render', 'big.blend'], { env, cwd });

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: BLOB_TOO_LARGE: the upload (20000000 B) exceeds the 100000 B limit; nothing was stored\n',
    );
    expect(fake.jobs.size).toBe(0);
  });

  it('prints the coordinator refusal of the submission as CODE: message', async () => {
    fake.refuseSubmit = {
      code: 'PRICE_TOO_LOW',
      message: 'a cap of 0.01 is below the market price of 3.2 tokens for this job',
    };
    writeScene(cwd);
    const run = await runTessera(['render', 'scene.blend', '--max-price', '0.01'], { env, cwd });

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: PRICE_TOO_LOW: a cap of 0.01 is below the market price of 3.2 tokens for this job\n',
    );
  });

  it('exits 1 with the job error when the render fails, leaving no frames folder', async () => {
    writeScene(cwd);
    const running = runTessera(['render', 'scene.blend', '--frames', '1-2'], { env, cwd });
    await eventually(() => fake.subscriberCount('job-1') === 1);
    fake.finish('job-1', 'FAILED', { code: 'SCENE_INVALID', message: 'Blender could not read the file' });
    const run = await running;

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: job job-1 FAILED: SCENE_INVALID: Blender could not read the file; 0 of 2 frames were done\n',
    );
    expect(existsSync(join(cwd, 'scene-frames'))).toBe(false);
  });
});
