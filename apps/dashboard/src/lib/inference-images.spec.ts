import { describe, expect, it } from 'vitest';
import {
  describeProgress,
  failureLines,
  looksLikeImage,
  MAX_IMAGE_BYTES,
  planRowImages,
  progressFraction,
  rewriteRowImages,
  showHead,
  type PickedImage,
} from './inference-images';

const pick = (path: string, size = 100): PickedImage => ({ name: path.split('/').pop()!, path, size });
const SHA_A = 'a1'.repeat(32);
const SHA_B = 'b2'.repeat(32);
const rows = (...r: unknown[]) => r.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n');

describe('planRowImages', () => {
  it('matches rows to picked files by name, each file once, in the order first named', () => {
    const picked = [pick('line-002.png'), pick('line-001.png')];
    const sut = planRowImages(
      rows(
        { id: 1, image: 'line-001.png' },
        { id: 2, image: 'line-002.png' },
        { id: 3, image: 'line-001.png' },
      ),
      picked,
    );
    expect(sut.problems).toEqual([]);
    expect(sut.files).toEqual([1, 0]);
    expect([...sut.lines]).toEqual([
      [1, { file: 1 }],
      [2, { file: 0 }],
      [3, { file: 1 }],
    ]);
    expect([...sut.firstLine]).toEqual([
      [1, 1],
      [0, 2],
    ]);
  });

  it('finds a name inside a picked folder, and a path by its folders too', () => {
    const picked = [pick('batch/scans/a.png'), pick('batch/other/b.png')];
    const sut = planRowImages(
      rows(
        { image: 'a.png' },
        { image: 'other/b.png' },
        { image: './batch/scans/a.png' },
        { image: 'scans\\a.png' },
      ),
      picked,
    );
    expect(sut.problems).toEqual([]);
    expect([...sut.lines.values()]).toEqual([{ file: 0 }, { file: 1 }, { file: 0 }, { file: 0 }]);
  });

  it('does not match part of a folder or file name', () => {
    const sut = planRowImages(rows({ image: 'a.png' }, { image: 'cans/a.png' }), [pick('scans/data.png')]);
    expect(sut.problems.map((p) => p.line)).toEqual([1, 2]);
  });

  it('refuses a name that two picked files end with, unless one is that exact path', () => {
    const picked = [pick('day-1/a.png'), pick('day-2/a.png'), pick('a.png')];
    expect(planRowImages(rows({ image: 'a.png' }), picked).lines.get(1)).toEqual({ file: 2 });
    const sut = planRowImages(rows({ image: 'a.png' }), picked.slice(0, 2));
    expect(sut.problems).toEqual([
      {
        line: 1,
        message:
          'image "a.png" matches 2 picked files (day-1/a.png, day-2/a.png): name it by its path in the folder',
      },
    ]);
  });

  it('names each line whose file was not picked, with the number picked', () => {
    const picked = Array.from({ length: 12 }, (_, i) => pick(`line-${String(i + 1).padStart(3, '0')}.png`));
    const sut = planRowImages(
      rows({ id: 1, image: 'line-001.png' }, '', '{"id": 3, "image": "line-003.png"}', {
        id: 4,
        image: 'line-013.png',
      }),
      picked,
    );
    expect(sut.problems).toEqual([
      { line: 4, message: 'image "line-013.png" is not among the 12 picked files' },
    ]);
    expect(planRowImages(rows({ image: 'x.png' }), [pick('y.png')]).problems[0].message).toBe(
      'image "x.png" is not among the 1 picked file',
    );
  });

  it('says to pick images when a row names a file and none are picked', () => {
    expect(planRowImages(rows({ image: 'x.png' }), []).problems).toEqual([
      {
        line: 1,
        message:
          'image "x.png" names a file, and no images are picked: pick it under Images, or give the SHA-256 of an uploaded image',
      },
    ]);
  });

  it('passes SHA-256 digests through, lower-casing those the coordinator would refuse', () => {
    const sut = planRowImages(rows({ image: SHA_A }, { image: SHA_B.toUpperCase() }), []);
    expect(sut.problems).toEqual([]);
    expect(sut.files).toEqual([]);
    expect([...sut.lines]).toEqual([[2, { sha256: SHA_B }]]);
  });

  it('refuses an empty or oversized image once, at the first line naming it', () => {
    const picked = [
      pick('big.png', MAX_IMAGE_BYTES * 1.5),
      pick('empty.png', 0),
      pick('ok.png', MAX_IMAGE_BYTES),
    ];
    const sut = planRowImages(
      rows({ image: 'big.png' }, { image: 'empty.png' }, { image: 'big.png' }, { image: 'ok.png' }),
      picked,
    );
    expect(sut.problems).toEqual([
      { line: 1, message: 'image "big.png" is 75 MiB, over the 50 MiB limit for one image' },
      { line: 2, message: 'image "empty.png" is empty' },
    ]);
  });

  it('leaves lines it cannot read to the syntax check and the coordinator', () => {
    const sut = planRowImages(
      rows('{"image": ', '[1]', { id: 1 }, { image: 3 }, { image: '' }, { inputs: {} }),
      [pick('a.png')],
    );
    expect(sut.lines.size).toBe(0);
    expect(sut.problems).toEqual([
      { line: 5, message: '"image" must name a picked image file, or be the SHA-256 of an uploaded one' },
    ]);
  });

  it('lists five problems and counts the rest', () => {
    const sut = planRowImages(rows(...Array.from({ length: 8 }, (_, i) => ({ image: `${i}.png` }))), [
      pick('z.png'),
    ]);
    expect(sut.problems.map((p) => p.line)).toEqual([1, 2, 3, 4, 5]);
    expect(sut.more).toBe(3);
  });
});

