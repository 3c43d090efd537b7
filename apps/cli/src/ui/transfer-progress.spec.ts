import { CapturedOutput } from '../../test/cli-harness';
import { TransferProgress } from './transfer-progress';

describe('TransferProgress off a terminal', () => {
  it('prints a line per quarter reached, the furthest only, and none for a transfer done in one go', () => {
    const out = new CapturedOutput(false);
    const big = new TransferProgress(out, 'uploading model.onnx', 4096, { milestones: true, now: () => 0 });
    big.add(2200); // past 25% and 50% at once: one line
    big.add(1000); // 3200: 75%
    big.add(896);
    big.finish('uploaded model.onnx');
    const small = new TransferProgress(out, 'uploading keys.txt', 100, { milestones: true, now: () => 0 });
    small.add(100);
    small.finish('uploaded keys.txt');

    expect(out.text).toBe(
      [
        'uploading model.onnx: 50% (2.1 KiB of 4.0 KiB)',
        'uploading model.onnx: 75% (3.1 KiB of 4.0 KiB)',
        'uploaded model.onnx: 4.0 KiB in 0s',
        'uploaded keys.txt: 100 B in 0s',
        '',
      ].join('\n'),
    );
  });
});
