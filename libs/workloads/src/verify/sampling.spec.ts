import { randomBytes } from 'node:crypto';
import {
  checkRate,
  DEFAULT_SAMPLING_POLICY,
  detectionWithin,
  isBanned,
  recordCheck,
  reputation,
  sampleItems,
  sampleRegion,
  sampleSeed,
  SeededStream,
  shouldCheck,
  tasksToCatch,
} from './sampling';

const ROOT = 'ab'.repeat(32);

describe('sampleSeed', () => {
  it('depends on the secret, the attempt and the committed root', () => {
    const base = sampleSeed('secret', 'attempt-1', ROOT);
    expect(sampleSeed('secret', 'attempt-1', ROOT)).toEqual(base);
    expect(sampleSeed('other', 'attempt-1', ROOT)).not.toEqual(base);
    expect(sampleSeed('secret', 'attempt-2', ROOT)).not.toEqual(base);
    expect(sampleSeed('secret', 'attempt-1', 'cd'.repeat(32))).not.toEqual(base);
  });
});

describe('SeededStream', () => {
  it('is deterministic per seed and uniform without modulo bias', () => {
    const seed = randomBytes(32);
    const a = new SeededStream(seed);
    const b = new SeededStream(seed);
    const draws = Array.from({ length: 20 }, () => a.below(1000));
    expect(Array.from({ length: 20 }, () => b.below(1000))).toEqual(draws);
    const counts = new Array(6).fill(0);
    const s = new SeededStream(randomBytes(32));
    for (let i = 0; i < 60_000; i++) counts[s.below(6)]++;
    // Each face 10,000 ± 5 σ (σ ≈ 91).
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(460);
    expect(() => s.below(0)).toThrow(RangeError);
  });
});

describe('sampleItems', () => {
  it('draws distinct indices in range, all of them when asked for more than there are', () => {
    const seed = randomBytes(32);
    const picked = sampleItems(seed, 100, 5);
    expect(picked).toHaveLength(5);
    expect(new Set(picked).size).toBe(5);
    expect(picked.every((i) => i >= 0 && i < 100)).toBe(true);
    expect(picked).toEqual([...picked].sort((x, y) => x - y));
    expect(sampleItems(seed, 100, 5)).toEqual(picked);
    expect(sampleItems(seed, 3, 5)).toEqual([0, 1, 2]);
    expect(sampleItems(seed, 0, 5)).toEqual([]);
  });

  it('gives every item the same chance', () => {
    const hits = new Array(10).fill(0);
    for (let i = 0; i < 20_000; i++) for (const j of sampleItems(randomBytes(16), 10, 3)) hits[j]++;
    // Each 6,000 expected (20,000 × 3/10), σ ≈ 65.
    for (const h of hits) expect(Math.abs(h - 6000)).toBeLessThan(400);
  });
});

describe('sampleRegion', () => {
  it('is a box of about the asked fraction, inside the frame', () => {
    for (let i = 0; i < 200; i++) {
      const r = sampleRegion(randomBytes(32), 1920, 1080);
      expect([r.width, r.height]).toEqual([480, 270]);
      expect(r.x).toBeGreaterThanOrEqual(0);
      expect(r.y).toBeGreaterThanOrEqual(0);
      expect(r.x + r.width).toBeLessThanOrEqual(1920);
      expect(r.y + r.height).toBeLessThanOrEqual(1080);
    }
    expect(sampleRegion(randomBytes(32), 20, 10)).toEqual({ x: 0, y: 0, width: 20, height: 10 });
    expect(sampleRegion(randomBytes(32), 160, 120)).toMatchObject({ width: 40, height: 32 });
  });
});

describe('adaptive rate, reputation and bans', () => {
  it('checks every task on probation, then halves the rate per half-life down to the floor', () => {
    const p = DEFAULT_SAMPLING_POLICY;
    expect(checkRate({ cleanStreak: 0, passed: 0, failed: 0 })).toBe(1);
    expect(checkRate({ cleanStreak: p.probationChecks - 1, passed: 24, failed: 0 })).toBe(1);
    expect(
      checkRate({ cleanStreak: p.probationChecks + p.halfLifeChecks, passed: 65, failed: 0 }),
    ).toBeCloseTo(0.5);
    expect(checkRate({ cleanStreak: 10_000, passed: 10_000, failed: 0 })).toBe(p.floorRate);
  });

  it('resets the streak on a failure and bans after three', () => {
    let record = { cleanStreak: 0, passed: 0, failed: 0 };
    for (let i = 0; i < 100; i++) record = recordCheck(record, true);
    expect(checkRate(record)).toBeLessThan(0.3);
    record = recordCheck(record, false);
    expect(record).toEqual({ cleanStreak: 0, passed: 100, failed: 1 });
    expect(checkRate(record)).toBe(1);
    expect(isBanned(record)).toBe(false);
    record = recordCheck(recordCheck(record, false), false);
    expect(isBanned(record)).toBe(true);
  });

  it('scores newcomers 0.5, rewards passes slowly and punishes a failure like ten passes', () => {
    expect(reputation({ cleanStreak: 0, passed: 0, failed: 0 })).toBe(0.5);
    expect(reputation({ cleanStreak: 98, passed: 98, failed: 0 })).toBeCloseTo(0.99);
    expect(reputation({ cleanStreak: 0, passed: 98, failed: 1 })).toBeCloseTo(99 / 110);
  });

  it('decides with a draw from the seed against the rate', () => {
    const newcomer = { cleanStreak: 0, passed: 0, failed: 0 };
    expect(shouldCheck(randomBytes(32), newcomer)).toBe(true);
    const veteran = { cleanStreak: 10_000, passed: 10_000, failed: 0 };
    let checked = 0;
    for (let i = 0; i < 10_000; i++) if (shouldCheck(randomBytes(32), veteran)) checked++;
    expect(Math.abs(checked - 1000)).toBeLessThan(150);
  });

  it('catches a 10 % cheater within its first 50 tasks with > 99 % probability, and at the floor within 459', () => {
    expect(detectionWithin(0.1, 50)).toBeGreaterThan(0.99);
    expect(detectionWithin(0.5, 10)).toBeGreaterThan(0.999);
    expect(detectionWithin(0, 50)).toBeCloseTo(0, 12);
    expect(tasksToCatch(0.1, DEFAULT_SAMPLING_POLICY.floorRate)).toBe(459);
    expect(tasksToCatch(0, 0.1)).toBe(Infinity);
  });

  it('matches a simulation of the policy', () => {
    let caught = 0;
    const runs = 4000;
    for (let run = 0; run < runs; run++) {
      let record = { cleanStreak: 0, passed: 0, failed: 0 };
      for (let task = 0; task < 50; task++) {
        const cheats = Math.random() < 0.1;
        if (!shouldCheck(randomBytes(16), record)) continue;
        if (cheats) {
          caught++;
          break;
        }
        record = recordCheck(record, true);
      }
    }
    expect(Math.abs(caught / runs - detectionWithin(0.1, 50))).toBeLessThan(0.01);
  });
});
