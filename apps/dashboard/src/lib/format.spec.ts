import { describe, expect, it } from 'vitest';
import {
  estimateRenderCost,
  formatAgo,
  formatBytes,
  formatDuration,
  formatEta,
  formatPercent,
  formatTokens,
  jobTitle,
  parseFrames,
  parseResolution,
  shortAddress,
} from './format';

describe('format', () => {
  it('bytes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(24 * 2 ** 30)).toBe('24 GiB');
    expect(formatBytes(123.4 * 2 ** 20)).toBe('123 MiB');
    expect(formatBytes(-1)).toBe('—');
  });

  it('durations from milliseconds to hours', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1_250)).toBe('1.3 s');
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(184_000)).toBe('3 min 4 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(7_500_000)).toBe('2 h 5 min');
    expect(formatDuration(null)).toBe('—');
  });

  it('ETAs only once there is a pace', () => {
    expect(formatEta(null)).toBe('');
    expect(formatEta(0)).toBe('almost done');
    expect(formatEta(95)).toBe('about 1 min 35 s left');
  });

  it('token amounts exactly as the API sends them, without trailing zeros', () => {
    expect(formatTokens('12.500000', 'TSR')).toBe('12.5 TSR');
    expect(formatTokens('100', 'TSR')).toBe('100 TSR');
    expect(formatTokens('0.000000')).toBe('0');
    expect(formatTokens(8 * 0.0768 * 32 * 0.001, 'TSR')).toBe('0.0197 TSR');
    expect(formatTokens(0.00001, 'TSR')).toBe('0.000010 TSR');
    expect(formatTokens(null)).toBe('—');
  });

  it('percentages, clamped', () => {
    expect(formatPercent(0.4567)).toBe('46 %');
    expect(formatPercent(1.2)).toBe('100 %');
  });

  it('how long ago', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    expect(formatAgo('2026-03-01T11:59:58Z', now)).toBe('just now');
    expect(formatAgo('2026-03-01T11:59:15Z', now)).toBe('45 s ago');
    expect(formatAgo('2026-03-01T11:57:00Z', now)).toBe('3 min ago');
    expect(formatAgo('2026-03-01T09:00:00Z', now)).toBe('3 h ago');
    expect(formatAgo('2026-02-25T12:00:00Z', now)).toBe('4 d ago');
    expect(formatAgo(null, now)).toBe('—');
  });

  it('addresses shortened at both ends', () => {
    expect(shortAddress('3Fq9abcdefghijklmnopqrstuvwxyzx7Zk')).toBe('3Fq9…x7Zk');
    expect(shortAddress('short')).toBe('short');
  });

  it("a job's title: its name, or kind and short id", () => {
    expect(jobTitle({ id: '6d1c0b1e-aaaa', name: 'Spring', kind: 'render' })).toBe('Spring');
    expect(jobTitle({ id: '6d1c0b1e-aaaa', name: null, kind: 'render' })).toBe('render 6d1c0b1e');
  });
});

describe('parseFrames', () => {
  it('reads the API frame syntax', () => {
    expect(parseFrames('1-4')).toEqual([1, 2, 3, 4]);
    expect(parseFrames('1-9x4')).toEqual([1, 5, 9]);
    expect(parseFrames('1, 5, 10-12, 5')).toEqual([1, 5, 10, 11, 12]);
    expect(parseFrames('7')).toEqual([7]);
  });

  it('refuses what the API would refuse', () => {
    for (const bad of ['', '4-1', '1-5x0', 'a-b', '1,,2', '1-', '1..5']) expect(parseFrames(bad)).toBeNull();
  });

  it('refuses absurd ranges instead of expanding them', () => {
    expect(parseFrames('1-100000000')).toBeNull();
  });
});

describe('render estimate', () => {
  it('frames × megapixels × samples × price, as the coordinator prices it', () => {
    expect(parseResolution('320x240')).toEqual({ width: 320, height: 240 });
    expect(parseResolution(' 1920 × 1080 ')).toEqual({ width: 1920, height: 1080 });
    expect(parseResolution('1920')).toBeNull();
    // The coordinator's own example: 8 frames × 0.0768 MP × 32 samples × 0.001 TSR = 0.0197 TSR.
    expect(estimateRenderCost({ frames: 8, width: 320, height: 240, samples: 32 }, 0.001)).toBeCloseTo(
      0.0196608,
      10,
    );
  });
});
