import { describe, expect, it } from 'vitest';
import { EMPTY_RENDER_FORM, formFieldOf, validateRenderForm } from './render-form';

describe('validateRenderForm', () => {
  const blend = 'ab'.repeat(32);

  it('sends only what was filled in, so the scene decides the rest', () => {
    expect(validateRenderForm(EMPTY_RENDER_FORM, blend)).toEqual({
      input: { blend, samples: 32 },
      errors: {},
    });
    expect(
      validateRenderForm(
        {
          name: ' Spring ',
          frames: '1-8',
          resolution: '320 x 240',
          samples: '8',
          maxPrice: '2.5',
          chunkSize: '2',
          device: 'CPU',
        },
        blend,
      ).input,
    ).toEqual({
      blend,
      name: 'Spring',
      frames: '1-8',
      resolution: '320x240',
      samples: 8,
      maxPrice: '2.5',
      chunkSize: 2,
      device: 'CPU',
    });
  });

  it('names every field it can tell is wrong, and the missing upload', () => {
    const { input, errors } = validateRenderForm(
      {
        ...EMPTY_RENDER_FORM,
        frames: '8-1',
        resolution: 'big',
        samples: '0',
        maxPrice: '1.1234567',
        chunkSize: 'x',
      },
      null,
    );
    expect(input).toBeNull();
    expect(Object.keys(errors).sort()).toEqual([
      'blend',
      'chunkSize',
      'frames',
      'maxPrice',
      'resolution',
      'samples',
    ]);
  });
});

describe('formFieldOf', () => {
  it("maps the API's field names to the form's", () => {
    expect(formFieldOf('frames')).toBe('frames');
    expect(formFieldOf('resolutionPercentage')).toBe('resolution');
    expect(formFieldOf('blend')).toBe('blend');
    expect(formFieldOf('engine')).toBeNull();
    expect(formFieldOf(undefined)).toBeNull();
  });
});
