import { AccountHistory } from './account-history';
import { AccountState } from './svm';

const state = (lamports: number): AccountState => ({
  lamports: BigInt(lamports),
  data: Buffer.alloc(0),
  owner: '11111111111111111111111111111111',
  executable: false,
  rentEpoch: 0n,
});

describe('AccountHistory', () => {
  it('answers the state at the end of a slot from the first later write', () => {
    const sut = new AccountHistory();
    // Slot 5 wrote A twice (100 → 200 → 300); slot 7 wrote it again (300 → 400). Live: 400.
    sut.remember(5, 'A', state(100));
    sut.remember(5, 'A', state(200));
    sut.remember(7, 'A', state(300));
    expect(sut.at('A', 4, state(400))?.lamports).toBe(100n);
    expect(sut.at('A', 5, state(400))?.lamports).toBe(300n);
    expect(sut.at('A', 6, state(400))?.lamports).toBe(300n);
    expect(sut.at('A', 7, state(400))?.lamports).toBe(400n);
  });

  it('knows an account that did not exist yet', () => {
    const sut = new AccountHistory();
    sut.remember(3, 'B', null);
    expect(sut.at('B', 2, state(1))).toBeNull();
    expect(sut.writtenAfter(2)).toEqual(new Set(['B']));
    expect(sut.writtenAfter(3)).toEqual(new Set());
  });

  it('forgets slots at or below the root', () => {
    const sut = new AccountHistory();
    sut.remember(3, 'A', state(1));
    sut.remember(4, 'A', state(2));
    sut.prune(3);
    expect(sut.at('A', 2, state(9))?.lamports).toBe(2n);
  });
});
