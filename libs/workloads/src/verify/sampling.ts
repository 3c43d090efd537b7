import { createHash, createHmac } from 'node:crypto';
import type { Region } from './image-compare';

/**
 * Which items of a finished task a spot-check re-executes, and how often a provider is checked.
 *
 * Threat model. The provider chooses its outputs and its Merkle root; it must not be able to predict
 * or steer which items are checked, or it would do only those honestly. So the sample comes from
 * `sampleSeed(secret, attemptId, root)`: an HMAC under a secret only the coordinator holds, over the
 * attempt and the root the provider already committed to. Before committing the provider cannot
 * compute the seed (no secret); after committing it cannot change the root (the commitment is
 * stored before the seed is drawn), and re-submitting a different root is a different attempt it
 * does not get. Grinding roots offline is useless without the secret. The secret must be random and
 * kept like the token secret; rotating it changes future samples only. A coordinator operator could
 * of course choose samples, but the operator is the party the check protects.
 */
export function sampleSeed(secret: Buffer | string, attemptId: string, root: string): Buffer {
  return createHmac('sha256', secret).update(`tessera-sample-v1\n${attemptId}\n${root}`).digest();
}

/** An unbounded, deterministic stream of uniform integers from a seed (SHA-256 in counter mode). */
export class SeededStream {
  private counter = 0;
  private pool = Buffer.alloc(0);

  constructor(private readonly seed: Buffer) {}

  private uint32(): number {
    if (this.pool.length < 4) {
      const block = Buffer.alloc(8);
      block.writeBigUInt64BE(BigInt(this.counter++));
      this.pool = createHash('sha256').update(this.seed).update(block).digest();
    }
    const value = this.pool.readUInt32BE(0);
    this.pool = this.pool.subarray(4);
    return value;
  }

  /** Uniform in [0, n), without modulo bias (rejection sampling). */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`below(${n})`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.uint32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform in [0, 1). */
  fraction(): number {
    return this.uint32() / 2 ** 32;
  }
}

