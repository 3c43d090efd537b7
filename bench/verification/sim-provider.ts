/**
 * A simulated inference provider for the scheduler simulation: it speaks the real wire protocol
 * (auth, claim, blob upload under its blob token, task.completed with a Merkle commitment over its
 * rows, task.proof with RFC 6962 audit paths, heartbeats) but writes its rows instead of running the
 * container. What it writes for a work task comes from its `Behaviour` (honest, or cheating on some
 * tasks); a spot-check lease (`task.params.check`) is always re-executed honestly.
 *
 * Like a real agent it does not wait for a spot-check to finish before claiming again: proof
 * requests are answered from a listener while the work loop goes on.
 */
import { createHash } from 'node:crypto';
import { Ed25519Keypair, merkleProof, merkleRoot } from '@tessera/crypto';
import type { CoordinatorMessage, Lease, ProofRequestMessage } from '@tessera/protocol';
import { testCapabilities, TestAgent } from '@tessera/testing';
import { canonicalJson } from '@tessera/workloads';

/** A shard's outputs.jsonl as the provider delivers it, with what it commits to. */
export interface Delivery {
  data: Buffer;
  sha256: string;
  /** Item hashes (one per row), the leaves of the commitment. */
  leaves: Buffer[];
  root: string;
}

/** Builds a delivery from output lines (cached by the caller: the same lines hash the same). */
export function delivery(lines: string[]): Delivery {
  const data = Buffer.from(`${lines.join('\n')}\n`);
  const leaves = lines.map((l) =>
    createHash('sha256')
      .update(canonicalJson(JSON.parse(l)))
      .digest(),
  );
  return {
    data,
    sha256: createHash('sha256').update(data).digest('hex'),
    leaves,
    root: merkleRoot(leaves).toString('hex'),
  };
}

/** What a provider returns for a work lease (`firstRow`, `rows` of the batch) and whether it cheated. */
export type Behaviour = (firstRow: number, rows: number) => { delivery: Delivery; cheated: boolean };

/** One work task as the provider did it: its position among the provider's work tasks (1-based). */
export interface WorkRecord {
  attemptId: string;
  index: number;
  cheated: boolean;
}

export class SimProvider {
  /** Work tasks in the order the provider completed them. */
  readonly work: WorkRecord[] = [];
  /** Check leases it re-executed (as a verifier of others' work). */
  checks = 0;
  /** Claims answered `no-work` (the queue ran dry: the simulation waited on batch submissions). */
  idleClaims = 0;
  /** Set from outside to end the work loop after the current task (proofs are still answered). */
  stopped = false;
  private readonly committed = new Map<string, Buffer[]>();
  private heartbeat?: NodeJS.Timeout;
  private blobToken: string;
  private failure?: Error;

  private constructor(
    readonly name: string,
    private readonly baseUrl: string,
    private readonly agent: TestAgent,
    private readonly behaviour: Behaviour,
    private readonly checkLines: (rows: number[]) => Delivery,
  ) {
    this.blobToken = agent.welcome?.blobToken as string;
    agent.socket.on('message', (data) => {
      const m = JSON.parse(String(data)) as CoordinatorMessage;
      if (m.type === 'proof.request')
        void this.prove(m).catch((e: Error) => {
          if (!this.agent.closed) this.failure ??= e;
        });
    });
    // Leases last 30 s and tasks take milliseconds, so heartbeats only keep the provider "online"
    // (who may verify whom depends on it) and its blob token fresh.
    this.heartbeat = setInterval(() => {
      void this.agent
        .request({ type: 'heartbeat', attempts: [] })
        .then((ack) => {
          if (ack.type === 'heartbeat.ack') this.blobToken = ack.blobToken;
        })
        .catch(() => undefined);
    }, agent.welcome?.heartbeatIntervalMs ?? 10_000);
  }

  static async connect(
    baseUrl: string,
    name: string,
    behaviour: Behaviour,
    checkLines: (rows: number[]) => Delivery,
  ): Promise<SimProvider> {
    const agent = await TestAgent.connect(baseUrl, {
      keypair: Ed25519Keypair.generate(),
      name,
      capabilities: testCapabilities({ kinds: ['inference'], images: ['tessera/onnx:1'] }),
    });
    return new SimProvider(name, baseUrl, agent, behaviour, checkLines);
  }

  get providerId(): string {
    return this.agent.welcome?.providerId as string;
  }

  /**
   * Claims and delivers until `more()` says stop (asked before each claim) or `stopped` is set.
   * Throws what went wrong: any reply other than the expected one is a failure of the simulation.
   */
  async run(more: () => boolean): Promise<void> {
    // A closed socket means a ban (three failed checks before the simulation stopped the cheater).
    while (!this.stopped && !this.agent.closed && more()) {
      if (this.failure) throw this.failure;
      let reply: CoordinatorMessage;
      try {
        reply = await this.agent.request({ type: 'claim' }, 60_000);
      } catch (error) {
        if (this.agent.closed) break;
        throw error;
      }
      // The socket keeps every message it received; the simulation needs none of them.
      this.agent.received.length = 0;
      if (reply.type === 'no-work') {
        this.idleClaims++;
        continue;
      }
      if (reply.type !== 'lease') throw new Error(`${this.name}: claim answered ${JSON.stringify(reply)}`);
      try {
        await this.deliver(reply.lease);
      } catch (error) {
        if (this.agent.closed) break;
        throw error;
      }
    }
    if (this.failure) throw this.failure;
  }

  private async deliver(lease: Lease): Promise<void> {
    const params = lease.task.params as { firstRow: number; rows: number; check?: { rows: number[] } };
    let d: Delivery;
    if (params.check) {
      d = this.checkLines(params.check.rows);
      this.checks++;
    } else {
      const done = this.behaviour(params.firstRow, params.rows);
      d = done.delivery;
      this.work.push({ attemptId: lease.attemptId, index: this.work.length + 1, cheated: done.cheated });
      this.committed.set(lease.attemptId, d.leaves);
    }
    await this.upload(d);
    const now = new Date().toISOString();
    const reply = await this.agent.request({
      type: 'task.completed',
      attemptId: lease.attemptId,
      outputs: [{ path: 'outputs.jsonl', sha256: d.sha256, size: d.data.length }],
      startedAt: now,
      finishedAt: now,
      commitment: { root: d.root, items: d.leaves.length },
    });
    if (reply.type !== 'ok')
      throw new Error(`${this.name}: task.completed answered ${JSON.stringify(reply)}`);
  }

  /** Answers a proof request from the commitment's leaves (audit paths over the committed rows). */
  private async prove(request: ProofRequestMessage): Promise<void> {
    const leaves = this.committed.get(request.attemptId);
    if (!leaves) throw new Error(`${this.name}: proof request for unknown attempt ${request.attemptId}`);
    const reply = await this.agent.request({
      type: 'task.proof',
      attemptId: request.attemptId,
      proofs: request.items.map((item) => ({
        item,
        sha256: leaves[item].toString('hex'),
        path: merkleProof(leaves, item).map((b) => b.toString('hex')),
      })),
    });
    if (reply.type !== 'ok') throw new Error(`${this.name}: task.proof answered ${JSON.stringify(reply)}`);
  }

  private async upload(d: Delivery): Promise<void> {
    const res = await fetch(new URL(`/v1/blobs/${d.sha256}`, this.baseUrl), {
      method: 'PUT',
      headers: { authorization: `Bearer ${this.blobToken}`, 'content-type': 'application/octet-stream' },
      body: d.data,
    });
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`${this.name}: upload of ${d.sha256} failed: ${res.status} ${await res.text()}`);
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.agent.close();
  }
}
