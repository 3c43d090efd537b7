import { createHash } from 'node:crypto';
import { merkleLeafHash, merkleNodeHash, merkleProof, merkleRoot, verifyMerkleProof } from './merkle';

const sha = (text: string) => createHash('sha256').update(text).digest();
const items = (n: number) => Array.from({ length: n }, (_, i) => sha(`item ${i}`));

/** RFC 6962 §2.1 MTH, written the way the RFC states it, as the reference. */
function referenceRoot(list: Buffer[]): Buffer {
  if (list.length === 0) return createHash('sha256').digest();
  if (list.length === 1) return merkleLeafHash(list[0]);
  let k = 1;
  while (k * 2 < list.length) k *= 2;
  return merkleNodeHash(referenceRoot(list.slice(0, k)), referenceRoot(list.slice(k)));
}

describe('merkleRoot', () => {
  it('matches the RFC 6962 test vectors of Certificate Transparency', () => {
    // The leaves and roots of certificate-transparency's reference tests (merkle_tree_test).
    const leaves = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ].map((hex) => Buffer.from(hex, 'hex'));
    const roots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    expect(roots.map((_, i) => merkleRoot(leaves.slice(0, i + 1)).toString('hex'))).toEqual(roots);
  });

  it('gives the empty list the root SHA-256 of nothing', () => {
    expect(merkleRoot([]).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('binds the order and the count of the items', () => {
    const list = items(5);
    const root = merkleRoot(list);
    expect(merkleRoot([list[1], list[0], ...list.slice(2)])).not.toEqual(root);
    expect(merkleRoot(list.slice(0, 4))).not.toEqual(root);
    // No duplication: a list whose last item is repeated is a different list with a different root.
    expect(merkleRoot([...list, list[4]])).not.toEqual(root);
  });
});

describe('merkleProof and verifyMerkleProof', () => {
  it('prove every item of every list of 1 to 33 items, in at most ⌈log₂ n⌉ hashes', () => {
    for (let n = 1; n <= 33; n++) {
      const list = items(n);
      const root = merkleRoot(list);
      expect(root).toEqual(referenceRoot(list));
      for (let i = 0; i < n; i++) {
        const proof = merkleProof(list, i);
        expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
        expect({ n, i, ok: verifyMerkleProof(root, list[i], i, n, proof) }).toEqual({ n, i, ok: true });
        // The same path proves nothing for another index or another item, nor for the last item
        // once the list is said to be longer.
        if (n > 1) expect(verifyMerkleProof(root, list[i], (i + 1) % n, n, proof)).toBe(false);
        expect(verifyMerkleProof(root, sha('forged'), i, n, proof)).toBe(false);
        if (i === n - 1) expect(verifyMerkleProof(root, list[i], i, n + 1, proof)).toBe(false);
      }
    }
  });

  it('refuses a proof against the wrong index, count or root', () => {
    const list = items(11);
    const root = merkleRoot(list);
    const proof = merkleProof(list, 10);
    expect(verifyMerkleProof(root, list[10], 10, 11, proof)).toBe(true);
    expect(verifyMerkleProof(root, list[10], 9, 11, proof)).toBe(false);
    expect(verifyMerkleProof(root, list[10], 10, 10, proof)).toBe(false);
    expect(verifyMerkleProof(root, list[10], 10, 12, proof)).toBe(false);
    expect(verifyMerkleProof(root, list[10], 10, 16, proof)).toBe(false);
    expect(verifyMerkleProof(merkleRoot(items(12)), list[10], 10, 11, proof)).toBe(false);
  });

  it('leaves the count to the commitment: a path alone may fit trees of several sizes', () => {
    // Item 6 of 10 and of 11 sit under the same left subtree of 8 with one right sibling above it,
    // so the path has the same shape in both. The root over 11 items differs from the root over
    // 10, which is why a commitment is the pair (root, count) and proofs are checked against both.
    const list = items(11);
    const proof = merkleProof(list, 6);
    expect(verifyMerkleProof(merkleRoot(list), list[6], 6, 10, proof)).toBe(true);
    expect(merkleRoot(list.slice(0, 10))).not.toEqual(merkleRoot(list));
  });

  it('refuses a proof whose siblings are swapped, dropped, added or altered', () => {
    const list = items(16);
    const root = merkleRoot(list);
    const proof = merkleProof(list, 5);
    expect(proof).toHaveLength(4);
    expect(verifyMerkleProof(root, list[5], 5, 16, [proof[1], proof[0], ...proof.slice(2)])).toBe(false);
    expect(verifyMerkleProof(root, list[5], 5, 16, proof.slice(0, 3))).toBe(false);
    expect(verifyMerkleProof(root, list[5], 5, 16, [...proof, proof[3]])).toBe(false);
    const altered = proof.map((p) => Buffer.from(p));
    altered[2][0] ^= 1;
    expect(verifyMerkleProof(root, list[5], 5, 16, altered)).toBe(false);
  });

  it('refuses an inner node passed off as an item (second preimage)', () => {
    const list = items(4);
    const root = merkleRoot(list);
    const left = merkleNodeHash(merkleLeafHash(list[0]), merkleLeafHash(list[1]));
    const right = merkleNodeHash(merkleLeafHash(list[2]), merkleLeafHash(list[3]));
    expect(merkleNodeHash(left, right)).toEqual(root);
    // Without the 0x00/0x01 prefixes, a two-item list [left, right] would have this same root.
    expect(merkleRoot([left, right])).not.toEqual(root);
    expect(verifyMerkleProof(root, left, 0, 2, [right])).toBe(false);
    // Nor does a leaf made of the inner node's preimage (its two children) verify one level up.
    const preimage = Buffer.concat([merkleLeafHash(list[0]), merkleLeafHash(list[1])]);
    expect(verifyMerkleProof(root, preimage, 0, 2, [right])).toBe(false);
  });

  it('treats malformed input as invalid, never as an error', () => {
    const list = items(3);
    const root = merkleRoot(list);
    const proof = merkleProof(list, 0);
    expect(verifyMerkleProof(root, list[0], -1, 3, proof)).toBe(false);
    expect(verifyMerkleProof(root, list[0], 3, 3, proof)).toBe(false);
    expect(verifyMerkleProof(root, list[0], 0, 0, [])).toBe(false);
    expect(verifyMerkleProof(root, list[0], 0.5, 3, proof)).toBe(false);
    expect(verifyMerkleProof(root.subarray(0, 31), list[0], 0, 3, proof)).toBe(false);
    expect(() => merkleProof(list, 3)).toThrow(RangeError);
    expect(() => merkleProof([], 0)).toThrow(RangeError);
  });

  it('proves the only item of a one-item list with an empty path', () => {
    const [only] = items(1);
    expect(merkleProof([only], 0)).toEqual([]);
    expect(verifyMerkleProof(merkleRoot([only]), only, 0, 1, [])).toBe(true);
  });
});
