import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import type { ModelView } from '../api/operations';
import {
  EMPTY_INFERENCE_FORM,
  estimateInferenceCost,
  exampleRow,
  fieldErrorText,
  inferenceFieldOf,
  parsePastedRows,
  rowDims,
  validateInferenceForm,
} from './inference-form';

const MODEL_ID = '7d4b7bb5-0b3c-4f3f-8f7e-0d6a2f1f1c11';
const FILE = 'cd'.repeat(32);

const tabular: ModelView = {
  id: MODEL_ID,
  name: 'iris',
  batchSize: 4,
  msPerRow: 2,
  createdAt: '2026-01-01T00:00:00Z',
  onnxSize: 1024,
  inputs: [{ name: 'features', type: 'float32', dims: [-1, 4] }],
  outputs: [{ name: 'scores', type: 'float32', dims: [-1, 3] }],
  preprocess: null,
  postprocess: null,
};

describe('parsePastedRows', () => {
  it('counts one row per non-blank line, keeping line numbers', () => {
    expect(parsePastedRows('{"inputs": {}}\n\n{"id": 2, "inputs": {}}\r\n')).toEqual({
      rows: 2,
      problems: [],
      more: 0,
    });
  });

  it('names the line of a row that is not JSON, counting the blank lines before it', () => {
    const sut = parsePastedRows('{"image": "a"}\n\n{"image": \n{"image": "b"}');
    expect(sut.rows).toBe(3);
    expect(sut.problems).toEqual([{ line: 3, message: 'not JSON: "{\\"image\\":"' }]);
  });

  it('names rows that are JSON but not objects', () => {
    expect(parsePastedRows('[1, 2]\n42').problems).toEqual([
      { line: 1, message: 'a row must be a JSON object, not a list' },
      { line: 2, message: 'a row must be a JSON object, not 42' },
    ]);
  });

  it('lists five problems and counts the rest', () => {
    const sut = parsePastedRows(Array.from({ length: 8 }, () => 'nope').join('\n'));
    expect(sut.problems.map((p) => p.line)).toEqual([1, 2, 3, 4, 5]);
    expect(sut.more).toBe(3);
  });

  it('stops past the row limit, naming the first line over it', () => {
    const sut = parsePastedRows(['{}', '', '{}', '{}', '{}'].join('\n'), 3);
    expect(sut.problems).toEqual([
      { line: 5, message: 'more than 3 rows pasted; upload a batch this large as a .jsonl file' },
    ]);
  });
});

describe('validateInferenceForm', () => {
  const pasted = {
    ...EMPTY_INFERENCE_FORM,
    model: MODEL_ID,
    rowsText: '{"inputs": {"features": [1, 2, 3, 4]}}',
  };

  it('sends only what was filled in; rows are counted', () => {
    expect(validateInferenceForm(pasted, null)).toEqual({ input: { model: MODEL_ID }, rows: 1, errors: {} });
    expect(
      validateInferenceForm(
        { ...pasted, name: ' night batch ', shardRows: '64', maxPrice: '0.5', device: 'GPU' },
        null,
      ).input,
    ).toEqual({ model: MODEL_ID, name: 'night batch', shardRows: 64, maxPrice: '0.5', device: 'GPU' });
  });

  it('refuses empty input: no model, no rows', () => {
    expect(validateInferenceForm(EMPTY_INFERENCE_FORM, null)).toEqual({
      input: null,
      rows: null,
      errors: {
        model: 'Choose one of your registered models.',
        rows: 'Paste at least one row: one JSON object per line.',
      },
    });
    expect(validateInferenceForm({ ...pasted, rowsText: ' \n\n ' }, null).errors.rows).toMatch(
      /Paste at least one row/,
    );
  });

  it('shows bad JSON next to the rows, by line', () => {
    const sut = validateInferenceForm({ ...pasted, rowsText: `${pasted.rowsText}\n{"inputs": ` }, null);
    expect(sut.input).toBeNull();
    expect(sut.errors.rows).toBe('line 2: not JSON: "{\\"inputs\\":"');
  });

  it('refuses more pasted rows than the limit', () => {
    const sut = validateInferenceForm({ ...pasted, rowsText: '{}\n{}\n{}' }, null, 2);
    expect(sut.errors.rows).toBe(
      'line 3: more than 2 rows pasted; upload a batch this large as a .jsonl file',
    );
  });

  it('needs the upload finished when rows come from a file, and ignores the paste box then', () => {
    const fromFile = { ...pasted, source: 'file' as const, rowsText: 'not json' };
    expect(validateInferenceForm(fromFile, null).errors.rows).toMatch(/Choose a \.jsonl file/);
    expect(validateInferenceForm(fromFile, FILE)).toEqual({
      input: { model: MODEL_ID },
      rows: null,
      errors: {},
    });
  });

  it('refuses a bad shard size and price cap', () => {
    const sut = validateInferenceForm({ ...pasted, shardRows: '0', maxPrice: '1.2345678' }, null);
    expect(sut.errors).toEqual({
      shardRows: 'A whole number of rows, 1 or more.',
      maxPrice: 'Tokens as a decimal number (at most 6 decimals), e.g. 2.5.',
    });
  });
});

