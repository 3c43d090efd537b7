import { MAX_PROCESSING_AGE, SLOTS_PER_EPOCH } from '../constants';

export type Commitment = 'processed' | 'confirmed' | 'finalized';

export interface SlotInfo {
  slot: number;
  parent: number;
  root: number;
}

interface Block {
  slot: number;
  blockhash: string;
  /** Unix seconds when the slot began. */
  time: number;
}

export interface SlotClockSnapshot {
  blocks: Block[];
}

/**
 * The cluster's notion of time and commitment. Each slot is one block (no skipped slots, so block
 * height equals slot). A transaction executes in the newest slot (`processed`); it is `confirmed`
 * once a later slot exists and `finalized` once the root reaches it, `finalityDepth` slots later.
 * Tests can hold confirmation or finality where they are to watch a transaction wait.
 */
export class SlotClock {
  /** The recent blocks, oldest first; kept while their blockhash may still be used. */
  private readonly blocks: Block[] = [];
  private readonly slotOfBlockhash = new Map<string, number>();
  private confirmedHold: number | null = null;
  private rootHold: number | null = null;

  constructor(
    private readonly finalityDepth: number,
    snapshot?: SlotClockSnapshot,
  ) {
    for (const block of snapshot?.blocks ?? []) this.push(block);
  }

  get processed(): number {
    return this.blocks[this.blocks.length - 1]?.slot ?? 0;
  }

  get confirmed(): number {
    const live = Math.max(0, this.processed - 1);
    return this.confirmedHold === null ? live : Math.min(this.confirmedHold, live);
  }

  get finalized(): number {
    const live = Math.max(0, this.processed - this.finalityDepth);
    return Math.min(this.rootHold ?? live, live, this.confirmed);
  }

  slotAt(commitment: Commitment): number {
    if (commitment === 'processed') return this.processed;
    return commitment === 'confirmed' ? this.confirmed : this.finalized;
  }

  /** The commitment a transaction processed in `slot` has reached. */
  commitmentOf(slot: number): Commitment {
    if (slot <= this.finalized) return 'finalized';
    return slot <= this.confirmed ? 'confirmed' : 'processed';
  }

  epochOf(slot: number): { epoch: number; slotIndex: number } {
    return { epoch: Math.floor(slot / SLOTS_PER_EPOCH), slotIndex: slot % SLOTS_PER_EPOCH };
  }

  /** Starts a new slot whose block carries `blockhash`. */
  advance(blockhash: string, time: number): SlotInfo {
    const parent = this.processed;
    const slot = this.blocks.length === 0 ? 0 : parent + 1;
    this.push({ slot, blockhash, time });
    // Keep one extra processing age of blocks so a held root can still name its blockhash.
    while (this.blocks.length > 2 * MAX_PROCESSING_AGE + 2 && this.blocks[0].slot < this.finalized) {
      const dropped = this.blocks.shift()!;
      this.slotOfBlockhash.delete(dropped.blockhash);
    }
    return { slot, parent, root: this.finalized };
  }

  /** The block at `slot`, while it is recent. */
  block(slot: number): Block | undefined {
    const first = this.blocks[0];
    return first ? this.blocks[slot - first.slot] : undefined;
  }

  /** The blocks before the current one, newest first: what the SlotHashes sysvar lists. */
  ancestors(limit: number): Array<{ slot: number; blockhash: string }> {
    return this.blocks
      .slice(Math.max(0, this.blocks.length - 1 - limit), -1)
      .reverse()
      .map(({ slot, blockhash }) => ({ slot, blockhash }));
  }

  /** A blockhash is valid while the newest block is at most 150 blocks above its own. */
  isBlockhashValid(blockhash: string): boolean {
    const slot = this.slotOfBlockhash.get(blockhash);
    return slot !== undefined && this.processed <= slot + MAX_PROCESSING_AGE;
  }

  latestBlockhash(commitment: Commitment): { blockhash: string; lastValidBlockHeight: number; slot: number } {
    const slot = this.slotAt(commitment);
    const block = this.block(slot)!;
    return { blockhash: block.blockhash, lastValidBlockHeight: slot + MAX_PROCESSING_AGE, slot };
  }

  holdConfirmation(): void {
    this.confirmedHold ??= this.confirmed;
  }

  releaseConfirmation(): void {
    this.confirmedHold = null;
  }

  holdFinality(): void {
    this.rootHold ??= this.finalized;
  }

  releaseFinality(): void {
    this.rootHold = null;
  }

  toSnapshot(): SlotClockSnapshot {
    return { blocks: [...this.blocks] };
  }

  private push(block: Block): void {
    this.blocks.push(block);
    this.slotOfBlockhash.set(block.blockhash, block.slot);
  }
}
