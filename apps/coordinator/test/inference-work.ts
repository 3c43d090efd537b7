import type { Lease } from '@tessera/protocol';
import { AccountsService } from '../src/accounts/accounts.service';
import { ANONYMOUS } from '../src/auth/actor';
import { BillingService } from '../src/billing/billing.service';
import { BlobsService } from '../src/blobs/blobs.service';
import { JobsRepository } from '../src/jobs/jobs.repository';
import type { TestCoordinator } from './coordinator-harness';

/**
 * Inference work for medium tests that drive the real coordinator with CheatingProviders: jobs
 * inserted as submission stores them (with their cap reserved when priced), and the outputs an
 * honest worker or verifier would deliver for a lease.
 */
export class InferenceWork {
  private constructor(
    private readonly env: TestCoordinator,
    readonly accountId: string,
    readonly apiKey: string,
  ) {}

  static async forNewAccount(env: TestCoordinator, name: string): Promise<InferenceWork> {
    const created = await env.get<AccountsService>(AccountsService).createAccount(ANONYMOUS, name);
    return new InferenceWork(env, created.account.id, created.apiKey);
  }

  /** A job of one shard per entry of `rows` (that many rows each), priced at `estimatedCost` tokens when given. */
  async job(opts: { rows: number[]; estimatedCost?: number; name?: string }): Promise<string> {
    const blobs = this.env.get<BlobsService>(BlobsService);
    const total = opts.rows.reduce((n, r) => n + r, 0);
    const input = await blobs.storeForAccount(
      this.accountId,
      Buffer.from(
        Array.from({ length: total }, (_, i) => JSON.stringify({ id: i, inputs: { x: [[i]] } })).join('\n') +
          '\n',
      ),
    );
    const model = await blobs.storeForAccount(this.accountId, Buffer.from(`model ${Math.random()}`));
    const id = crypto.randomUUID();
    if (opts.estimatedCost !== undefined) {
      const billing = this.env.get<BillingService>(BillingService);
      await billing.reserve(id, this.accountId, billing.capOf({ estimatedCost: opts.estimatedCost }));
    }
    let firstRow = 0;
    await this.env.get<JobsRepository>(JobsRepository).create({
      id,
      accountId: this.accountId,
      kind: 'inference',
      name: opts.name ?? 'inference',
      params: opts.estimatedCost !== undefined ? { estimatedCost: opts.estimatedCost, currency: 'TSR' } : {},
      priority: 0,
      maxAttempts: 3,
      tasks: opts.rows.map((rows, index) => {
        const task = {
          index,
          params: {
            firstRow,
            rows,
            batchSize: 1,
            device: 'CPU',
            inputs: [{ name: 'x', type: 'float32', dims: [-1, 1] }],
            outputs: [{ name: 'y', type: 'float32', dims: [-1, 1] }],
            preprocess: null,
            postprocess: null,
          },
          image: 'tessera/onnx:1',
          requirements: { cpus: 1, memoryBytes: 2 ** 28, gpus: 0, vramBytes: 0 },
          timeoutSec: 120,
          inputs: [
            { sha256: model.sha256, size: model.size, path: 'model.onnx' },
            { sha256: input.sha256, size: input.size, path: 'rows.jsonl' },
          ],
          items: rows,
        };
        firstRow += rows;
        return task;
      }),
    });
    return id;
  }
}

/** The honest outputs for an inference lease: its rows (or, for a spot-check, the sampled rows). */
export function honestRows(lease: Lease) {
  const p = lease.task.params as { firstRow: number; rows: number; check?: { rows: number[] } };
  const numbers = p.check ? p.check.rows : Array.from({ length: p.rows }, (_, i) => p.firstRow + i);
  // A verifier numbers its rows from 0; the worker numbers the shard's rows from firstRow.
  const lines = numbers.map((n, j) =>
    JSON.stringify({ row: p.check ? j : n, id: n, outputs: { text: `T${n}`, confidence: 0.9 } }),
  );
  return async () => ({
    files: [{ path: 'outputs.jsonl', data: Buffer.from(lines.join('\n') + '\n') }],
  });
}
