import { describe, expect, it } from 'vitest';
import type { JobDetail, JobWithTasks, TaskView } from '../api/operations';
import {
  applyJobEvent,
  archiveName,
  checkSummary,
  compactNumbers,
  frameCells,
  outputSummary,
  parseOutputRows,
  previewShard,
  taskItemsLabel,
} from './job-view';

function task(
  id: string,
  index: number,
  state: string,
  role = 'work',
  extra: Partial<TaskView> = {},
): TaskView {
  return {
    id,
    index,
    role,
    params: {},
    state,
    attemptCount: 0,
    maxAttempts: 4,
    error: null,
    outputs: null,
    attempts: [],
    verifications: [],
    ...extra,
  };
}

function job(extra: Partial<JobDetail> = {}): JobDetail {
  return {
    id: 'j1',
    name: null,
    kind: 'render',
    state: 'RUNNING',
    createdAt: '2026-03-01T12:00:00Z',
    startedAt: null,
    finishedAt: null,
    progress: {
      tasksDone: 0,
      tasksTotal: 2,
      fraction: 0,
      itemsDone: 0,
      itemsTotal: 4,
      itemUnit: 'frames',
      etaSeconds: null,
    },
    error: null,
    cost: { reserved: '1', charged: '0', refunded: '0', currency: 'TSR' },
    params: { frames: [1, 2, 3, 4] },
    priority: 0,
    archiveUrl: null,
    outputsUrl: null,
    checks: { total: 0, passed: 0, failed: 0, pending: 0, unresolved: 0 },
    frames: [],
    outputs: [],
    ...extra,
  };
}

describe('applyJobEvent', () => {
  const initial: JobWithTasks = { ...job(), tasks: [task('t0', 0, 'QUEUED'), task('t1', 1, 'QUEUED')] };

  it('replaces the job with the snapshot and updates the task that changed in place', () => {
    const next = applyJobEvent(initial, {
      job: job({ state: 'RUNNING', progress: { ...initial.progress, itemsDone: 2 } }),
      task: task('t1', 1, 'RUNNING'),
    });
    expect(next.progress.itemsDone).toBe(2);
    expect(next.tasks.map((t) => [t.id, t.state])).toEqual([
      ['t0', 'QUEUED'],
      ['t1', 'RUNNING'],
    ]);
  });

  it('adds a task it did not know (a spot-check) right after the work it checks', () => {
    const next = applyJobEvent(initial, { job: job(), task: task('c0', 0, 'QUEUED', 'check') });
    expect(next.tasks.map((t) => t.id)).toEqual(['t0', 'c0', 't1']);
  });

  it('keeps the tasks on a job-only event', () => {
    expect(applyJobEvent(initial, { job: job({ state: 'COMPLETED' }), task: null }).tasks).toBe(
      initial.tasks,
    );
  });
});

describe('frameCells', () => {
  it('lists every asked frame in order with the accepted ones filled in', () => {
    const frame = { number: 3, path: 'frame-000003.png', sha256: 'a', size: 1, thumbnail: { sha256: 'b' } };
    expect(frameCells(job({ frames: [frame] }))).toEqual([
      { number: 1, frame: null },
      { number: 2, frame: null },
      { number: 3, frame },
      { number: 4, frame: null },
    ]);
  });

  it('copes with params that carry no frame list', () => {
    const frame = { number: 7, path: 'f', sha256: 'a', size: 1, thumbnail: null };
    expect(frameCells(job({ params: {}, frames: [frame] }))).toEqual([{ number: 7, frame }]);
  });
});

describe('checkSummary', () => {
  const verification = (state: string) => ({
    id: state,
    state,
    reason: null,
    attemptId: 'a',
    providerId: 'p',
    createdAt: '',
    finishedAt: null,
    proofDeadline: null,
    samples: [],
    rounds: [],
  });

  it('says how the spot-checks of a task went', () => {
    expect(checkSummary(task('t', 0, 'ACCEPTED'))).toBe('not checked');
    expect(checkSummary(task('t', 0, 'RUNNING'))).toBe('—');
    expect(
      checkSummary(task('t', 0, 'VERIFYING', 'work', { verifications: [verification('CHECKING')] })),
    ).toBe('checking');
    expect(
      checkSummary(
        task('t', 0, 'ACCEPTED', 'work', { verifications: [verification('FAILED'), verification('PASSED')] }),
      ),
    ).toBe('passed (1 failed before)');
    expect(checkSummary(task('c', 0, 'RUNNING', 'check'))).toBe('re-executes samples');
  });
});

