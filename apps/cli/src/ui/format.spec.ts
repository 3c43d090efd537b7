import {
  formatAge,
  formatBytes,
  formatDims,
  formatDuration,
  formatPace,
  formatSignature,
  formatTokens,
  providerLabel,
} from './format';
import { renderTable } from './table';

describe('formatters', () => {
  it('formats sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(2.1 * 1024 ** 3)).toBe('2.1 GiB');
  });

  it('formats durations with two units at most', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59.6)).toBe('1m 00s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(3720)).toBe('1h 02m');
    expect(formatDuration(2 * 86_400 + 3 * 3600)).toBe('2d 03h');
  });

  it('formats ages relative to now', () => {
    const now = new Date('2026-01-02T12:00:00Z');
    expect(formatAge('2026-01-02T11:59:40Z', now)).toBe('just now');
    expect(formatAge('2026-01-02T11:55:00Z', now)).toBe('5m ago');
    expect(formatAge('2026-01-02T09:00:00Z', now)).toBe('3h ago');
    expect(formatAge('2025-12-31T12:00:00Z', now)).toBe('2d ago');
  });

  it('names a provider, or shortens its address', () => {
    expect(providerLabel({ name: 'gpu-box', address: 'abc' })).toBe('gpu-box');
    expect(providerLabel({ name: null, address: '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU' })).toBe(
      '7xKX…gAsU',
    );
  });
});

describe('inference formatters', () => {
  it('writes open dimensions as ?', () => {
    expect(formatDims([-1, 3, 48, -1])).toBe('[?,3,48,?]');
    expect(formatDims([])).toBe('[]');
    expect(formatSignature({ name: 'x', type: 'float32', dims: [-1, 10] })).toBe('x float32 [?,10]');
  });

  it('shows token amounts and paces with a few significant digits', () => {
    expect(formatTokens(0)).toBe('0');
    expect(formatTokens(0.000375)).toBe('0.000375');
    expect(formatTokens(0.0123456)).toBe('0.01235');
    expect(formatTokens(12.5)).toBe('12.5');
    expect(formatTokens(1234.6)).toBe('1235');
    expect(formatPace(2.91666)).toBe('2.92');
    expect(formatPace(1234.4)).toBe('1234');
    expect(formatPace(0)).toBe('0');
  });
});

describe('renderTable', () => {
  it('aligns columns two spaces apart with no trailing spaces', () => {
    expect(
      renderTable(
        [{ header: 'ID' }, { header: 'N', align: 'right' }, { header: 'NOTE' }],
        [
          ['a', '1', ''],
          ['bbb', '100', 'x'],
        ],
      ),
    ).toBe(['ID     N  NOTE', 'a      1', 'bbb  100  x'].join('\n'));
  });
});
