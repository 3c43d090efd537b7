import { ClaimWaiters } from './claim-waiters';

describe('ClaimWaiters', () => {
  let sut: ClaimWaiters;

  beforeEach(() => {
    jest.useFakeTimers();
    sut = new ClaimWaiters();
  });
  afterEach(() => jest.useRealTimers());

  /** The outcome if the promise has settled by now, else 'pending'. */
  async function outcomeOf(promise: Promise<'woken' | 'timeout'>): Promise<string> {
    return Promise.race([promise, Promise.resolve('pending')]);
  }

  it('wakes a waiter when work of one of its kinds is queued', async () => {
    const wait = sut.wait(['container', 'render'], 20_000);
    sut.wake('render');
    expect(await wait.promise).toBe('woken');
    expect(sut.size).toBe(0);
  });

  it('leaves a waiter waiting when work of another kind is queued', async () => {
    const wait = sut.wait(['container'], 20_000);
    sut.wake('inference');
    expect(await outcomeOf(wait.promise)).toBe('pending');
    expect(sut.size).toBe(1);
    wait.cancel();
  });

  it("wakes every waiter, whatever its kinds, on 'any'", async () => {
    const a = sut.wait(['container'], 20_000);
    const b = sut.wait(['render'], 20_000);
    const c = sut.wait([], 20_000);
    sut.wake('any');
    expect(await Promise.all([a.promise, b.promise, c.promise])).toEqual(['woken', 'woken', 'woken']);
    expect(sut.size).toBe(0);
  });

  it('wakes all waiters of the kind, not just the first (the first may not fit the task)', async () => {
    const waits = [1, 2, 3].map(() => sut.wait(['container'], 20_000));
    const other = sut.wait(['render'], 20_000);
    sut.wake('container');
    expect(await Promise.all(waits.map((w) => w.promise))).toEqual(['woken', 'woken', 'woken']);
    expect(sut.size).toBe(1);
    other.cancel();
  });

  it('times out when no work arrives, and forgets the waiter', async () => {
    const wait = sut.wait(['container'], 20_000);
    jest.advanceTimersByTime(19_999);
    expect(await outcomeOf(wait.promise)).toBe('pending');
    jest.advanceTimersByTime(1);
    expect(await wait.promise).toBe('timeout');
    expect(sut.size).toBe(0);
  });

  it('ends the wait early on cancel, so a later wake does not reach it', async () => {
    const wait = sut.wait(['container'], 20_000);
    wait.cancel();
    expect(await wait.promise).toBe('timeout');
    expect(sut.size).toBe(0);
    sut.wake('container');
    expect(await wait.promise).toBe('timeout');
  });

  it('settles once: a timeout after a wake changes nothing', async () => {
    const wait = sut.wait(['container'], 1000);
    sut.wake('container');
    jest.advanceTimersByTime(5000);
    wait.cancel();
    expect(await wait.promise).toBe('woken');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('clears its timer when woken or cancelled (no timers left behind)', () => {
    sut.wait(['container'], 20_000);
    const cancelled = sut.wait(['container'], 20_000);
    cancelled.cancel();
    sut.wake('container');
    expect(jest.getTimerCount()).toBe(0);
  });
});