describe('archiveName', () => {
  it('names the zip after the job, safely', () => {
    expect(archiveName({ id: '6d1c0b1e-aaaa', name: 'My scene / v2' })).toBe('My-scene-v2.zip');
    expect(archiveName({ id: '6d1c0b1e-aaaa', name: null })).toBe('job-6d1c0b1e.zip');
  });
});

describe('taskItemsLabel', () => {
  it('names the rows of an inference shard, counted from 0', () => {
    expect(taskItemsLabel({ params: { firstRow: 0, rows: 64, batchSize: 8 } })).toBe('rows 0–63');
    expect(taskItemsLabel({ params: { firstRow: 64, rows: 1 } })).toBe('row 64');
  });

  it('names the sampled rows of a spot-check, not its own numbering', () => {
    expect(taskItemsLabel({ params: { firstRow: 0, rows: 3, check: { rows: [70, 3, 4] } } })).toBe(
      'rows 3–4, 70',
    );
  });

  it('names the frames of a render chunk', () => {
    expect(taskItemsLabel({ params: { frames: [1, 2, 3, 4] } })).toBe('frames 1–4');
    expect(taskItemsLabel({ params: { frames: [1, 3, 5] } })).toBe('frames 1, 3, 5');
    expect(taskItemsLabel({ params: { frames: [7], check: { regions: [] } } })).toBe('frame 7');
  });

  it('has nothing to say for tasks without items', () => {
    expect(taskItemsLabel({ params: { command: ['true'] } })).toBeNull();
    expect(taskItemsLabel({ params: { frames: [] } })).toBeNull();
  });
});

describe('compactNumbers', () => {
  it('joins runs and cuts long lists', () => {
    expect(compactNumbers([9, 1, 2, 3, 7])).toBe('1–3, 7, 9');
    expect(compactNumbers([1, 3, 5, 7, 9, 11, 13, 15], 3)).toBe('1, 3, 5, … (8 in all)');
  });
});

describe('previewShard', () => {
  const out = (sha256: string) => [{ path: 'outputs.jsonl', sha256, size: 10 }];

  it('takes the first accepted work shard by row order', () => {
    const tasks = [
      task('t0', 0, 'VERIFYING'),
      task('c1', 1, 'ACCEPTED', 'check', { outputs: out('c') }),
      task('t2', 2, 'ACCEPTED', 'work', { outputs: out('b') }),
      task('t1', 1, 'ACCEPTED', 'work', { outputs: out('a') }),
    ];
    expect(previewShard({ tasks })).toEqual({ index: 1, sha256: 'a' });
  });

  it('has none before a shard is accepted', () => {
    expect(previewShard({ tasks: [task('t0', 0, 'RUNNING')] })).toBeNull();
  });
});

describe('parseOutputRows', () => {
  it('reads rows with outputs or errors, up to the limit, skipping a cut-off last line', () => {
    const text = [
      JSON.stringify({ row: 0, id: 'a', outputs: { text: 'hi', confidence: 0.9 } }),
      JSON.stringify({ row: 1, error: 'IMAGE_UNREADABLE: not a PNG' }),
      '{"row": 2, "outp',
    ].join('\n');
    expect(parseOutputRows(text, 10)).toEqual([
      { row: 0, id: 'a', outputs: { text: 'hi', confidence: 0.9 }, error: null },
      { row: 1, id: null, outputs: null, error: 'IMAGE_UNREADABLE: not a PNG' },
    ]);
    expect(parseOutputRows(text, 1)).toHaveLength(1);
  });

  it('summarises outputs on one line', () => {
    expect(outputSummary({ text: 'hello', confidence: 0.987654 })).toBe(
      '{"text": "hello", "confidence": 0.9877}',
    );
    expect(outputSummary({ scores: new Array(100).fill(0.5) }, 20)).toHaveLength(20);
    expect(outputSummary(null)).toBe('—');
  });
});
