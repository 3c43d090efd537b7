import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../test/fake-coordinator';
import { tempDir } from '../../test/cli-harness';
import { imageBytes } from '../../test/inference-fixtures';
import { checkRowsFitModel, looksLikeImage, scanRows, writeRowsForUpload } from './rows-file';

describe('rows files', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
    mkdirSync(join(dir, 'data', 'scans'), { recursive: true });
  });
  const write = (name: string, lines: string[]) => writeFileSync(join(dir, name), lines.join('\n'));

  it('knows PNG and JPEG by their first bytes', () => {
    expect(looksLikeImage(imageBytes('x'))).toBe(true);
    expect(looksLikeImage(imageBytes('x', 'jpeg'))).toBe(true);
    expect(looksLikeImage(Buffer.from('GIF89a'))).toBe(false);
  });

  it('replaces local images by their SHA-256, each file once, and keeps every other line as it was', async () => {
    const a = imageBytes('scan a');
    const b = imageBytes('scan b', 'jpeg');
    writeFileSync(join(dir, 'data', 'scans', 'a.png'), a);
    writeFileSync(join(dir, 'data', 'scans', 'b.jpg'), b);
    const hashed = 'ABCDEF0123456789'.repeat(4);
    write('data/rows.jsonl', [
      '{"id": "a", "image": "scans/a.png"}',
      '',
      '{"image": "scans/b.jpg", "id": 2}',
      `{"id": "c", "image": "${hashed}"}`,
      '{"id": "again", "image": "./scans/a.png"}',
      '{"id": "t", "inputs": {"x": [[1, 2]]}}',
    ]);
    const scan = await scanRows('data/rows.jsonl', dir);

    expect(scan.rows).toBe(5);
    expect([...scan.images.values()]).toEqual([
      { shown: join('data', 'scans', 'a.png'), line: 1, size: a.length },
      { shown: join('data', 'scans', 'b.jpg'), line: 3, size: b.length },
    ]);
    expect(scan.firstImageLine).toBe(1);
    expect(scan.firstInputsLine).toBe(6);

    const hashes = new Map([...scan.images.keys()].map((path) => [path, sha256(readFileSync(path))]));
    const dest = join(dir, 'upload.jsonl');
    const written = await writeRowsForUpload(scan, hashes, dest);
    const text = readFileSync(dest, 'utf8');
    expect(text).toBe(
      [
        `{"id":"a","image":"${sha256(a)}"}`,
        '',
        `{"image":"${sha256(b)}","id":2}`,
        `{"id":"c","image":"${hashed.toLowerCase()}"}`,
        `{"id":"again","image":"${sha256(a)}"}`,
        '{"id": "t", "inputs": {"x": [[1, 2]]}}',
        '',
      ].join('\n'),
    );
    expect(written).toEqual({ sha256: sha256(Buffer.from(text)), size: Buffer.byteLength(text) });
  });

  it('lists bad lines and bad images with their line numbers, before anything is uploaded', async () => {
    writeFileSync(join(dir, 'data', 'scans', 'anim.gif'), 'GIF89a and more');
    writeFileSync(join(dir, 'data', 'scans', 'empty.png'), '');
    write('data/rows.jsonl', [
      '{"id": "ok", "inputs": {"x": [1]}}',
      '{"id": "x", "image": "scans/missing.png"}',
      '{id: 3}',
      '[1, 2]',
      '{"id": "y", "img": "scans/a.png"}',
      '{"id": "z", "image": "scans/anim.gif"}',
      '{"id": "w"}',
      '{"image": "scans/empty.png", "inputs": {}}',
      '{"image": "scans/empty.png"}',
      '{"id": {"nested": true}, "image": "scans/missing.png"}',
    ]);
    await expect(scanRows('data/rows.jsonl', dir)).rejects.toThrow(
      [
        `data/rows.jsonl line 2: image ${join('data', 'scans', 'missing.png')}: no such file (paths are relative to data/rows.jsonl's folder)`,
        'data/rows.jsonl line 3: not JSON: "{id: 3}"',
        'data/rows.jsonl line 4: a row must be a JSON object, not a list',
        'data/rows.jsonl line 5: unknown field "img" (a row has "id" and "image", or "id" and "inputs")',
        `data/rows.jsonl line 6: image ${join('data', 'scans', 'anim.gif')} is not a PNG or JPEG: it starts with "GIF89a a"`,
        'data/rows.jsonl line 7: a row needs "image" (a PNG or JPEG file, or its SHA-256) or "inputs" (tensors by input name)',
        'data/rows.jsonl line 8: a row has "image" or "inputs", not both',
        `data/rows.jsonl line 9: image ${join('data', 'scans', 'empty.png')} is empty`,
        'data/rows.jsonl line 10: "id" must be a string or a number',
        'nothing was uploaded',
      ].join('\n'),
    );
  });

  it('shows ten problems at most, then counts the rest', async () => {
    write(
      'rows.jsonl',
      Array.from({ length: 25 }, () => 'nope'),
    );
    const error = await scanRows('rows.jsonl', dir).catch((e: Error) => e);
    const lines = (error as Error).message.split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[9]).toBe('rows.jsonl line 10: not JSON: "nope"');
    expect(lines[10]).toBe('rows.jsonl: and 15 more problems');
  });

  it('refuses a missing or empty rows file, and one with only blank lines', async () => {
    await expect(scanRows('nope.jsonl', dir)).rejects.toThrow('nope.jsonl: no such file');
    write('empty.jsonl', []);
    await expect(scanRows('empty.jsonl', dir)).rejects.toThrow(
      'empty.jsonl is empty, not a rows file (JSONL, one row per line)',
    );
    write('blank.jsonl', ['', '  ', '']);
    await expect(scanRows('blank.jsonl', dir)).rejects.toThrow(
      'blank.jsonl has no rows: write one JSON object per line',
    );
  });

  it('checks the kind of rows against the model', async () => {
    write('rows.jsonl', ['{"inputs": {"x": [1]}}', `{"image": "${'a'.repeat(64)}"}`]);
    const scan = await scanRows('rows.jsonl', dir);
    expect(() => checkRowsFitModel(scan, 'ocr', true)).toThrow(
      'rows.jsonl line 1: model "ocr" takes images: rows need "image" (a PNG or JPEG file), not "inputs"',
    );
    expect(() => checkRowsFitModel(scan, 'mlp', false)).toThrow(
      'rows.jsonl line 2: model "mlp" has no image preprocessing: rows need "inputs" (tensors by input name), not "image"; register it with a "preprocess" to send images',
    );
  });
});
