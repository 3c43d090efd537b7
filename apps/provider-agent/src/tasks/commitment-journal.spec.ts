import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { merkleRoot, sha256Hex, verifyMerkleProof } from '@tessera/crypto';
import { CommitmentJournal } from './commitment-journal';

const ATTEMPT = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const items = Array.from({ length: 11 }, (_, i) => sha256Hex(`item ${i}`));

describe('CommitmentJournal', () => {
  let dir: string;
  let sut: CommitmentJournal;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-journal-'));
    sut = new CommitmentJournal(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the RFC 6962 root of what it recorded and proves every item against it', async () => {
    const root = await sut.record(ATTEMPT, items);
    expect(root).toBe(merkleRoot(items.map((h) => Buffer.from(h, 'hex'))).toString('hex'));
    const proofs = await new CommitmentJournal(dir).prove(ATTEMPT, [0, 6, 10]);
    for (const p of proofs ?? []) {
      const path = p.path.map((h) => Buffer.from(h, 'hex'));
      expect(
        verifyMerkleProof(Buffer.from(root, 'hex'), Buffer.from(p.sha256, 'hex'), p.item, 11, path),
      ).toBe(true);
    }
    expect(proofs?.map((p) => p.item)).toEqual([0, 6, 10]);
  });

  it('has no proof for an attempt it never recorded or an item outside it', async () => {
    await sut.record(ATTEMPT, items);
    expect(await sut.prove('3f2504e0-4f89-41d3-9a0c-0305e82c3301', [0])).toBeUndefined();
    expect(await sut.prove(ATTEMPT, [11])).toBeUndefined();
    expect(await sut.prove(ATTEMPT, [-1])).toBeUndefined();
  });

  it('refuses a path-like attempt id rather than touching another file', async () => {
    await expect(sut.record('../../etc/passwd', items)).rejects.toThrow(/not an attempt id/);
  });

  it('prunes records older than the retention, keeping recent ones', async () => {
    await sut.record(ATTEMPT, items);
    const old = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    await sut.record(old, items);
    const weekAgo = (Date.now() - 8 * 24 * 3600 * 1000) / 1000;
    utimesSync(join(dir, 'commitments', `${old}.json`), weekAgo, weekAgo);
    expect(await sut.prune()).toBe(1);
    expect(await readdir(join(dir, 'commitments'))).toEqual([`${ATTEMPT}.json`]);
  });
});
