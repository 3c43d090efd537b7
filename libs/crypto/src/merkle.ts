import { createHash } from 'node:crypto';

/**
 * Merkle trees over a list of items as Certificate Transparency builds them (RFC 6962 §2.1, the
 * same construction as RFC 9162 §2.1.1), with SHA-256:
 *
 * - a leaf is `SHA-256(0x00 ‖ item)`, an inner node `SHA-256(0x01 ‖ left ‖ right)`: the prefixes
 *   keep a leaf from ever being passed off as an inner node (second preimages);
 * - a list of n > 1 items splits at k, the largest power of two below n: the root is the node over
 *   the root of the first k items and the root of the other n − k. Nothing is ever duplicated, so
 *   every list has exactly one tree and a root binds the item count as well as the items;
 * - the root of the empty list is `SHA-256("")` (e3b0c442…b855), as RFC 6962 defines it.
 *
 * The items are Tessera's item hashes (32-byte SHA-256 digests, see docs/protocol.md
 * "Commitments"), but any byte strings work, which is what the RFC's test vectors use.
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export function merkleLeafHash(item: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(item).digest();
}

export function merkleNodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The root over `items` in their order; `SHA-256("")` for none. */
export function merkleRoot(items: readonly Uint8Array[]): Buffer {
  if (items.length === 0) return createHash('sha256').digest();
  // Bottom-up over the leaves: pairing neighbours level by level and carrying an odd last node up
  // unchanged builds exactly the tree of the recursive split above, in O(n) hashes.
  let level = items.map(merkleLeafHash);
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(merkleNodeHash(level[i], level[i + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

/**
 * The audit path of item `index` (RFC 6962 §2.1.1 PATH): sibling hashes from the leaf up to the
 * root, at most ⌈log₂ n⌉ of them. Throws when `index` is outside the list.
 */
export function merkleProof(items: readonly Uint8Array[], index: number): Buffer[] {
  if (!Number.isInteger(index) || index < 0 || index >= items.length) {
    throw new RangeError(`item ${index} is outside a list of ${items.length}`);
  }
  const path: Buffer[] = [];
  let level = items.map(merkleLeafHash);
  let i = index;
  while (level.length > 1) {
    const sibling = i ^ 1;
    // An odd last node has no sibling at this level: it moves up as it is, adding nothing.
    if (sibling < level.length) path.push(level[sibling]);
    const next: Buffer[] = [];
    for (let j = 0; j + 1 < level.length; j += 2) next.push(merkleNodeHash(level[j], level[j + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
    i >>= 1;
  }
  return path;
}

/**
 * Whether `item` is item `index` of a list of `count` items whose root is `root`, by its audit path
 * (RFC 9162 §2.1.3.2). False, never a throw, for anything malformed: an index outside the list, a
 * path of the wrong length, a root that is not 32 bytes. Pass the count that was committed with the
 * root, never one the prover states: a path alone can fit trees of several sizes (item 6 of 10 and
 * of 11 have paths of the same shape), the root and the count together fix the list.
 */
export function verifyMerkleProof(
  root: Uint8Array,
  item: Uint8Array,
  index: number,
  count: number,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 0 || index >= count)
    return false;
  if (root.length !== 32) return false;
  let fn = index;
  let sn = count - 1;
  let r: Buffer = merkleLeafHash(item);
  for (const p of proof) {
    if (sn === 0) return false; // the path is longer than the tree is deep
    if (fn % 2 === 1 || fn === sn) {
      r = merkleNodeHash(p, r);
      // A right-edge node that had no sibling at some levels moved up unchanged: skip those levels.
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = merkleNodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(root).equals(r);
}
