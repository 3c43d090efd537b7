import { compareRow } from './row-compare';

const line = (value: unknown): string => JSON.stringify(value);

describe('compareRow', () => {
  describe('ctc_greedy text', () => {
    const reference = {
      row: 4,
      id: 'a-4',
      outputs: { text: 'love blue build', confidence: 0.9789377967516582 },
    };

    it('accepts the same line byte for byte, as a string or parsed', () => {
      expect(compareRow(line(reference), line(reference))).toEqual({
        verdict: 'accept',
        reason: 'row 4: 2 outputs, 2 values match (all equal)',
      });
      expect(compareRow(reference, line(reference)).verdict).toBe('accept');
    });

    it('accepts a confidence within atol + rtol·|reference|', () => {
      const claimed = {
        ...reference,
        outputs: { ...reference.outputs, confidence: 0.9789377967516582 + 5e-4 },
      };
      expect(compareRow(claimed, reference)).toEqual({
        verdict: 'accept',
        reason: 'row 4: 2 outputs, 2 values match (largest |Δ| 5.00e-4 at output "confidence")',
      });
    });

    it('rejects a confidence outside the tolerance', () => {
      const claimed = { ...reference, outputs: { ...reference.outputs, confidence: 0.96 } };
      expect(compareRow(claimed, reference)).toEqual({
        verdict: 'reject',
        reason:
          'row 4 output "confidence": claimed 0.96 vs reference 0.9789377967516582: |Δ| 0.0189 > atol + rtol·|reference| = 0.00108',
      });
    });

    it('rejects different text, naming where it starts to differ', () => {
      const claimed = { ...reference, outputs: { ...reference.outputs, text: 'love blue bui1d' } };
      expect(compareRow(claimed, reference)).toEqual({
        verdict: 'reject',
        reason:
          'row 4 output "text": claimed "love blue bui1d" ≠ reference "love blue build" (from character 13)',
      });
    });
  });

  describe('argmax', () => {
    const reference = { row: 0, outputs: { prob: { argmax: [281, 7], max: [0.8123, 0.5] } } };

    it('accepts equal indices and max values within tolerance', () => {
      const claimed = { row: 0, outputs: { prob: { argmax: [281, 7], max: [0.81235, 0.5] } } };
      expect(compareRow(claimed, reference).verdict).toBe('accept');
    });

    it('rejects a different index even when max is equal', () => {
      const claimed = { row: 0, outputs: { prob: { argmax: [281, 8], max: [0.8123, 0.5] } } };
      expect(compareRow(claimed, reference)).toEqual({
        verdict: 'reject',
        reason: 'row 0 output "prob" argmax[1]: claimed 8 ≠ reference 7',
      });
    });

    it('rejects a max outside the tolerance', () => {
      const claimed = { row: 0, outputs: { prob: { argmax: [281, 7], max: [0.8123, 0.49] } } };
      expect(compareRow(claimed, reference).reason).toBe(
        'row 0 output "prob" max[1]: claimed 0.49 vs reference 0.5: |Δ| 0.01 > atol + rtol·|reference| = 6.00e-4',
      );
    });

    it('rejects a different number of entries', () => {
      const claimed = { row: 0, outputs: { prob: { argmax: [281], max: [0.8123] } } };
      expect(compareRow(claimed, reference).reason).toBe(
        'row 0 output "prob": claimed has 1 argmax values, reference 2',
      );
    });
  });

  describe('raw tensors', () => {
    const reference = {
      row: 9,
      outputs: { logits: { dims: [2, 3], data: [0.1, -2.5, 1000, 0, null, 3e-7] } },
    };

    it('accepts elements within atol + rtol·|reference|, null matching null, and reports the largest difference', () => {
      const claimed = {
        row: 9,
        outputs: { logits: { dims: [2, 3], data: [0.10005, -2.501, 1000.9, 0.00009, null, 0] } },
      };
      expect(compareRow(claimed, reference)).toEqual({
        verdict: 'accept',
        reason: 'row 9: 1 output, 6 values match (largest |Δ| 0.9 at output "logits" [0, 2] (flat 2))',
      });
    });

    it('rejects the first element outside the tolerance, with its coordinates', () => {
      const claimed = {
        row: 9,
        outputs: { logits: { dims: [2, 3], data: [0.1, -2.5, 1000, 0.0002, null, 1] } },
      };
      expect(compareRow(claimed, reference)).toEqual({
        verdict: 'reject',
        reason:
          'row 9 output "logits" [1, 0] (flat 3): claimed 0.0002 vs reference 0: |Δ| 2.00e-4 > atol + rtol·|reference| = 1.00e-4',
      });
    });

    it('rejects a number where the reference has null (NaN or ±Infinity)', () => {
      const claimed = { row: 9, outputs: { logits: { dims: [2, 3], data: [0.1, -2.5, 1000, 0, 5, 3e-7] } } };
      expect(compareRow(claimed, reference).reason).toBe(
        'row 9 output "logits" [1, 1] (flat 4): claimed 5 ≠ reference null (null: NaN or ±Infinity)',
      );
    });

    it('rejects different dims, and data that does not fill them', () => {
      const transposed = { row: 9, outputs: { logits: { ...reference.outputs.logits, dims: [3, 2] } } };
      expect(compareRow(transposed, reference).reason).toBe(
        'row 9 output "logits": claimed dims [3, 2] ≠ reference [2, 3]',
      );
      const short = { row: 9, outputs: { logits: { dims: [2, 3], data: [0.1, -2.5, 1000, 0, null] } } };
      expect(compareRow(short, reference).reason).toBe(
        'row 9 output "logits": the claimed data has 5 values; dims [2,3] need 6',
      );
    });

    it('compares integer and bool outputs exactly when the model says so, int64 strings always', () => {
      const ref = {
        row: 1,
        outputs: { ids: { dims: [2], data: [5000, 7] }, big: { dims: [1], data: ['9007199254740993'] } },
      };
      const offByOne = { row: 1, outputs: { ids: { dims: [2], data: [5001, 7] }, big: ref.outputs.big } };
      // Without types 5001 is within 1e-4 + 1e-3 × 5000: the reason types matter.
      expect(compareRow(offByOne, ref).verdict).toBe('accept');
      expect(
        compareRow(offByOne, ref, {
          outputs: [
            { name: 'ids', type: 'int64' },
            { name: 'big', type: 'int64' },
          ],
        }),
      ).toEqual({ verdict: 'reject', reason: 'row 1 output "ids" [0]: claimed 5001 ≠ reference 5000' });
      const bigOff = {
        row: 1,
        outputs: { ids: ref.outputs.ids, big: { dims: [1], data: ['9007199254740992'] } },
      };
      expect(compareRow(bigOff, ref).reason).toBe(
        'row 1 output "big" [0]: claimed "9007199254740992" ≠ reference "9007199254740993"',
      );
      const mask = { row: 1, outputs: { mask: { dims: [2], data: [true, false] } } };
      expect(compareRow(mask, mask).verdict).toBe('accept');
      expect(compareRow({ row: 1, outputs: { mask: { dims: [2], data: [true, true] } } }, mask).reason).toBe(
        'row 1 output "mask" [1]: claimed true ≠ reference false',
      );
    });
  });

  describe('error rows', () => {
    const failed = {
      row: 3,
      id: 7,
      error: 'image images/ab12 is not a PNG or JPEG (starts with "hello, I")',
    };

    it('accepts two errors whatever their messages', () => {
      expect(compareRow(failed, { row: 3, id: 7, error: 'image images/ab12 does not exist' })).toEqual({
        verdict: 'accept',
        reason:
          'row 3: both failed (claimed: image images/ab12 is not a PNG or JPEG (starts with "hello, I"); reference: image images/ab12 does not exist)',
      });
    });

    it('rejects an error where the reference has outputs, and outputs where the reference failed', () => {
      const ok = { row: 3, id: 7, outputs: { text: 'x', confidence: 0.9 } };
      expect(compareRow(failed, ok)).toEqual({
        verdict: 'reject',
        reason: `row 3: the claimed row failed (${failed.error}) but the reference has outputs`,
      });
      expect(compareRow(ok, failed)).toEqual({
        verdict: 'reject',
        reason: `row 3: the reference failed (${failed.error}) but the claimed row has outputs`,
      });
    });
  });

  describe('row identity and shape', () => {
    const reference = { row: 12, id: 'x', outputs: { text: 'ok', confidence: 1 } };

    it('rejects another row number or another id', () => {
      expect(compareRow({ ...reference, row: 13 }, reference).reason).toBe('row: claimed 13, reference 12');
      expect(compareRow({ ...reference, id: 'y' }, reference).reason).toBe(
        'row 12 id: claimed "y", reference "x"',
      );
      const { id: _id, ...noId } = reference;
      expect(compareRow(noId, reference).reason).toBe('row 12 id: claimed none, reference "x"');
    });

    it('rejects a missing or extra output, and an output of another kind', () => {
      expect(compareRow({ ...reference, outputs: { text: 'ok' } }, reference).reason).toBe(
        'row 12: output "confidence" is missing from the claimed row',
      );
      expect(
        compareRow({ ...reference, outputs: { ...reference.outputs, extra: 1 } }, reference).reason,
      ).toBe('row 12: the claimed row has an extra output "extra"');
      const tensor = { ...reference, outputs: { ...reference.outputs, text: { dims: [1], data: [1] } } };
      expect(compareRow(tensor, reference).reason).toBe(
        'row 12 output "text": claimed is a tensor, reference is text',
      );
    });

    it('compares an unrecognised output value by deep equality', () => {
      const odd = { row: 0, outputs: { boxes: [{ x: 1, label: 'cat' }] } };
      expect(compareRow(odd, odd).verdict).toBe('accept');
      expect(compareRow({ row: 0, outputs: { boxes: [{ x: 1.00001, label: 'cat' }] } }, odd).reason).toBe(
        'row 0 output "boxes": claimed [{"x":1.00001,"label":"cat"}] ≠ reference [{"x":1,"label":"cat"}]',
      );
    });

    it.each([
      ['{"row": 1, "outputs": ', 'the claimed line is not JSON ('],
      ['[1, 2]', 'the claimed line is not a JSON object'],
      [line({ outputs: {} }), 'the claimed line has no "row" number (got none)'],
      [line({ row: -1, outputs: {} }), 'the claimed line has no "row" number (got -1)'],
      [
        line({ row: 12, outputs: {}, error: 'x' }),
        'the claimed row 12 must have exactly one of "outputs" and "error"',
      ],
      [line({ row: 12 }), 'the claimed row 12 must have exactly one of "outputs" and "error"'],
      [line({ row: 12, error: 42 }), 'the claimed row 12 has an "error" that is not a string'],
      [line({ row: 12, outputs: [] }), 'the claimed row 12 has "outputs" that is not an object'],
    ])('rejects the malformed line %s', (claimed, reason) => {
      const r = compareRow(claimed, reference);
      expect(r.verdict).toBe('reject');
      expect(r.reason.startsWith(reason)).toBe(true);
    });

    it('names the reference side when the reference line is malformed', () => {
      expect(compareRow(reference, 'not json').reason).toMatch(/^the reference line is not JSON \(/);
    });
  });

  it('takes the tolerance from the thresholds', () => {
    const reference = { row: 0, outputs: { y: { dims: [1], data: [1] } } };
    const claimed = { row: 0, outputs: { y: { dims: [1], data: [1.05] } } };
    expect(compareRow(claimed, reference).verdict).toBe('reject');
    expect(compareRow(claimed, reference, { thresholds: { atol: 0, rtol: 0.1 } }).verdict).toBe('accept');
    expect(compareRow(claimed, reference, { thresholds: { atol: 0, rtol: 0 } }).reason).toBe(
      'row 0 output "y" [0]: claimed 1.05 vs reference 1: |Δ| 0.05 > atol + rtol·|reference| = 0',
    );
  });
});
