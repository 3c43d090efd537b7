import { join } from 'node:path';
import { tempDir } from '../../test/cli-harness';
import { writeFile } from '../../test/inference-fixtures';
import { describeRowOutputs, summarizeRowOutputs } from './row-outputs';

describe('row outputs', () => {
  it('counts rows and errors, keeping the first five errors with their row and id', async () => {
    const lines = Array.from({ length: 9 }, (_, row) =>
      row % 2
        ? JSON.stringify({ row, outputs: { index: 3, value: 0.9 } })
        : JSON.stringify({ row, ...(row < 4 ? { id: `scan-${row}` } : {}), error: `bad row ${row}` }),
    );
    const path = writeFile(join(tempDir(), 'out.jsonl'), `${lines.join('\n')}\nnot json\n`);
    const summary = await summarizeRowOutputs(path);

    expect(summary).toEqual({
      rows: 10,
      rowsWithErrors: 6,
      errors: [
        { row: 0, id: 'scan-0', error: 'bad row 0' },
        { row: 2, id: 'scan-2', error: 'bad row 2' },
        { row: 4, error: 'bad row 4' },
        { row: 6, error: 'bad row 6' },
        { row: 8, error: 'bad row 8' },
      ],
    });
    expect(describeRowOutputs(summary)).toEqual([
      '6 of 10 rows failed; the job still completed: their lines carry "error" instead of "outputs"',
      '  row 0 (id "scan-0"): bad row 0',
      '  row 2 (id "scan-2"): bad row 2',
      '  row 4: bad row 4',
      '  row 6: bad row 6',
      '  row 8: bad row 8',
      '  … and 1 more',
    ]);
    expect(describeRowOutputs({ rows: 2, rowsWithErrors: 0, errors: [] })).toEqual([
      'all 2 rows have outputs',
    ]);
  });
});
