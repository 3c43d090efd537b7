import { FakeCoordinator } from '../../test/fake-coordinator';
import { runTessera } from '../../test/cli-harness';

describe('tessera jobs and cancel', () => {
  let fake: FakeCoordinator;
  let apiKey: string;
  let env: NodeJS.ProcessEnv;

  async function submit(name: string, frames: string): Promise<string> {
    const blend = fake.addBlob(Buffer.from('BLENDER'), apiKey);
    const res = await fetch(`${fake.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
        query: 'mutation($i: SubmitRenderJobInput!) { submitRenderJob(input: $i) { id } }',
        variables: { i: { blend, frames, name } },
      }),
    });
    return ((await res.json()) as { data: { submitRenderJob: { id: string } } }).data.submitRenderJob.id;
  }

  beforeEach(async () => {
    fake = await FakeCoordinator.start();
    apiKey = fake.addAccount();
    env = { TESSERA_URL: fake.url, TESSERA_API_KEY: apiKey };
  });
  afterEach(() => fake.stop());

  it('lists jobs newest first as a table', async () => {
    const first = await submit('teapot turntable', '1-4');
    await submit('logo sting', '1-10');
    fake.acceptTask(first, 0);
    const run = await runTessera(['jobs'], { env });

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        'ID     NAME              KIND    STATE            PROGRESS  CREATED',
        'job-2  logo sting        render  QUEUED   0/10 frames (0%)  just now',
        'job-1  teapot turntable  render  RUNNING  2/4 frames (50%)  just now',
        '',
      ].join('\n'),
    );
  });

  it('filters by state and limit, and prints JSON with --json', async () => {
    const first = await submit('a', '1-2');
    await submit('b', '1-2');
    await submit('c', '1-2');
    fake.acceptTask(first, 0);
    const run = await runTessera(['jobs', '--state', 'queued', '--limit', '1', '--json'], { env });

    expect(run.code).toBe(0);
    const jobs = JSON.parse(run.stdout) as { id: string; state: string }[];
    expect(jobs.map((j) => [j.id, j.state])).toEqual([['job-3', 'QUEUED']]);
  });

  it('refuses an unknown state or limit before asking the coordinator', async () => {
    expect(await runTessera(['jobs', '--state', 'running,done'], { env })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: --state: "DONE" is not a job state (QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED)\n',
    });
    expect((await runTessera(['jobs', '--limit', '0'], { env })).stderr).toBe(
      'error: --limit: "0" is not a number of jobs from 1 to 1000\n',
    );
    expect(fake.requests).toEqual([]);
  });

  it('says so when there are no jobs', async () => {
    expect((await runTessera(['jobs'], { env })).stdout).toBe('no jobs yet: tessera render scene.blend\n');
  });

  it('cancels a job, and reports JOB_ALREADY_FINISHED the second time', async () => {
    const id = await submit('a', '1-4');
    fake.acceptTask(id, 0);
    expect(await runTessera(['cancel', id], { env })).toEqual({
      code: 0,
      stdout: `job ${id} CANCELLED; 2 of 4 frames were done\n`,
      stderr: '',
    });
    expect(await runTessera(['cancel', id], { env })).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: JOB_ALREADY_FINISHED: job ${id} already finished (CANCELLED)\n`,
    });
  });
});
