import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { merkleProof, merkleRoot } from '@tessera/crypto';
import type { ItemProof } from '@tessera/protocol';

/** How long committed item hashes are kept: spot-checks ask within minutes, retries within hours. */
export const COMMITMENT_RETENTION_MS = 7 * 24 * 3600 * 1000;

const ATTEMPT_ID = /^[0-9a-f-]{36}$/;

/**
 * The item hashes behind each commitment this agent sent, on disk, so it can prove sampled items
 * with their audit paths (docs/protocol.md, "Spot-checks") whenever the coordinator asks: after a
 * reconnect, and after the agent itself restarted. A commitment is written before `task.completed`
 * is sent, atomically (a crash leaves the old file or the new one, never half of one), and kept for
 * COMMITMENT_RETENTION_MS.
 */
export class CommitmentJournal {
  private readonly dir: string;

  constructor(workDir: string) {
    this.dir = join(workDir, 'commitments');
  }

  /** Records the item hashes (hex) of an attempt; returns the Merkle root over them (hex). */
  async record(attemptId: string, itemHashes: string[]): Promise<string> {
    const root = merkleRoot(itemHashes.map((h) => Buffer.from(h, 'hex'))).toString('hex');
    await mkdir(this.dir, { recursive: true });
    const path = this.path(attemptId);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ root, items: itemHashes }));
    await rename(temporary, path);
    return root;
  }

  /**
   * Proofs of `items` (positions in the committed order), or undefined when this agent has no
   * record of the attempt or an item is outside it.
   */
  async prove(attemptId: string, items: number[]): Promise<ItemProof[] | undefined> {
    let record: { root: string; items: string[] };
    try {
      record = JSON.parse(await readFile(this.path(attemptId), 'utf8')) as typeof record;
    } catch {
      return undefined;
    }
    const leaves = record.items.map((h) => Buffer.from(h, 'hex'));
    if (items.some((i) => !Number.isInteger(i) || i < 0 || i >= leaves.length)) return undefined;
    return items.map((item) => ({
      item,
      sha256: record.items[item],
      path: merkleProof(leaves, item).map((node) => node.toString('hex')),
    }));
  }

  /** Removes records older than `maxAgeMs` (and temporary files a crash left behind). */
  async prune(maxAgeMs = COMMITMENT_RETENTION_MS, now = Date.now()): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info || now - info.mtimeMs <= maxAgeMs) continue;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }

  private path(attemptId: string): string {
    if (!ATTEMPT_ID.test(attemptId)) throw new Error(`not an attempt id: ${attemptId}`);
    return join(this.dir, `${attemptId}.json`);
  }
}
