import { taskItemsOf } from './provider-task';

describe('taskItemsOf', () => {
  it('names the frames of a render chunk, lowest to highest', () => {
    expect(taskItemsOf('render', 'work', { frames: [4, 3], samples: 8 }, 2)).toEqual({
      itemUnit: 'frames',
      items: 2,
      firstItem: 3,
      lastItem: 4,
    });
  });

  it('counts a stepped chunk by its frames, not its span', () => {
    expect(taskItemsOf('render', 'work', { frames: [1, 3, 5] }, 3)).toMatchObject({
      items: 3,
      firstItem: 1,
      lastItem: 5,
    });
  });

  it('names the rows of an inference shard', () => {
    expect(taskItemsOf('inference', 'work', { firstRow: 64, rows: 64 }, 64)).toEqual({
      itemUnit: 'rows',
      items: 64,
      firstItem: 64,
      lastItem: 127,
    });
  });

  it('counts what a spot-check re-executes without naming the checked items', () => {
    const regions = [{ frame: 3, x: 0, y: 0, width: 8, height: 8 }];
    expect(taskItemsOf('render', 'check', { frames: [3], check: { regions } }, 2)).toEqual({
      itemUnit: 'regions',
      items: 1,
      firstItem: null,
      lastItem: null,
    });
    expect(taskItemsOf('inference', 'check', { firstRow: 0, rows: 4, check: { rows: [1, 3] } }, 4)).toEqual({
      itemUnit: 'rows',
      items: 2,
      firstItem: null,
      lastItem: null,
    });
  });

  it('falls back to a count of tasks for kinds without numbered items and for parameters it does not know', () => {
    expect(taskItemsOf('container', 'work', { command: ['run'], env: { SECRET: 'x' } }, 1)).toEqual({
      itemUnit: 'tasks',
      items: 1,
      firstItem: null,
      lastItem: null,
    });
    expect(taskItemsOf('render', 'work', { frames: 'oops' }, 2)).toMatchObject({
      itemUnit: 'tasks',
      items: 2,
    });
  });
});
