import { describe, expect, it } from 'vitest';
import type { ProviderTaskView } from '../api/operations';
import { countOf, describeTask, heldFor, ranFor } from './provider-tasks';

function task(extra: Partial<ProviderTaskView>): ProviderTaskView {
  return {
    id: 'a1',
    taskId: 't1',
    kind: 'render',
    role: 'work',
    state: 'RUNNING',
    itemUnit: 'frames',
    items: 2,
    firstItem: 3,
    lastItem: 4,
    leasedAt: '2026-03-01T12:00:00Z',
    startedAt: '2026-03-01T12:00:05Z',
    finishedAt: null,
    failureCode: null,
    ...extra,
  };
}

describe('describeTask', () => {
  it('names a render chunk by its frames', () => {
    expect(describeTask(task({}))).toBe('frames 3–4');
    expect(describeTask(task({ items: 1, firstItem: 7, lastItem: 7 }))).toBe('frame 7');
  });

  it('names an inference shard by its rows', () => {
    expect(
      describeTask(task({ kind: 'inference', itemUnit: 'rows', items: 64, firstItem: 0, lastItem: 63 })),
    ).toBe('rows 0–63');
  });

  it('counts a stepped chunk instead of claiming every frame in its span', () => {
    expect(describeTask(task({ items: 3, firstItem: 1, lastItem: 5 }))).toBe('3 frames in 1–5');
  });

  it('says a spot-check is one, with how much it re-executes', () => {
    expect(
      describeTask(task({ role: 'check', itemUnit: 'regions', items: 2, firstItem: null, lastItem: null })),
    ).toBe('spot-check of 2 regions');
    expect(
      describeTask(
        task({
          role: 'check',
          kind: 'inference',
          itemUnit: 'rows',
          items: 1,
          firstItem: null,
          lastItem: null,
        }),
      ),
    ).toBe('spot-check of 1 row');
  });

  it('falls back to the kind for work without numbered items', () => {
    expect(
      describeTask(task({ kind: 'container', itemUnit: 'tasks', items: 1, firstItem: null, lastItem: null })),
    ).toBe('container task');
  });
});

describe('task timings', () => {
  it('counts a held task from its container start, or its lease before that', () => {
    const now = Date.parse('2026-03-01T12:01:05Z');
    expect(heldFor(task({}), now)).toBe(60_000);
    expect(heldFor(task({ startedAt: null }), now)).toBe(65_000);
  });

  it('measures a finished attempt, and nothing for one without an end', () => {
    expect(ranFor(task({ finishedAt: '2026-03-01T12:00:35Z' }))).toBe(30_000);
    expect(ranFor(task({}))).toBeNull();
  });

  it('counts in the singular for one', () => {
    expect(countOf(1, 'rows')).toBe('1 row');
    expect(countOf(0, 'frames')).toBe('0 frames');
  });
});
