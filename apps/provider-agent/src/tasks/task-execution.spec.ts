import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { merkleRoot, sha256Hex, verifyMerkleProof } from '@tessera/crypto';
import type { ContainerSpec, Lease } from '@tessera/protocol';
import { checkOutputs, ContainerRuntime } from '@tessera/sandbox';
import { canonicalJson, createWorkloadRegistry } from '@tessera/workloads';
import type { BlobCache } from '../blobs/blob-cache';
import type { BlobClient } from '../blobs/blob-client';
import type { CoordinatorConnection } from '../connection/coordinator-connection';
import { CommitmentJournal } from './commitment-journal';
import { ExecutionDeps, TaskExecution } from './task-execution';

const container: ContainerSpec = {
  image: 'tessera/onnx:1',
  command: ['true'],
  env: {},
  inputs: [],
  limits: {
    cpus: 1,
    memoryBytes: 2 ** 30,
    pids: 64,
    timeoutSec: 60,
    tmpBytes: 2 ** 20,
    outputBytes: 2 ** 20,
    outputFiles: 4,
  },
  gpus: 0,
};

function lease(kind: string, params: Record<string, unknown>, image = 'tessera/onnx:1'): Lease {
  return {
    attemptId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    taskId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
    jobId: '9b2d3c4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
    kind,
    leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
    task: { index: 0, params },
    container: { ...container, image },
  };
}

describe('TaskExecution', () => {
  let workDir: string;
  let sent: Record<string, unknown>[];

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'tessera-exec-'));
    sent = [];
  });
  afterEach(() => rmSync(workDir, { recursive: true, force: true }));

  /** Runs one lease whose container writes `files` to /out; returns the outcome it reported. */
  async function run(l: Lease, files: Record<string, string>): Promise<Record<string, unknown>> {
    const runtime: ContainerRuntime = {
      ensureImage: async () => undefined,
      run: async (request) => {
        for (const [path, text] of Object.entries(files))
          await writeFile(join(request.outputDir, path), text);
        return { exitCode: 0, outcome: 'exited', startedAt: new Date(), finishedAt: new Date() };
      },
      checkOutputs,
    };
    const mocks = {
      connection: {
        isReady: true,
        whenReady: async () => undefined,
        request: async (message: Record<string, unknown>) => {
          sent.push(message);
          return { type: 'ok' };
        },
        send: () => undefined,
      },
      blobs: { upload: async () => undefined, download: async () => undefined },
      cache: { acquire: async () => undefined },
    };
    const deps: ExecutionDeps = {
      workloads: createWorkloadRegistry(),
      runtime,
      blobs: mocks.blobs as unknown as BlobClient,
      cache: mocks.cache as unknown as BlobCache,
      connection: mocks.connection as unknown as CoordinatorConnection,
      workDir,
      journal: new CommitmentJournal(workDir),
      allowedImages: ['tessera/*'],
      pullImages: false,
      gpuAvailable: false,
      stopGraceMs: 1000,
      logger: pino({ level: 'silent' }),
    };
    const sut = new TaskExecution(l, deps);
    await sut.done;
    return sent.find((m) => m.type === 'task.completed' || m.type === 'task.failed') as Record<
      string,
      unknown
    >;
  }

  it('commits to the rows of an inference shard with the Merkle root over their canonical hashes', async () => {
    const lines = ['{"row":4,"outputs":{"text":"A","p":1.0}}', '{"row":5,"error":"not a PNG"}'];
    const outcome = await run(lease('inference', { firstRow: 4, rows: 2, batchSize: 2 }), {
      'outputs.jsonl': `${lines.join('\n')}\n`,
    });
    const itemHashes = lines.map((line) => Buffer.from(sha256Hex(canonicalJson(JSON.parse(line))), 'hex'));
    expect(outcome).toMatchObject({
      type: 'task.completed',
      commitment: { root: merkleRoot(itemHashes).toString('hex'), items: 2 },
    });
  });

  it('journals the committed item hashes so that any sampled item can be proven against the root', async () => {
    const lines = [
      '{"row":0,"outputs":{"text":"A"}}',
      '{"row":1,"outputs":{"text":"B"}}',
      '{"row":2,"error":"x"}',
    ];
    const outcome = await run(lease('inference', { firstRow: 0, rows: 3, batchSize: 1 }), {
      'outputs.jsonl': `${lines.join('\n')}\n`,
    });
    const root = Buffer.from((outcome.commitment as { root: string }).root, 'hex');
    const proofs = await new CommitmentJournal(workDir).prove(String(outcome.attemptId), [2, 0]);
    expect(proofs?.map((p) => p.item)).toEqual([2, 0]);
    for (const p of proofs ?? []) {
      expect(p.sha256).toBe(sha256Hex(canonicalJson(JSON.parse(lines[p.item]))));
      const path = p.path.map((h) => Buffer.from(h, 'hex'));
      expect(verifyMerkleProof(root, Buffer.from(p.sha256, 'hex'), p.item, 3, path)).toBe(true);
      // The same path does not prove another item's hash.
      const other = Buffer.from(sha256Hex('something else'), 'hex');
      expect(verifyMerkleProof(root, other, p.item, 3, path)).toBe(false);
    }
    expect(await new CommitmentJournal(workDir).prove(String(outcome.attemptId), [3])).toBeUndefined();
  });

  it('sends no commitment for a kind without items', async () => {
    const outcome = await run(
      lease('container', { command: ['true'], env: {}, taskCount: 1, outputLimitMb: 1 }, 'tessera/toolbox:1'),
      { 'upper.txt': 'HELLO' },
    );
    expect(outcome.type).toBe('task.completed');
    expect(outcome).not.toHaveProperty('commitment');
  });

  it('fails the task with OUTPUT_INVALID, committing to nothing, when its outputs fail the deep check', async () => {
    const outcome = await run(lease('inference', { firstRow: 0, rows: 2, batchSize: 2 }), {
      'outputs.jsonl': '{"row":0,"outputs":{}}\n',
    });
    expect(outcome).toMatchObject({ type: 'task.failed', code: 'OUTPUT_INVALID' });
  });
});
