import { formatJobProgressLine, formatJobProgressPlain, formatTransferLine, renderBar } from './progress-bar';

describe('renderBar', () => {
  it('fills cells in proportion, clamped to 0..1', () => {
    expect(renderBar(0, 10)).toBe('[░░░░░░░░░░]');
    expect(renderBar(0.42, 10)).toBe('[████░░░░░░]');
    expect(renderBar(1, 10)).toBe('[██████████]');
    expect(renderBar(1.7, 4)).toBe('[████]');
    expect(renderBar(Number.NaN, 4)).toBe('[░░░░]');
  });
});

describe('formatTransferLine', () => {
  const MiB = 1024 * 1024;

  it('shows bytes, percent, rate and ETA', () => {
    const line = formatTransferLine(
      { label: 'uploading scene.blend', done: 84 * MiB, total: 200 * MiB, elapsedMs: 4000 },
      100,
    );
    expect(line).toBe(
      'uploading scene.blend [███████████░░░░░░░░░░░░░░░░░]  42%  84.0 MiB / 200.0 MiB  21.0 MiB/s  ETA 6s',
    );
    expect(line.length).toBe(99); // never wraps: one column is left for the cursor
  });

  it('narrows the bar to fit the terminal, down to 10 cells', () => {
    const line = formatTransferLine(
      { label: 'uploading scene.blend', done: 0, total: MiB, elapsedMs: 0 },
      60,
    );
    expect(line).toBe('uploading scene.blend [░░░░░░░░░░]   0%  0 B / 1.0 MiB  0 B/s');
  });

  it('omits the ETA when done, and the bar when the size is unknown', () => {
    expect(formatTransferLine({ label: 'x', done: MiB, total: MiB, elapsedMs: 1000 }, 80)).toBe(
      'x [██████████████████████████████] 100%  1.0 MiB / 1.0 MiB  1.0 MiB/s',
    );
    expect(
      formatTransferLine({ label: 'downloading archive', done: 3 * MiB, total: 0, elapsedMs: 2000 }, 80),
    ).toBe('downloading archive  3.0 MiB  1.5 MiB/s');
  });
});

describe('job progress', () => {
  const p = {
    state: 'RUNNING',
    itemsDone: 20,
    itemsTotal: 48,
    itemUnit: 'frames',
    fraction: 20 / 48,
    etaSeconds: 72,
  };

  it('draws a live line with state, bar, counts and ETA', () => {
    expect(formatJobProgressLine(p, 80)).toBe(
      'RUNNING   [████████████░░░░░░░░░░░░░░░░░░]  41%  20/48 frames  ETA 1m 12s',
    );
  });

  it('writes a plain line for logs, without an ETA when none is known or the job is over', () => {
    expect(formatJobProgressPlain(p)).toBe('RUNNING 20/48 frames (41%), ETA 1m 12s');
    expect(formatJobProgressPlain({ ...p, etaSeconds: null })).toBe('RUNNING 20/48 frames (41%)');
    expect(formatJobProgressPlain({ ...p, state: 'COMPLETED', itemsDone: 48, fraction: 1 })).toBe(
      'COMPLETED 48/48 frames (100%)',
    );
  });
});
