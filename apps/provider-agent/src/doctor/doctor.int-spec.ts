import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { Ed25519Keypair } from '@tessera/crypto';
import { formatDoctorReport, runDoctor } from './doctor';

// Medium test: the doctor on this machine, with the real Docker engine and no GPU.
describe('runDoctor (real machine)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-doctor-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds Docker and a working sandbox, warns about the missing GPU and passes overall', async () => {
    const keypairPath = join(dir, 'keypair.json');
    await writeFile(keypairPath, JSON.stringify([...Ed25519Keypair.generate().secretKey]), { mode: 0o600 });
    const docker = new Docker();

    const report = await runDoctor({ docker, keypairPath, workDir: join(dir, 'work'), diskWarnBytes: 0 });
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));

    expect(byName['Docker reachable'].status).toBe('ok');
    expect(byName['Docker version']).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/API 1\.\d+/),
    });
    expect(byName['sandbox container']).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/ran as uid 10001/),
    });
    expect(byName['GPU']).toMatchObject({
      status: 'warn',
      detail: 'no NVIDIA GPU found: this agent will take CPU work only',
    });
    expect(byName['free disk'].status).toBe('ok');
    expect(byName['keypair'].status).toBe('ok');
    expect(report.ok).toBe(true);
    expect(formatDoctorReport(report)).toMatch(/^✔ Docker reachable/);
    // The sandbox test leaves no container behind.
    expect(await docker.listContainers({ all: true, filters: { label: ['tessera.doctor=true'] } })).toEqual(
      [],
    );
  });

  it('fails the sandbox check with the build command when no sandbox image exists', async () => {
    const report = await runDoctor({
      docker: new Docker(),
      keypairPath: join(dir, 'missing.json'),
      workDir: join(dir, 'work'),
      sandboxImages: ['tessera/not-built:1'],
    });
    const sandbox = report.checks.find((c) => c.name === 'sandbox container');

    expect(sandbox).toMatchObject({
      status: 'fail',
      detail: 'image tessera/not-built:1 is missing',
      fix: expect.stringMatching(/docker\/build-images\.sh/),
    });
    expect(report.checks.find((c) => c.name === 'keypair')?.fix).toMatch(/tessera-agent init/);
  });
});
