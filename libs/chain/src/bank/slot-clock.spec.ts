import { MAX_PROCESSING_AGE } from '../constants';
import { SlotClock } from './slot-clock';

/** A clock with `slots` blocks (0 … slots-1), blockhash `hash-N` for slot N. */
function clockWith(slots: number, finalityDepth = 2): SlotClock {
  const sut = new SlotClock(finalityDepth);
  for (let slot = 0; slot < slots; slot++) sut.advance(`hash-${slot}`, 1_700_000_000 + slot);
  return sut;
}

describe('SlotClock', () => {
  it('confirms a slot once the next one exists and finalizes it finalityDepth slots later', () => {
    const sut = clockWith(11, 3);
    expect([sut.processed, sut.confirmed, sut.finalized]).toEqual([10, 9, 7]);
    expect(sut.commitmentOf(10)).toBe('processed');
    expect(sut.commitmentOf(9)).toBe('confirmed');
    expect(sut.commitmentOf(8)).toBe('confirmed');
    expect(sut.commitmentOf(7)).toBe('finalized');
  });

  it('holds the root while finality is paused and catches up when it resumes', () => {
    const sut = clockWith(10);
    sut.holdFinality();
    for (let slot = 10; slot < 20; slot++) sut.advance(`hash-${slot}`, 0);
    expect(sut.finalized).toBe(7);
    expect(sut.confirmed).toBe(18);
    expect(sut.commitmentOf(12)).toBe('confirmed');
    sut.releaseFinality();
    expect(sut.finalized).toBe(17);
  });

  it('holds confirmation, and with it finality, while confirmation is paused', () => {
    const sut = clockWith(10);
    sut.holdConfirmation();
    for (let slot = 10; slot < 15; slot++) sut.advance(`hash-${slot}`, 0);
    expect([sut.processed, sut.confirmed, sut.finalized]).toEqual([14, 8, 8]);
    expect(sut.commitmentOf(12)).toBe('processed');
    sut.releaseConfirmation();
    expect([sut.confirmed, sut.finalized]).toEqual([13, 12]);
  });

  it('accepts a blockhash for 150 blocks after its own, as a cluster does', () => {
    const sut = clockWith(1);
    for (let slot = 1; slot <= MAX_PROCESSING_AGE; slot++) sut.advance(`hash-${slot}`, 0);
    expect(sut.isBlockhashValid('hash-0')).toBe(true);
    sut.advance('hash-next', 0);
    expect(sut.isBlockhashValid('hash-0')).toBe(false);
    expect(sut.isBlockhashValid('hash-1')).toBe(true);
    expect(sut.isBlockhashValid('never-issued')).toBe(false);
  });

  it('names the latest blockhash at each commitment with its last valid block height', () => {
    const sut = clockWith(10);
    expect(sut.latestBlockhash('processed')).toEqual({
      blockhash: 'hash-9',
      lastValidBlockHeight: 159,
      slot: 9,
    });
    expect(sut.latestBlockhash('finalized')).toEqual({
      blockhash: 'hash-7',
      lastValidBlockHeight: 157,
      slot: 7,
    });
  });

  it('keeps only the recent blocks once they are finalized', () => {
    const sut = clockWith(1000);
    expect(sut.block(0)).toBeUndefined();
    expect(sut.block(999)?.blockhash).toBe('hash-999');
    expect(sut.block(700)?.blockhash).toBe('hash-700');
  });

  it('lists the ancestors of the current slot, newest first, for SlotHashes', () => {
    const sut = clockWith(10);
    expect(sut.ancestors(3)).toEqual([
      { slot: 8, blockhash: 'hash-8' },
      { slot: 7, blockhash: 'hash-7' },
      { slot: 6, blockhash: 'hash-6' },
    ]);
    expect(sut.ancestors(512)).toHaveLength(9);
  });

  it('continues from a snapshot', () => {
    const sut = new SlotClock(2, clockWith(20).toSnapshot());
    expect(sut.processed).toBe(19);
    expect(sut.advance('hash-20', 0)).toEqual({ slot: 20, parent: 19, root: 18 });
    expect(sut.isBlockhashValid('hash-5')).toBe(true);
  });
});
