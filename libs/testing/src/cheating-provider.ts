import { createHash } from 'node:crypto';
import { Ed25519Keypair, merkleProof, merkleRoot } from '@tessera/crypto';
import type { CoordinatorMessage, Lease, OutputFile, ProofRequestMessage } from '@tessera/protocol';
import { createWorkloadRegistry, taskSpecOfLease } from '@tessera/workloads';
import { TestAgent, testCapabilities } from './test-agent';

/** What a cheat returns for a lease: the files it claims the task produced, and how it commits. */
export interface CheatResult {
  files: { path: string; data: Buffer }[];
  /** Commit to these item hashes (hex) instead of the ones the files really hash to. */
  committedItems?: string[];
  /** Complete without any commitment. */
  noCommitment?: boolean;
}

export type Cheat = (lease: Lease) => Promise<CheatResult>;

const workloads = createWorkloadRegistry();

/**
 * A dishonest provider for adversarial tests: it speaks the real wire protocol and the blob API
 * (auth, claim, uploads under its blob token, completion with a commitment, answers to proof
 * requests), but its outputs come from a `Cheat` instead of running the container. It lives in
 * libs/testing, which no production build imports.
 */
export class CheatingProvider {
  private readonly committed = new Map<string, string[]>();

  private constructor(
    readonly baseUrl: string,
    readonly agent: TestAgent,
    readonly keypair: Ed25519Keypair,
  ) {}

  static async connect(
    baseUrl: string,
    opts: { kinds?: string[]; images?: string[]; name?: string } = {},
  ): Promise<CheatingProvider> {
    const keypair = Ed25519Keypair.generate();
    const agent = await TestAgent.connect(baseUrl, {
      keypair,
      name: opts.name ?? 'cheater',
      capabilities: testCapabilities({
        kinds: opts.kinds ?? ['render'],
        images: opts.images ?? ['tessera/blender:3.4'],
        cpu: { cores: 2, model: 'cheap cpu' },
      }),
    });
    return new CheatingProvider(baseUrl, agent, keypair);
  }

  get address(): string {
    return this.keypair.address;
  }

  get providerId(): string {
    return this.agent.welcome?.providerId as string;
  }

  /** Claims until a lease arrives (each claim waits for work on the coordinator). */
  async nextLease(timeoutMs = 120_000): Promise<Lease> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const reply = await this.agent.request({ type: 'claim' }, 60_000);
      if (reply.type === 'lease') return reply.lease;
      if (reply.type === 'error') throw new Error(`claim refused: ${reply.code}: ${reply.message}`);
    }
    throw new Error(`no lease within ${timeoutMs} ms`);
  }

  /**
   * Delivers the cheat's files for the lease as an honest agent delivers real ones, and answers the
   * spot-check's proof request from what it committed to. Returns the coordinator's replies.
   */
  async deliver(
    lease: Lease,
    cheat: Cheat,
    opts: { proofTimeoutMs?: number } = {},
  ): Promise<{ completed: CoordinatorMessage; proof?: CoordinatorMessage; asked?: ProofRequestMessage }> {
    const result = await cheat(lease);
    const outputs: OutputFile[] = [];
    const bytes = new Map<string, Buffer>();
    for (const file of result.files) {
      const sha256 = createHash('sha256').update(file.data).digest('hex');
      bytes.set(sha256, file.data);
      outputs.push({ path: file.path, sha256, size: file.data.length });
      await this.upload(sha256, file.data);
    }
    const plugin = workloads.get(lease.kind);
    if (!plugin) throw new Error(`no workload ${lease.kind}`);
    let commitment: { root: string; items: number } | undefined;
    if (!result.noCommitment && plugin.commitItems) {
      const real = (
        await plugin.commitItems(taskSpecOfLease(lease), outputs, async (f, max) =>
          (bytes.get(f.sha256) as Buffer).subarray(0, max),
        )
      ).map((i) => i.sha256);
      const items = result.committedItems ?? real;
      this.committed.set(lease.attemptId, items);
      commitment = {
        root: merkleRoot(items.map((h) => Buffer.from(h, 'hex'))).toString('hex'),
        items: items.length,
      };
    }
    // A spot-check's proof request comes with the acknowledgement of the completion (it is pushed
    // as the completion is handled); a check task's own result is never spot-checked.
    const asked = (
      lease.task.params.check
        ? Promise.resolve(undefined)
        : this.agent
            .next(
              (m) => m.type === 'proof.request' && m.attemptId === lease.attemptId,
              opts.proofTimeoutMs ?? 3_000,
            )
            .catch(() => undefined)
    ) as Promise<ProofRequestMessage | undefined>;
    const completed = await this.agent.request({
      type: 'task.completed',
      attemptId: lease.attemptId,
      outputs,
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      ...(commitment ? { commitment } : {}),
    });
    if (completed.type !== 'ok') return { completed };
    const request = await asked;
    if (!request) return { completed };
    return { completed, asked: request, proof: await this.prove(request) };
  }

  private async prove(request: ProofRequestMessage): Promise<CoordinatorMessage> {
    const items = this.committed.get(request.attemptId) ?? [];
    const leaves = items.map((h) => Buffer.from(h, 'hex'));
    return this.agent.request({
      type: 'task.proof',
      attemptId: request.attemptId,
      proofs: request.items
        .filter((i) => i < items.length)
        .map((item) => ({
          item,
          sha256: items[item],
          path: merkleProof(leaves, item).map((b) => b.toString('hex')),
        })),
    });
  }

  private async upload(sha256: string, data: Buffer): Promise<void> {
    const res = await fetch(new URL(`/v1/blobs/${sha256}`, this.baseUrl), {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${this.agent.welcome?.blobToken}`,
        'content-type': 'application/octet-stream',
      },
      body: data,
    });
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`upload of ${sha256} failed: ${res.status} ${await res.text()}`);
  }

  close(): void {
    this.agent.close();
  }
}
