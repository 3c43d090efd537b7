import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeCoordinator } from '../../test/fake-coordinator';
import { runTessera, tempDir } from '../../test/cli-harness';
import { defaultFolder, safeRelativePath, slug } from './download';

describe('tessera download', () => {
  let fake: FakeCoordinator;
  let apiKey: string;
  let cwd: string;
  let env: NodeJS.ProcessEnv;

  /** A render job of `frames` frames, every task accepted. */
  async function renderedJob(frames = '1-4', name = 'shot 7'): Promise<string> {
    const blend = fake.addBlob(Buffer.from('BLENDER scene'), apiKey);
    const submitted = await fetch(`${fake.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
        query: 'mutation($i: SubmitRenderJobInput!) { submitRenderJob(input: $i) { id } }',
        variables: { i: { blend, frames, name } },
      }),
    });
    return ((await submitted.json()) as { data: { submitRenderJob: { id: string } } }).data.submitRenderJob
      .id;
  }

  beforeEach(async () => {
    fake = await FakeCoordinator.start();
    apiKey = fake.addAccount();
    cwd = tempDir();
    env = { TESSERA_URL: fake.url, TESSERA_API_KEY: apiKey };
  });
  afterEach(() => fake.stop());

  it('downloads every frame into ./<job name>-frames as frame-000001.png …, each verified', async () => {
    const id = await renderedJob();
    fake.acceptTask(id, 0);
    fake.acceptTask(id, 1);
    const run = await runTessera(['download', id], { env, cwd });

    const folder = join(cwd, 'shot-7-frames');
    expect(run).toEqual({
      code: 0,
      stdout: expect.stringContaining(
        `4 frames in ${folder} (4 downloaded; every SHA-256 verified)\n`,
      ) as string,
      stderr: '',
    });
    expect(readdirSync(folder).sort()).toEqual([
      'frame-000001.png',
      'frame-000002.png',
      'frame-000003.png',
      'frame-000004.png',
    ]);
    expect(readFileSync(join(folder, 'frame-000004.png'))).toEqual(FakeCoordinator.frameBytes(id, 4));
  });

  it('resumes: frames already present with the right hash are skipped, a corrupted one is downloaded again', async () => {
    const id = await renderedJob();
    fake.acceptTask(id, 0);
    fake.acceptTask(id, 1);
    const out = join(cwd, 'out');
    expect((await runTessera(['download', id, '--out', 'out'], { env, cwd })).code).toBe(0);
    const untouched = statSync(join(out, 'frame-000001.png')).mtimeMs;
    writeFileSync(join(out, 'frame-000003.png'), 'garbage');
    const gets = () => fake.requests.filter((r) => r.method === 'GET').length;
    const before = gets();

    const run = await runTessera(['download', id, '--out', 'out'], { env, cwd });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `4 frames in ${out} (1 downloaded, 3 already there; every SHA-256 verified)`,
    );
    expect(gets() - before).toBe(1);
    expect(readFileSync(join(out, 'frame-000003.png'))).toEqual(FakeCoordinator.frameBytes(id, 3));
    expect(statSync(join(out, 'frame-000001.png')).mtimeMs).toBe(untouched);
  });

  it('downloads a frame corrupted in transit once more, and fails in one line if it stays corrupt', async () => {
    const id = await renderedJob('1-2');
    fake.acceptTask(id, 0);
    const [, second] = fake.jobs.get(id)!.frames;
    fake.corruptDownloads.set(second.sha256, 1);
    const once = await runTessera(['download', id], { env, cwd });
    expect(once.code).toBe(0);
    expect(once.stdout).toContain('frame-000002.png: corrupted in transit, downloading it again');

    fake.corruptDownloads.set(second.sha256, 2);
    const twice = await runTessera(['download', id, '--out', 'again'], { env, cwd });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(
      /^error: frame-000002\.png: the downloaded bytes hash to [0-9a-f]{64}, not [0-9a-f]{64}; the file was not kept\n$/,
    );
    expect(readdirSync(join(cwd, 'again'))).toEqual(['frame-000001.png']);
  });

  it('fetches what is accepted so far from a running job and says the rest is coming', async () => {
    const id = await renderedJob('1-4');
    fake.acceptTask(id, 1);
    const run = await runTessera(['download', id], { env, cwd });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `job ${id} is RUNNING: 2 of 4 frames so far; run this again later for the rest`,
    );
    expect(readdirSync(join(cwd, 'shot-7-frames')).sort()).toEqual(['frame-000003.png', 'frame-000004.png']);
  });

  it('says when there is nothing to download yet', async () => {
    const id = await renderedJob();
    const run = await runTessera(['download', id], { env, cwd });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: job ${id} has no accepted frames yet (QUEUED): try again later, or "tessera watch ${id}"\n`,
    });
  });

  it('saves the archive with --archive', async () => {
    const id = await renderedJob('1-2');
    fake.acceptTask(id, 0);
    const run = await runTessera(['download', id, '--archive', '--out', 'zips'], { env, cwd });

    expect(run.code).toBe(0);
    const zip = join(cwd, 'zips', 'shot-7.zip');
    expect(run.stdout).toContain(`archive saved: ${zip}\n`);
    expect(readFileSync(zip).subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(fake.requests.some((r) => r.path === `/v1/jobs/${id}/archive.zip`)).toBe(true);
  });

  it('prints JOB_NOT_FOUND for a job that is not yours', async () => {
    const run = await runTessera(['download', 'job-404'], { env, cwd });
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'error: JOB_NOT_FOUND: no job job-404 is yours\n' });
  });
});

describe('download file names', () => {
  it('keeps server paths only when they stay inside the folder', () => {
    expect(safeRelativePath('frame-000012.png')).toBe('frame-000012.png');
    expect(safeRelativePath('task-0/out.txt')).toBe('task-0/out.txt');
    for (const bad of ['../x', '/etc/passwd', 'a/../../b', '.hidden', 'a//b', 'a\\b', ''])
      expect(safeRelativePath(bad)).toBeUndefined();
  });

  it('names the default folder after the job', () => {
    expect(defaultFolder({ id: 'j1', name: 'My shot #2' })).toBe('My-shot-2-frames');
    expect(defaultFolder({ id: 'j1', name: null })).toBe('job-j1-frames');
    expect(defaultFolder({ id: 'j1', name: '../..' })).toBe('job-j1-frames');
    expect(slug('..hidden/../x')).toBe('hidden-..-x');
  });
});