describe('API errors on the form', () => {
  it('maps the fields the coordinator names', () => {
    expect(inferenceFieldOf('rows')).toBe('rows');
    expect(inferenceFieldOf('maxPrice')).toBe('maxPrice');
    expect(inferenceFieldOf('shardRows')).toBe('shardRows');
    expect(inferenceFieldOf('blend')).toBeNull();
    expect(inferenceFieldOf(undefined)).toBeNull();
  });

  it('lists refused rows one per line, with the count of the others', () => {
    const error = new ApiError(
      'INVALID_ROWS',
      'INVALID_ROWS: the batch has rows the model cannot take; nothing was queued: line 3: missing "image"; line 4: x (and 2 more)',
      'rows',
      400,
      [
        { line: 3, message: 'missing "image"' },
        { line: 4, message: 'x' },
      ],
    );
    expect(fieldErrorText(error)).toBe(
      'The model cannot take these rows; nothing was queued:\nline 3: missing "image"\nline 4: x\n(and 2 more)',
    );
  });

  it('shows other errors as the coordinator worded them, without the code', () => {
    const error = new ApiError('PRICE_TOO_LOW', 'PRICE_TOO_LOW: maxPrice 0.001 TSR is below …', 'maxPrice');
    expect(fieldErrorText(error)).toBe('maxPrice 0.001 TSR is below …');
  });
});

describe('describing a model', () => {
  it('shows the dimensions of one row', () => {
    expect(rowDims({ name: 'x', type: 'float32', dims: [-1, 3, 48, -1] })).toBe('3×48×?');
    expect(rowDims({ name: 'x', type: 'float32', dims: [-1] })).toBe('scalar');
  });

  it('gives an example row: inline tensors, or an image for image models', () => {
    expect(exampleRow(tabular)).toBe('{"id": "a", "inputs": {"features": [0, 0, 0, 0]}}');
    expect(exampleRow({ ...tabular, inputs: [{ name: 'x', type: 'float32', dims: [-1, 3, 48, 320] }] })).toBe(
      '{"id": "a", "inputs": {"x": {"dims": [3, 48, 320], "data": [46080 numbers]}}}',
    );
    expect(
      exampleRow({ ...tabular, preprocess: { input: 'x', width: 320, height: 48, channels: 3 } }),
    ).toMatch(/"image": "<a picked PNG or JPEG, or the SHA-256 of an uploaded one>"/);
  });

  it('estimates the cost as the coordinator does', () => {
    expect(estimateInferenceCost(100, 20, 0.01)).toBeCloseTo(0.02);
    expect(estimateInferenceCost(100, null, 0.01)).toBeCloseTo(0.02);
  });
});