describe('rewriteRowImages', () => {
  it('puts each picked file’s SHA-256 in its rows, keeping the other fields, lines and blank lines', () => {
    const text =
      rows({ id: 1, image: 'b.png' }, '', { image: SHA_A, id: 'x' }, '   ', { id: 4, image: 'a.png' }) +
      '\r\n';
    const plan = planRowImages(text, [pick('a.png'), pick('b.png')]);
    const sut = rewriteRowImages(
      text,
      plan,
      new Map([
        [0, SHA_A],
        [1, SHA_B],
      ]),
    );
    expect(sut).toBe(
      `{"id":1,"image":"${SHA_B}"}\n\n{"image":"${SHA_A}","id":"x"}\n\n{"id":4,"image":"${SHA_A}"}\n`,
    );
  });

  it('lower-cases a digest given in capitals', () => {
    const text = rows({ image: SHA_A.toUpperCase() });
    expect(rewriteRowImages(text, planRowImages(text, []), new Map())).toBe(`{"image":"${SHA_A}"}\n`);
  });

  it('refuses to send a row whose image has not been hashed', () => {
    const text = rows({ image: 'a.png' });
    expect(() => rewriteRowImages(text, planRowImages(text, [pick('a.png')]), new Map())).toThrow(/line 1/);
  });
});

describe('looksLikeImage', () => {
  it('knows PNG and JPEG by their first bytes', () => {
    expect(looksLikeImage(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(looksLikeImage(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe(true);
    expect(looksLikeImage(new TextEncoder().encode('GIF89a..'))).toBe(false);
    expect(looksLikeImage(new Uint8Array([0x89, 0x50]))).toBe(false);
    expect(showHead(new TextEncoder().encode('PK\x03\x04hello world'))).toBe('"PK..hell"');
  });
});

describe('failureLines', () => {
  it('reports each failed file at the first line naming it, in line order', () => {
    const picked = [pick('a.png'), pick('notes/b.png')];
    const plan = planRowImages(rows({ image: 'b.png' }, { image: 'a.png' }), picked);
    expect(
      failureLines(
        [
          { file: 0, message: 'did not upload: NETWORK: cannot reach the coordinator' },
          { file: 1, message: 'is not a PNG or JPEG: it starts with "hello wo"' },
        ],
        plan,
        picked,
      ),
    ).toEqual({
      problems: [
        { line: 1, message: 'image "notes/b.png" is not a PNG or JPEG: it starts with "hello wo"' },
        { line: 2, message: 'image "a.png" did not upload: NETWORK: cannot reach the coordinator' },
      ],
      more: 0,
    });
  });
});

describe('progress', () => {
  it('says how many images and bytes are done, and fills the bar by bytes', () => {
    const p = { step: 'uploading' as const, done: 3, total: 12, sent: 40 * 1024, bytes: 120 * 1024 };
    expect(describeProgress(p)).toBe('Uploading images: 3 of 12 stored · 40 KiB of 120 KiB sent');
    expect(progressFraction(p)).toBeCloseTo(1 / 3);
    expect(progressFraction({ ...p, bytes: 0, sent: 0 })).toBe(0.25);
    expect(describeProgress({ ...p, step: 'hashing' })).toBe('Hashing images: 3 of 12 · 40 KiB of 120 KiB');
  });
});
