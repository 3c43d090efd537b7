import { buildRenderInput, countFrames, parseResolution } from './render-options';

describe('frame lists', () => {
  it.each([
    ['1-48', 48],
    ['1-48x2', 24],
    ['1,5,10-12', 5],
    ['7', 1],
    ['-5--1', 5],
    [' 1 , 3 ', 2],
  ])('accepts %s (%i frames)', (spec, n) => {
    expect(countFrames(spec)).toBe(n);
  });

  it.each([
    ['', '"" is not a frame list (e.g. 1-48, 1-48x2, 1,5,10-12)'],
    ['1,,2', '"1,,2" is not a frame list (e.g. 1-48, 1-48x2, 1,5,10-12)'],
    ['a-b', '"a-b" is not a frame, a range like 1-48 or a stepped range like 1-48x2'],
    ['1-10x', '"1-10x" is not a frame, a range like 1-48 or a stepped range like 1-48x2'],
    ['10-1', '"10-1": the range ends before it starts'],
    ['1-10x0', '"1-10x0": the step must be at least 1'],
    ['1-200000', 'more than 100000 frames'],
  ])('refuses %j', (spec, message) => {
    expect(() => countFrames(spec)).toThrow(message);
  });
});

describe('resolutions', () => {
  it('reads WIDTHxHEIGHT', () => {
    expect(parseResolution('640x360')).toEqual({ width: 640, height: 360 });
    expect(parseResolution('1920X1080')).toEqual({ width: 1920, height: 1080 });
  });

  it.each([
    ['640', '"640" is not WIDTHxHEIGHT, e.g. 1920x1080'],
    ['640x', '"640x" is not WIDTHxHEIGHT, e.g. 1920x1080'],
    ['-640x360', '"-640x360" is not WIDTHxHEIGHT, e.g. 1920x1080'],
    ['0x360', 'width 0 px is outside 4..16384'],
    ['640x20000', 'height 20000 px is outside 4..16384'],
  ])('refuses %j', (text, message) => {
    expect(() => parseResolution(text)).toThrow(message);
  });
});

describe('buildRenderInput', () => {
  it('fills only what was given (the coordinator applies its defaults), named after the scene', () => {
    expect(buildRenderInput({}, 'scene')).toEqual({ name: 'scene' });
  });

  it('converts every option to the API input', () => {
    expect(
      buildRenderInput(
        {
          name: 'final',
          frames: '1-48x2',
          samples: '64',
          resolution: '640x360',
          format: 'exr',
          seed: '7',
          device: 'gpu',
          maxPrice: '12.5',
          chunkSize: '4',
        },
        'scene',
      ),
    ).toEqual({
      name: 'final',
      frames: '1-48x2',
      samples: 64,
      resolution: '640x360',
      format: 'EXR',
      seed: 7,
      device: 'GPU',
      maxPrice: '12.5',
      chunkSize: 4,
    });
    expect(buildRenderInput({ percentage: '50' }, 's')).toEqual({ name: 's', resolutionPercentage: 50 });
  });

  it('reports every problem at once, one line each', () => {
    expect(() =>
      buildRenderInput(
        {
          samples: '0',
          resolution: '640x360',
          percentage: '150',
          format: 'jpeg',
          seed: '-1',
          device: 'tpu',
          maxPrice: 'ten',
          chunkSize: '2.5',
        },
        'scene',
      ),
    ).toThrow(
      [
        '--samples: samples must be 1..65536, not 0',
        '--resolution and --percentage: give one or the other',
        '--percentage: the percentage must be 1..100, not 150',
        '--format: "jpeg" is not one of png, exr',
        '--seed: the seed must be 0..2147483647, not -1',
        '--device: "tpu" is not one of any, cpu, gpu',
        '--max-price: "ten" is not a token amount such as 12.5',
        '--chunk-size: "2.5" is not a whole number',
      ].join('\n'),
    );
  });
});
