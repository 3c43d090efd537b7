import type Docker from 'dockerode';
import { formatDoctorReport, runDoctor } from './doctor';

const GIB = 1024 ** 3;

describe('runDoctor', () => {
  it('reports the Docker checks as not checked when Docker is unreachable, and still checks the rest', async () => {
    const docker = {
      version: async () => Promise.reject(Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' })),
    } as unknown as Docker;

    const report = await runDoctor({
      docker,
      keypairPath: '/nowhere/keypair.json',
      workDir: '/var/lib/tessera',
      deps: {
        env: {},
        queryGpus: async () => ({ found: false, gpus: [], skipped: [] }),
        freeDiskBytes: async () => 50 * GIB,
        runner: { run: async () => Promise.reject(new Error('must not run')) },
        keypairFs: {
          readFile: async () => Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' })),
          stat: async () => ({ mode: 0o600 }),
        },
      },
    });

    expect(report.ok).toBe(false);
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['Docker reachable', 'fail'],
      ['Docker version', 'warn'],
      ['sandbox container', 'warn'],
      ['GPU', 'warn'],
      ['free disk', 'ok'],
      ['keypair', 'fail'],
    ]);
    expect(report.checks[1].detail).toBe('not checked: Docker is not reachable');
  });
});

describe('formatDoctorReport', () => {
  it('prints one line per check, the fix under each problem, and a summary', () => {
    const text = formatDoctorReport({
      ok: false,
      checks: [
        { name: 'Docker reachable', status: 'ok', detail: 'the engine answers' },
        { name: 'GPU', status: 'warn', detail: 'no NVIDIA GPU found', fix: 'install the driver' },
        { name: 'keypair', status: 'fail', detail: 'no keypair', fix: 'run `tessera-agent init`' },
      ],
    });

    expect(text).toBe(
      [
        '✔ Docker reachable  the engine answers',
        '! GPU               no NVIDIA GPU found',
        '                    fix: install the driver',
        '✘ keypair           no keypair',
        '                    fix: run `tessera-agent init`',
        '',
        '1 check(s) failed: fix them and run `tessera-agent doctor` again',
      ].join('\n'),
    );
  });

  it('says the agent is ready when nothing failed', () => {
    const text = formatDoctorReport({
      ok: true,
      checks: [{ name: 'GPU', status: 'warn', detail: 'cpu only', fix: 'x' }],
    });
    expect(text.split('\n').at(-1)).toBe('ready, with 1 warning(s)');
  });
});