/** `count` distinct item indices in [0, items), in increasing order (all of them when count ≥ items). */
export function sampleItems(seed: Buffer, items: number, count: number): number[] {
  if (items <= 0 || count <= 0) return [];
  if (count >= items) return Array.from({ length: items }, (_, i) => i);
  const stream = new SeededStream(seed);
  const chosen = new Set<number>();
  // Floyd's algorithm: exactly `count` draws, each index equally likely.
  for (let j = items - count; j < items; j++) {
    const t = stream.below(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

/**
 * A random crop of a `width`×`height` frame covering about `fraction` of its area (same aspect),
 * at least `minSide` pixels a side (or the whole frame when it is smaller): what a verifier
 * re-renders with a border render (dither 0 makes it equal the same box of the full frame).
 */
export function sampleRegion(
  seed: Buffer,
  width: number,
  height: number,
  fraction = 1 / 16,
  minSide = 32,
): Region {
  const scale = Math.sqrt(Math.min(1, Math.max(0, fraction)));
  const w = Math.min(width, Math.max(Math.min(minSide, width), Math.round(width * scale)));
  const h = Math.min(height, Math.max(Math.min(minSide, height), Math.round(height * scale)));
  const stream = new SeededStream(createHash('sha256').update(seed).update('region').digest());
  return { x: stream.below(width - w + 1), y: stream.below(height - h + 1), width: w, height: h };
}

/** A provider's spot-check history, as the adaptive rate and reputation read it. */
export interface CheckRecord {
  /** Checks passed since the last failure (or ever). */
  cleanStreak: number;
  passed: number;
  failed: number;
}

export interface SamplingPolicy {
  /** Every task is checked until this many checks have passed in a row. */
  probationChecks: number;
  /** After probation the rate halves every this many further clean checks… */
  halfLifeChecks: number;
  /** …down to this floor; never below. */
  floorRate: number;
  /** Failed checks after which the provider is banned. */
  banAfterFailures: number;
}

/**
 * Defaults: a new provider is checked on every task until 25 checks in a row have passed (BOINC's
 * adaptive replication starts the same way), then the rate halves every 40 further clean checks, to
 * a 10 % floor; a failure resets the streak (back to probation). With these, a provider cheating on
 * 10 % of its tasks is caught within its first 50 tasks with 99.1 % probability
 * (`detectionWithin`), and at the floor a 10 % cheater is still caught within 459 tasks with 99 %
 * (`tasksToCatch`). Three failed checks ban.
 */
export const DEFAULT_SAMPLING_POLICY: SamplingPolicy = {
  probationChecks: 25,
  halfLifeChecks: 40,
  floorRate: 0.1,
  banAfterFailures: 3,
};

/** Probability that this provider's next task is spot-checked. */
export function checkRate(record: CheckRecord, policy: SamplingPolicy = DEFAULT_SAMPLING_POLICY): number {
  if (record.cleanStreak < policy.probationChecks) return 1;
  const beyond = record.cleanStreak - policy.probationChecks;
  return Math.max(policy.floorRate, 0.5 ** (beyond / policy.halfLifeChecks));
}

/** Whether to check a task: a fresh uniform draw (from the sample stream) against the rate. */
export function shouldCheck(
  seed: Buffer,
  record: CheckRecord,
  policy: SamplingPolicy = DEFAULT_SAMPLING_POLICY,
): boolean {
  return (
    new SeededStream(createHash('sha256').update(seed).update('check').digest()).fraction() <
    checkRate(record, policy)
  );
}

/**
 * Reputation in [0, 1]: the mean of a Beta(1, 1) prior updated with passes, where a failure weighs
 * ten passes (a cheater must not buy back trust cheaply). 0.5 for a newcomer.
 */
export function reputation(record: CheckRecord): number {
  return (record.passed + 1) / (record.passed + 10 * record.failed + 2);
}

export function isBanned(record: CheckRecord, policy: SamplingPolicy = DEFAULT_SAMPLING_POLICY): boolean {
  return record.failed >= policy.banAfterFailures;
}

/** The record after one check. */
export function recordCheck(record: CheckRecord, passed: boolean): CheckRecord {
  return passed
    ? { cleanStreak: record.cleanStreak + 1, passed: record.passed + 1, failed: record.failed }
    : { cleanStreak: 0, passed: record.passed, failed: record.failed + 1 };
}

/**
 * Tasks a provider cheating on `cheatFraction` of its tasks survives with probability below
 * `1 − confidence` when each task is checked with probability `rate` (and a check of a cheated
 * task catches it): the smallest n with 1 − (1 − rate·cheatFraction)^n ≥ confidence.
 */
export function tasksToCatch(cheatFraction: number, rate: number, confidence = 0.99): number {
  const p = rate * cheatFraction;
  if (p <= 0) return Infinity;
  if (p >= 1) return 1;
  return Math.ceil(Math.log(1 - confidence) / Math.log(1 - p));
}

/**
 * Probability that a new provider cheating on each task independently with probability
 * `cheatFraction` is caught within its first `tasks` tasks under `policy` (every honest task it
 * passes lengthens its clean streak and so lowers its rate, as it would in production).
 */
export function detectionWithin(
  cheatFraction: number,
  tasks: number,
  policy: SamplingPolicy = DEFAULT_SAMPLING_POLICY,
): number {
  // Uncaught after task i with clean streak s: a task is checked with rate(s); an honest checked
  // task raises the streak; a cheated checked task is caught; an unchecked task changes nothing.
  let states = new Map<number, number>([[0, 1]]);
  for (let i = 0; i < tasks; i++) {
    const next = new Map<number, number>();
    const add = (s: number, p: number) => next.set(s, (next.get(s) ?? 0) + p);
    for (const [streak, p] of states) {
      const r = checkRate({ cleanStreak: streak, passed: streak, failed: 0 }, policy);
      add(streak + 1, p * r * (1 - cheatFraction));
      add(streak, p * (1 - r));
    }
    states = next;
  }
  let survive = 0;
  for (const p of states.values()) survive += p;
  return 1 - survive;
}
