import { formatFrames, frameFileName, frameOfPath, parseFrames } from './frames';

describe('parseFrames', () => {
  it.each([
    ['1-5', [1, 2, 3, 4, 5]],
    ['1-9x4', [1, 5, 9]],
    ['1,5,10-12', [1, 5, 10, 11, 12]],
    ['3, 1, 2, 3', [1, 2, 3]],
    ['7', [7]],
    ['-2-1', [-2, -1, 0, 1]],
  ])('reads %s', (spec, frames) => {
    expect(parseFrames(spec)).toEqual(frames);
  });

  it.each([
    ['', /not a frame list/],
    ['1-', /not a frame/],
    ['5-1', /ends before it starts/],
    ['1-10x0', /step must be at least 1/],
    ['a-b', /not a frame/],
    ['1,,2', /not a frame list/],
    ['1-1000000', /more than 100000 frames/],
  ])('refuses %s', (spec, message) => {
    expect(() => parseFrames(spec)).toThrow(message);
  });
});

describe('formatFrames', () => {
  it('writes runs and stepped runs compactly', () => {
    expect(formatFrames([1, 2, 3, 5, 7, 9, 20])).toBe('1-3,5-9x2,20');
    expect(formatFrames([4])).toBe('4');
    expect(formatFrames([1, 2])).toBe('1-2');
  });

  it('round-trips through parseFrames', () => {
    const frames = [0, 1, 2, 3, 10, 20, 30, 31, 33];
    expect(parseFrames(formatFrames(frames))).toEqual(frames);
  });
});

describe('frame file names', () => {
  it('pads to six digits and reads them back', () => {
    expect(frameFileName(12, 'PNG')).toBe('frame-000012.png');
    expect(frameFileName(3, 'OPEN_EXR')).toBe('frame-000003.exr');
    expect(frameOfPath('frame-000012.png')).toEqual({ frame: 12, thumbnail: false });
    expect(frameOfPath('thumbs/frame-000012.png')).toEqual({ frame: 12, thumbnail: true });
    expect(frameOfPath('other.png')).toBeUndefined();
  });
});
