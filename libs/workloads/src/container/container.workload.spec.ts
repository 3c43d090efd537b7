import type { OutputFile } from '@tessera/protocol';
import { ContainerSpecSchema } from '@tessera/protocol';
import { ValidationContext, WorkloadInputError, WorkloadPolicy } from '../workload';
import { ContainerParams, ContainerWorkload } from './container.workload';

const MIB = 1024 * 1024;
const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

const policy: WorkloadPolicy = {
  allowedImages: ['tessera/toolbox:1', 'tessera/blender:4'],
  maxTasksPerJob: 10,
  maxTimeoutSec: 3600,
};
const blobs = new Map([
  [SHA_A, { size: 100 }],
  [SHA_B, { size: 2000 }],
]);
const ctx: ValidationContext = { policy, lookupBlob: (sha256) => Promise.resolve(blobs.get(sha256)) };
const provider = { cpuCores: 8, memoryBytes: 16 * 1024 * MIB, gpus: [], images: [], slots: 1 };

describe('ContainerWorkload', () => {
  const sut = new ContainerWorkload();

  async function refusal(input: Record<string, unknown>): Promise<WorkloadInputError> {
    const error = await sut
      .validate({ image: 'tessera/toolbox:1', command: ['true'], ...input }, ctx)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkloadInputError);
    return error as WorkloadInputError;
  }

  function validated(input: Record<string, unknown>): Promise<ContainerParams> {
    return sut.validate({ image: 'tessera/toolbox:1', command: ['true'], ...input }, ctx);
  }

  describe('validate', () => {
    it('fills in defaults for a minimal job', async () => {
      expect(await validated({})).toEqual({
        image: 'tessera/toolbox:1',
        command: ['true'],
        env: {},
        inputs: [],
        tasks: 1,
        cpus: 1,
        memoryMb: 512,
        gpus: 0,
        minVramMb: 0,
        timeoutSec: 600,
        outputLimitMb: 256,
      });
    });

    it('adds each input blob’s stored size', async () => {
      const params = await validated({ inputs: [{ sha256: SHA_B, path: 'data/in.bin' }] });
      expect(params.inputs).toEqual([{ sha256: SHA_B, path: 'data/in.bin', size: 2000 }]);
    });

    it('refuses an image off the allow-list and lists the allowed ones', async () => {
      const error = await refusal({ image: 'evil/miner:latest' });
      expect(error.code).toBe('IMAGE_NOT_ALLOWED');
      expect(error.field).toBe('image');
      expect(error.message).toBe(
        "image evil/miner:latest is not on this coordinator's allow-list (allowed: tessera/toolbox:1, tessera/blender:4)",
      );
    });

    it('refuses an empty command', async () => {
      const error = await refusal({ command: [] });
      expect(error.code).toBe('INVALID_PARAMETER');
      expect(error.field).toBe('command');
      expect(error.message).toContain('at least one argument');
    });

    it('refuses more tasks than the per-job limit, naming the limit', async () => {
      const error = await refusal({ tasks: 11 });
      expect(error).toMatchObject({ code: 'TOO_MANY_TASKS', field: 'tasks' });
      expect(error.message).toBe('11 tasks exceeds the limit of 10 per job');
    });

    it('refuses a timeout over the limit, naming the limit', async () => {
      const error = await refusal({ timeoutSec: 3601 });
      expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', field: 'timeoutSec' });
      expect(error.message).toBe('timeoutSec 3601 exceeds the limit of 3600 s');
    });

    it('refuses reserved TESSERA_* environment variables', async () => {
      const error = await refusal({ env: { TESSERA_TASK_INDEX: '7' } });
      expect(error).toMatchObject({ code: 'INVALID_PARAMETER', field: 'env' });
      expect(error.message).toContain('TESSERA_* variables are reserved');
    });

    it('refuses an environment name that is not a shell identifier, naming it', async () => {
      const error = await refusal({ env: { 'BAD-NAME': 'x' } });
      expect(error.code).toBe('INVALID_PARAMETER');
      // zod 4 reports a bad record key as "Invalid key in record" (the regex's own text is nested).
      expect(error.message).toMatch(/^env\.BAD-NAME: /);
    });

    it('refuses an input path with a parent segment', async () => {
      const error = await refusal({ inputs: [{ sha256: SHA_A, path: '../etc/passwd' }] });
      expect(error).toMatchObject({ code: 'INVALID_PARAMETER', field: 'inputs.0.path' });
      expect(error.message).toContain('without ".."');
    });

    it('refuses an absolute input path', async () => {
      const error = await refusal({ inputs: [{ sha256: SHA_A, path: '/etc/passwd' }] });
      expect(error).toMatchObject({ code: 'INVALID_PARAMETER', field: 'inputs.0.path' });
    });

    it('refuses two inputs at the same path, naming the second', async () => {
      const error = await refusal({
        inputs: [
          { sha256: SHA_A, path: 'data' },
          { sha256: SHA_B, path: 'data' },
        ],
      });
      expect(error).toMatchObject({ code: 'INVALID_PARAMETER', field: 'inputs.1.path' });
      expect(error.message).toBe('input path data is used twice');
    });

    it('refuses an input blob the account cannot read, naming the input', async () => {
      const error = await refusal({
        inputs: [
          { sha256: SHA_A, path: 'ok' },
          { sha256: 'c'.repeat(64), path: 'missing.bin' },
        ],
      });
      expect(error).toMatchObject({ code: 'INPUT_NOT_FOUND', field: 'inputs.1.sha256' });
      expect(error.message).toContain('missing.bin');
    });

    it('refuses a digest that is not lowercase hex', async () => {
      const error = await refusal({ inputs: [{ sha256: 'A'.repeat(64), path: 'x' }] });
      expect(error).toMatchObject({ code: 'INVALID_PARAMETER', field: 'inputs.0.sha256' });
    });

    it('refuses an unknown field, naming it', async () => {
      const error = await refusal({ privileged: true });
      expect(error.code).toBe('INVALID_PARAMETER');
      expect(error.message).toContain('privileged');
    });

    it.each([
      ['zero tasks', { tasks: 0 }, 'tasks'],
      ['fractional tasks', { tasks: 1.5 }, 'tasks'],
      ['negative cpus', { cpus: -1 }, 'cpus'],
      ['too little memory', { memoryMb: 8 }, 'memoryMb'],
      ['too many gpus', { gpus: 17 }, 'gpus'],
      ['a zero timeout', { timeoutSec: 0 }, 'timeoutSec'],
    ])('refuses %s, naming the field', async (_what, input, field) => {
      const error = await refusal(input);
      expect(error).toMatchObject({ code: 'INVALID_PARAMETER', field });
      expect(error.message.startsWith(`${field}: `)).toBe(true);
    });
  });

  describe('split', () => {
    it('splits a job of N runs into N tasks indexed 0..N-1 with the job’s requirements', async () => {
      const params = await validated({
        tasks: 3,
        cpus: 2,
        memoryMb: 1024,
        gpus: 1,
        minVramMb: 8192,
        timeoutSec: 120,
        inputs: [{ sha256: SHA_A, path: 'in.txt' }],
      });
      const tasks = sut.split(params, { policy, onlineProviders: 1 });
      expect(tasks.map((t) => t.index)).toEqual([0, 1, 2]);
      for (const task of tasks) {
        expect(task.image).toBe('tessera/toolbox:1');
        expect(task.requirements).toEqual({
          cpus: 2,
          memoryBytes: 1024 * MIB,
          gpus: 1,
          vramBytes: 8192 * MIB,
        });
        expect(task.timeoutSec).toBe(120);
        expect(task.inputs).toEqual([{ sha256: SHA_A, path: 'in.txt', size: 100 }]);
      }
    });
  });

  describe('containerSpec', () => {
    it('tells each task its index and the task count, and keeps the customer’s env', async () => {
      const params = await validated({ tasks: 3, env: { MODE: 'fast' }, command: ['sh', '-c', 'run'] });
      const specs = sut
        .split(params, { policy, onlineProviders: 1 })
        .map((t) => sut.containerSpec(t, provider));
      expect(specs.map((s) => s.env.TESSERA_TASK_INDEX)).toEqual(['0', '1', '2']);
      for (const spec of specs) {
        expect(spec.env).toMatchObject({
          MODE: 'fast',
          TESSERA_TASK_COUNT: '3',
          TESSERA_INPUT_DIR: '/in',
          TESSERA_OUTPUT_DIR: '/out',
        });
        expect(spec.command).toEqual(['sh', '-c', 'run']);
      }
    });

    it('builds a spec the wire protocol accepts, with the job’s limits', async () => {
      const params = await validated({ memoryMb: 2048, timeoutSec: 300, outputLimitMb: 10 });
      const [task] = sut.split(params, { policy, onlineProviders: 1 });
      const spec = sut.containerSpec(task, provider);
      expect(ContainerSpecSchema.safeParse(spec).success).toBe(true);
      expect(spec.limits).toMatchObject({ memoryBytes: 2048 * MIB, timeoutSec: 300, outputBytes: 10 * MIB });
    });
  });

  describe('merge', () => {
    const out = (path: string, sha256 = SHA_A): OutputFile => ({ path, sha256, size: 1 });

    it('keeps output paths as they are for a single-task job', async () => {
      const params = await validated({});
      expect(sut.merge(params, [{ index: 0, outputs: [out('result.txt')] }])).toEqual([out('result.txt')]);
    });

    it('prefixes each output with task-<index>/ in task order when there are several tasks', async () => {
      const params = await validated({ tasks: 3 });
      const merged = sut.merge(params, [
        { index: 2, outputs: [out('r.txt', SHA_B)] },
        { index: 0, outputs: [out('r.txt'), out('sub/log.txt')] },
        { index: 1, outputs: [] },
      ]);
      expect(merged).toEqual([out('task-0/r.txt'), out('task-0/sub/log.txt'), out('task-2/r.txt', SHA_B)]);
    });
  });
});
