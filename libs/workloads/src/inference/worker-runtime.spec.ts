// Unit tests of the inference worker's runtime (docker/workers/onnx/runtime/*.js): preprocessing,
// CTC decoding, row parsing and batching, and a whole `run` against a fake model. The runtime is
// plain CommonJS that ships as is in tessera/onnx, so it is required rather than imported, and
// onnxruntime-node is never loaded here (the fake model stands in for it).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';

const runtimeDir = path.resolve(__dirname, '../../../../docker/workers/onnx/runtime');
function load<T>(name: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(runtimeDir, name)) as T;
}

type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array;
interface Tensor {
  type: string;
  dims: number[];
  data: TypedArray;
}
interface Rgb {
  width: number;
  height: number;
  channels?: number;
  data: Uint8Array;
}
interface ImagePre {
  width: number;
  height: number;
  keepAspect: boolean;
  channels: number;
  colorOrder: 'RGB' | 'BGR';
  scale: number;
  mean: number[];
  std: number[];
}
interface Signature {
  name: string;
  type: string;
  dims: number[];
}
interface PreparedRow {
  tensors: Map<string, { dims: number[]; data: TypedArray }>;
  error?: Error | null;
}
interface FakeModel {
  signature: { inputs: Signature[]; outputs: Signature[] };
  run(feeds: Record<string, Tensor>, fetches: string[]): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

const image = load<{
  sniffFormat(bytes: Buffer): string | null;
  decodeImage(bytes: Buffer, label: string): Rgb;
  resizeLinear(img: Rgb, w: number, h: number): Rgb;
  resizedWidth(w: number, h: number, pre: Pick<ImagePre, 'width' | 'height' | 'keepAspect'>): number;
  normalisationTable(scale: number, mean: number, std: number): Float32Array;
  preprocessImage(img: Rgb, pre: ImagePre): Float32Array;
}>('image.js');
const post = load<{
  parseLabels(text: string, appendSpace: boolean): string[];
  ctcClasses(labels: string[], blankIndex: number): (string | null)[];
  ctcGreedyDecode(
    probs: Float32Array,
    offset: number,
    steps: number,
    classes: (string | null)[],
    blank: number,
  ): { text: string; confidence: number };
  argmaxLastAxis(data: TypedArray, offset: number, dims: number[]): { argmax: number[]; max: number[] };
}>('postprocess.js');
const tensor = load<{
  flattenNested(value: unknown): { dims: number[]; data: unknown[] };
  parseInlineTensor(
    name: string,
    value: unknown,
    type: string,
    rowSig: number[],
  ): { dims: number[]; data: TypedArray };
  tensorJson(type: string, dims: number[], data: TypedArray | unknown[]): string;
}>('tensor.js');
const rows = load<{
  countRows(file: string): number;
  readLines(file: string): AsyncIterable<string>;
  parseRow(
    line: string,
    ctx: { imageMode: boolean; inline: Signature[] },
  ): { hasId: boolean; id: unknown; image?: string; inputs: Map<string, unknown>; error: Error | null };
  resolveImagePath(inDir: string, relative: string): string;
}>('rows.js');
const specs = load<{
  parseSpec(raw: unknown): { batchSize: number; threads: number; preprocess: ImagePre | null };
  checkAgainstModel(
    spec: unknown,
    model: { inputs: Signature[]; outputs: Signature[] },
  ): { inputs: Signature[] };
}>('spec.js');
const batch = load<{
  assembleBatch(
    rows: PreparedRow[],
    inputs: Signature[],
    batchSize: number,
  ): { feeds: Record<string, Tensor> | null };
  rowOfOutput(
    name: string,
    t: Tensor,
    batchSize: number,
    i: number,
  ): { dims: number[]; offset: number; size: number };
}>('batch.js');
const cli = load<{
  parseCommandLine(argv: string[]): { command: string; values: Record<string, string> };
}>('cli.js');
const run = load<{
  runTask(
    opts: { spec: string; rows: string; model: string; out: string; inDir: string },
    deps: { progress: (line: string) => void; open: () => Promise<FakeModel> },
  ): Promise<{ rows: number; errors: number }>;
}>('run.js');

function values(data: ArrayLike<number | bigint>): (number | bigint)[] {
  return Array.from(data);
}

function png(width: number, height: number, rgba: (x: number, y: number) => number[]): Buffer {
  const p = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) p.data.set(rgba(x, y), (y * width + x) * 4);
  }
  return PNG.sync.write(p);
}

describe('image preprocessing', () => {
  const paddle: ImagePre = {
    width: 320,
    height: 48,
    keepAspect: true,
    channels: 3,
    colorOrder: 'BGR',
    scale: 1 / 255,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
  };

  it('recognises PNG and JPEG by their magic bytes and names anything else precisely', () => {
    expect(image.sniffFormat(png(1, 1, () => [0, 0, 0, 255]))).toBe('png');
    expect(image.sniffFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(() => image.decodeImage(Buffer.from('hello world'), 'images/ab12')).toThrow(
      'image images/ab12 is not a PNG or JPEG (starts with "hello wo")',
    );
    expect(() => image.decodeImage(Buffer.from([0, 1, 0xfe]), 'x')).toThrow('(starts with bytes 00 01 fe)');
    expect(() => image.decodeImage(Buffer.alloc(0), 'x')).toThrow('(is empty)');
  });

  it('drops alpha and keeps RGB order when decoding', () => {
    const decoded = image.decodeImage(
      png(2, 1, (x) => (x === 0 ? [10, 20, 30, 0] : [40, 50, 60, 128])),
      'a.png',
    );
    expect(decoded).toMatchObject({ width: 2, height: 1 });
    expect(Array.from(decoded.data)).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('reports a truncated PNG as corrupt', () => {
    const bytes = png(4, 4, () => [1, 2, 3, 255]);
    expect(() => image.decodeImage(bytes.subarray(0, 40), 'images/t')).toThrow(
      /image images\/t is a corrupt PNG/,
    );
  });

  it('resizes exactly as OpenCV 4.6 cv2.resize(INTER_LINEAR) does on uint8', () => {
    // A 6x4 RGB image, values i * 37 % 256; expected bytes printed by cv2 4.6 (Debian bookworm).
    const src: Rgb = {
      width: 6,
      height: 4,
      channels: 3,
      data: new Uint8Array(72).map((_, i) => (i * 37) % 256),
    };
    const up = image.resizeLinear(src, 11, 7);
    expect(Array.from(up.data.subarray(0, 24))).toEqual([
      0, 37, 74, 35, 72, 109, 96, 133, 170, 156, 89, 125, 217, 10, 46, 149, 58, 95, 82, 119, 144, 143, 179,
      65,
    ]);
    expect(Array.from(up.data.subarray(207))).toEqual([
      106, 143, 180, 167, 204, 241, 99, 136, 173, 32, 69, 106, 92, 130, 166, 153, 155, 192, 214, 76, 113, 249,
      30, 67,
    ]);
    // Exactly half in both directions: OpenCV switches to a 2x2 box average.
    expect(Array.from(image.resizeLinear(src, 3, 2).data)).toEqual([
      69, 106, 143, 163, 72, 109, 129, 166, 75, 121, 158, 131, 87, 124, 161, 181, 90, 127,
    ]);
    expect(Array.from(image.resizeLinear(src, 4, 9).data.subarray(0, 12))).toEqual([
      28, 65, 102, 194, 39, 76, 105, 142, 115, 79, 116, 89,
    ]);
    expect(Array.from(image.resizeLinear(src, 6, 4).data)).toEqual(Array.from(src.data));
  });

  it('interpolates a row at half-pixel centres', () => {
    const row: Rgb = { width: 2, height: 1, channels: 1, data: Uint8Array.from([0, 255]) };
    expect(Array.from(image.resizeLinear(row, 4, 1).data)).toEqual([0, 64, 191, 255]);
  });

  it('keeps the aspect ratio up to the full width, PaddleOCR style', () => {
    expect(image.resizedWidth(100, 48, paddle)).toBe(100);
    expect(image.resizedWidth(101, 50, paddle)).toBe(97); // ceil(48 * 2.02)
    expect(image.resizedWidth(1000, 30, paddle)).toBe(320);
    expect(image.resizedWidth(100, 48, { ...paddle, keepAspect: false })).toBe(320);
  });

  it('normalises in float32 as numpy does (x / 255 - 0.5) / 0.5', () => {
    const table = image.normalisationTable(1 / 255, 0.5, 0.5);
    expect(table[0]).toBe(-1);
    expect(table[255]).toBe(1);
    const f = Math.fround;
    expect(table[77]).toBe(f(f(f(77 / 255) - 0.5) / 0.5));
  });

  it('writes NCHW in the colour order asked, padded with zeros on the right', () => {
    // 2x1 image: red then blue. Height 2 (doubled), width 6 with keepAspect -> resized width 4.
    const img: Rgb = { width: 2, height: 1, data: Uint8Array.from([255, 0, 0, 0, 0, 255]) };
    const pre: ImagePre = { ...paddle, width: 6, height: 2 };
    const out = image.preprocessImage(img, pre);
    expect(out).toHaveLength(3 * 2 * 6);
    const at = (c: number, y: number, x: number) => out[c * 12 + y * 6 + x];
    // BGR: channel 0 is blue, which is 0 at the left (red) pixel and 255 at the right.
    expect([at(0, 0, 0), at(0, 0, 3)]).toEqual([-1, 1]);
    expect([at(2, 0, 0), at(2, 0, 3)]).toEqual([1, -1]);
    expect([at(1, 1, 0), at(1, 1, 3)]).toEqual([-1, -1]);
    for (let c = 0; c < 3; c++) for (const y of [0, 1]) expect([at(c, y, 4), at(c, y, 5)]).toEqual([0, 0]);
    const rgb = image.preprocessImage(img, { ...pre, colorOrder: 'RGB' });
    expect(rgb[0]).toBe(1);
  });

  it('stretches to the full size without keepAspect, and makes one gray channel when asked', () => {
    const img: Rgb = { width: 1, height: 1, data: Uint8Array.from([255, 255, 255]) };
    const out = image.preprocessImage(img, {
      ...paddle,
      width: 4,
      height: 2,
      keepAspect: false,
      channels: 1,
    });
    expect(Array.from(out)).toEqual(new Array(8).fill(1));
  });

  it('expands a grayscale PNG to three equal channels', () => {
    const p = new PNG({ width: 1, height: 1, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    p.data = Buffer.from([200]);
    const bytes = PNG.sync.write(p, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
    expect(Array.from(image.decodeImage(bytes, 'g').data)).toEqual([200, 200, 200]);
  });
});

describe('CTC greedy decoding', () => {
  it('reads labels as PaddleOCR does: class i + 1 is line i, a space appended last', () => {
    const labels = post.parseLabels('a\r\nb\n\nc\n', true);
    expect(labels).toEqual(['a', 'b', '', 'c', ' ']);
    expect(post.ctcClasses(labels, 0)).toEqual([null, 'a', 'b', '', 'c', ' ']);
    expect(post.ctcClasses(['a', 'b'], 2)).toEqual(['a', 'b', null]);
  });

  const classes = [null, 'a', 'b', ' '];
  const steps = (...rowsOfProbs: number[][]) => Float32Array.from(rowsOfProbs.flat());

  it('merges repeats, drops blanks, keeps a repeat split by a blank', () => {
    const probs = steps(
      [0.1, 0.9, 0, 0],
      [0.2, 0.8, 0, 0],
      [0.7, 0.3, 0, 0],
      [0.4, 0.6, 0, 0],
      [0, 0, 0.5, 0.5],
      [0, 0.1, 0.1, 0.8],
    );
    const { text, confidence } = post.ctcGreedyDecode(probs, 0, 6, classes, 0);
    expect(text).toBe('aab ');
    // first step of each kept run: 0.9, 0.6, 0.5 (first maximum wins the tie), 0.8
    expect(confidence).toBeCloseTo((0.9 + 0.6 + 0.5 + 0.8) / 4, 6);
  });

  it('gives empty text with confidence 0 when only blanks come out, and honours the offset', () => {
    const probs = steps([0, 1, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]);
    expect(post.ctcGreedyDecode(probs, 4, 2, classes, 0)).toEqual({ text: '', confidence: 0 });
    expect(post.ctcGreedyDecode(probs, 0, 1, classes, 0)).toEqual({ text: 'a', confidence: 1 });
  });

  it('argmax over the last axis, first maximum on ties', () => {
    const data = Float32Array.from([1, 3, 3, 0, -1, 5, 2, 2]);
    expect(post.argmaxLastAxis(data, 0, [2, 4])).toEqual({ argmax: [1, 1], max: [3, 5] });
    expect(post.argmaxLastAxis(data, 4, [4])).toEqual({ argmax: [1], max: [5] });
  });
});

describe('inline tensors', () => {
  it('accepts dims + data or a nested array, checked against the per-row signature', () => {
    const a = tensor.parseInlineTensor('x', { dims: [2, 2], data: [1, 2, 3, 4] }, 'float32', [-1, 2]);
    expect(a.dims).toEqual([2, 2]);
    expect(a.data).toBeInstanceOf(Float32Array);
    const b = tensor.parseInlineTensor('x', [[1, 2], [3, 4]], 'int64', [2, 2]); // prettier-ignore
    expect(values(b.data)).toEqual([1n, 2n, 3n, 4n]);
    expect(tensor.parseInlineTensor('s', 7, 'int32', []).dims).toEqual([]);
  });

  it.each([
    [{ dims: [3], data: [1, 2] }, 'float32', [3], 'input x: data has 2 values, dims [3] need 3'],
    [{ dims: [2], data: [1, 2] }, 'float32', [3], "input x: dims [2] do not match the model's [3]"],
    [[[1, 2], [3]], 'float32', [-1, -1], 'input x: nested array is ragged at [1]'],
    [[300], 'uint8', [1], 'input x: value 300 at index 0 is out of range for uint8'],
    [[1.5], 'int32', [1], 'input x: value at index 0 is 1.5, not an integer'],
    [['1'], 'float32', [1], 'input x: value at index 0 is "1", not a number'],
    [{ dims: [1], data: [1], extra: 1 }, 'float32', [1], 'input x: unknown key "extra"'],
    ['abc', 'float32', [1], 'input x: expected {"dims":[…],"data":[…]} or a nested array'],
  ])('refuses %j as %s %j', (value, type, sig, message) => {
    expect(() => tensor.parseInlineTensor('x', value, type, sig)).toThrow(message);
  });

  it('takes int64 beyond 2^53 as decimal strings', () => {
    const t = tensor.parseInlineTensor('i', ['9223372036854775807', -3], 'int64', [2]);
    expect(values(t.data)).toEqual([9223372036854775807n, -3n]);
  });

  it('writes numbers in JS default formatting, exact for float32, null for NaN', () => {
    const data = Float32Array.from([0.1, 1, -2.5, NaN]);
    const json = tensor.tensorJson('float32', [4], data);
    expect(json).toBe('{"dims":[4],"data":[0.10000000149011612,1,-2.5,null]}');
    expect(Math.fround(JSON.parse(json).data[0])).toBe(data[0]);
    expect(tensor.tensorJson('int64', [1], BigInt64Array.from([2n ** 60n]))).toBe(
      '{"dims":[1],"data":[1152921504606846976]}',
    );
    expect(tensor.tensorJson('bool', [2], Uint8Array.from([1, 0]))).toBe('{"dims":[2],"data":[true,false]}');
  });
});

describe('rows', () => {
  const imageCtx = { imageMode: true, inline: [] as Signature[] };
  const inlineCtx = { imageMode: false, inline: [{ name: 'x', type: 'float32', dims: [-1, 2] }] };

  it('parses an image row and keeps its id', () => {
    const row = rows.parseRow('{"id":"a","image":"images/ab","extra":1}', imageCtx);
    expect(row).toMatchObject({ hasId: true, id: 'a', image: 'images/ab', error: null });
    expect(rows.parseRow('{"image":"images/ab"}', imageCtx).hasId).toBe(false);
    expect(rows.parseRow('{"id":null,"image":"i"}', imageCtx)).toMatchObject({ hasId: true, id: null });
  });

  it.each([
    ['', imageCtx, 'the line is empty'],
    ['{"image":', imageCtx, 'the line is not JSON'],
    ['[1]', imageCtx, 'the line is not a JSON object'],
    ['{"id":{"a":1},"image":"i"}', imageCtx, '"id" must be a string, number, boolean or null'],
    ['{"id":1}', imageCtx, '"image" must be the path of a PNG or JPEG under /in'],
    [
      '{"image":"i","inputs":{"x":[1,2]}}',
      imageCtx,
      '"inputs" has "x", which is not an input the row supplies',
    ],
    ['{"inputs":{}}', inlineCtx, '"inputs" lacks x'],
    ['{"inputs":{"x":[1,2],"y":[1]}}', inlineCtx, '"inputs" has "y"'],
    [
      '{"image":"i","inputs":{"x":[1,2]}}',
      inlineCtx,
      '"image" is given but the spec has no image preprocess',
    ],
    ['{"id":5,"inputs":{"x":[1,2,3]}}', inlineCtx, "input x: dims [3] do not match the model's [2]"],
  ])('turns %s into a row error', (line, ctx, message) => {
    const row = rows.parseRow(line, ctx);
    expect(row.error?.message).toContain(message);
  });

  it('keeps the id of a row that fails validation', () => {
    expect(rows.parseRow('{"id":5,"inputs":{"x":[1]}}', inlineCtx)).toMatchObject({ hasId: true, id: 5 });
  });

  it('resolves images under the input directory only', () => {
    expect(rows.resolveImagePath('/in', 'images/ab')).toBe('/in/images/ab');
    expect(() => rows.resolveImagePath('/in', '../etc/passwd')).toThrow('points outside the input directory');
    expect(() => rows.resolveImagePath('/in', '/etc/passwd')).toThrow('must be a path relative');
  });

  it('counts and streams lines: CRLF, blank lines, an unterminated last line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-rows-'));
    try {
      const cases: [string, string[]][] = [
        ['a\nb\n', ['a', 'b']],
        ['a\r\n\r\nb', ['a', '', 'b']],
        ['', []],
        ['\n', ['']],
      ];
      for (const [content, lines] of cases) {
        const file = path.join(dir, 'rows.jsonl');
        fs.writeFileSync(file, content);
        const got: string[] = [];
        for await (const line of rows.readLines(file)) got.push(line);
        expect(got).toEqual(lines);
        expect(rows.countRows(file)).toBe(lines.length);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('spec', () => {
  const paddleSpec = {
    batchSize: 8,
    threads: 2,
    inputs: [{ name: 'x', type: 'float32', dims: [-1, 3, 48, 320] }],
    outputs: [{ name: 'y', type: 'float32', dims: [-1, -1, 6625] }],
    preprocess: { type: 'image', input: 'x', width: 320, height: 48, keepAspect: true, colorOrder: 'BGR' },
    postprocess: { type: 'ctc_greedy', output: 'y', labels: '/in/labels.txt', appendSpace: true },
  };
  const model = {
    inputs: [{ name: 'x', type: 'float32', dims: [-1, 3, 48, -1] }],
    outputs: [{ name: 'y', type: 'float32', dims: [-1, -1, 6625] }],
  };

  it('fills the defaults', () => {
    const spec = specs.parseSpec(paddleSpec);
    expect(spec).toMatchObject({ batchSize: 8, threads: 2, device: 'cpu', firstRow: 0 });
    expect(spec.preprocess).toMatchObject({ channels: 3, scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] });
    const single = specs.parseSpec({ ...paddleSpec, preprocess: { ...paddleSpec.preprocess, mean: [0.5] } });
    expect(single.preprocess?.mean).toEqual([0.5, 0.5, 0.5]);
  });

  it('lists every problem at once', () => {
    const bad = {
      ...paddleSpec,
      batchSize: 0,
      device: 'tpu',
      preprocess: { ...paddleSpec.preprocess, height: 32 },
    };
    expect(() => specs.parseSpec(bad)).toThrow(
      /batchSize must be an integer from 1 to 4096.*device must be "cpu" or "cuda".*must be NCHW matching \[-1,3,32,320\]/,
    );
  });

  it('narrows the model signature with the spec and checks fixed dims and the batch', () => {
    const sig = specs.checkAgainstModel(specs.parseSpec(paddleSpec), model);
    expect(sig.inputs[0].dims).toEqual([-1, 3, 48, 320]);
    const fixedBatch = { ...model, inputs: [{ name: 'x', type: 'float32', dims: [1, 3, 48, 320] }] };
    expect(() => specs.checkAgainstModel(specs.parseSpec(paddleSpec), fixedBatch)).toThrow(
      'the model fixes the batch dim of x at 1; batchSize must be 1',
    );
    const narrowModel = { ...model, inputs: [{ name: 'x', type: 'float32', dims: [-1, 3, 32, -1] }] };
    expect(() => specs.checkAgainstModel(specs.parseSpec(paddleSpec), narrowModel)).toThrow(
      'input x has dims [-1,3,32,-1] in the model, not [-1,3,48,320]',
    );
    const renamed = { ...model, outputs: [{ name: 'z', type: 'float32', dims: [-1, -1, 6625] }] };
    expect(() => specs.checkAgainstModel(specs.parseSpec(paddleSpec), renamed)).toThrow(
      'the model has no output y',
    );
  });
});

describe('batching', () => {
  const inputs: Signature[] = [{ name: 'x', type: 'float32', dims: [-1, -1] }];
  const good = (...values: number[]): PreparedRow => ({
    tensors: new Map([['x', { dims: [values.length], data: Float32Array.from(values) }]]),
    error: null,
  });
  const failed = (): PreparedRow => ({ tensors: new Map(), error: new Error('bad row') });

  it('pads a partial batch and failed rows with zeros to exactly batchSize', () => {
    const { feeds } = batch.assembleBatch([good(1, 2), failed(), good(5, 6)], inputs, 4);
    expect(feeds?.x.dims).toEqual([4, 2]);
    expect(values(feeds?.x.data ?? [])).toEqual([1, 2, 0, 0, 5, 6, 0, 0]);
  });

  it('fails a row whose dynamic dims differ from the batch first good row', () => {
    const odd = good(1, 2, 3);
    const { feeds } = batch.assembleBatch([failed(), good(1, 2), odd], inputs, 3);
    expect(odd.error?.message).toContain("dims [3] differ from [2] of the batch's first row");
    expect(values(feeds?.x.data ?? [])).toEqual([0, 0, 1, 2, 0, 0]);
  });

  it('runs nothing when no row of the batch is good', () => {
    expect(batch.assembleBatch([failed()], inputs, 2).feeds).toBeNull();
  });

  it('splits outputs by the batch dim', () => {
    const t: Tensor = { type: 'float32', dims: [2, 3, 4], data: new Float32Array(24) };
    expect(batch.rowOfOutput('y', t, 2, 1)).toMatchObject({ dims: [3, 4], offset: 12, size: 12 });
    expect(() => batch.rowOfOutput('y', t, 4, 0)).toThrow('its first dim is not the batch size 4');
  });
});

describe('run (fake model)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-run-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  // y[b] = [sum of x[b], batch size seen]: shows padding, batch sizes and row order.
  function fakeModel(batches: number[][]): FakeModel {
    return {
      signature: {
        inputs: [{ name: 'x', type: 'float32', dims: [-1, 2] }],
        outputs: [{ name: 'y', type: 'float32', dims: [-1, 2] }],
      },
      async run(feeds) {
        const x = feeds.x;
        const n = x.dims[0];
        const y = new Float32Array(n * 2);
        const sums: number[] = [];
        for (let b = 0; b < n; b++) {
          y[b * 2] = Number(x.data[b * 2]) + Number(x.data[b * 2 + 1]);
          y[b * 2 + 1] = n;
          sums.push(y[b * 2]);
        }
        batches.push(sums);
        return { y: { type: 'float32', dims: [n, 2], data: y } };
      },
      async release() {},
    };
  }

  async function runWith(spec: object, lines: string[], batches: number[][] = []) {
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
    fs.writeFileSync(path.join(dir, 'rows.jsonl'), lines.map((l) => `${l}\n`).join(''));
    const progress: string[] = [];
    const summary = await run.runTask(
      {
        spec: path.join(dir, 'spec.json'),
        rows: path.join(dir, 'rows.jsonl'),
        model: path.join(dir, 'model.onnx'),
        out: path.join(dir, 'outputs.jsonl'),
        inDir: dir,
      },
      { progress: (line) => progress.push(line), open: async () => fakeModel(batches) },
    );
    const out = fs.readFileSync(path.join(dir, 'outputs.jsonl'), 'utf8');
    return { summary, progress, out: out.trimEnd().split('\n') };
  }

  const inlineSpec = {
    batchSize: 2,
    firstRow: 10,
    inputs: [{ name: 'x', type: 'float32', dims: [-1, 2] }],
    outputs: [{ name: 'y', type: 'float32', dims: [-1, 2] }],
    preprocess: null,
    postprocess: null,
  };

  it('writes one line per row in order, errors in place, every batch padded to batchSize', async () => {
    const batches: number[][] = [];
    const { summary, progress, out } = await runWith(
      inlineSpec,
      ['{"id":"a","inputs":{"x":[1,2]}}', 'not json', '{"inputs":{"x":{"dims":[2],"data":[0.1,4]}}}'],
      batches,
    );
    expect(out).toEqual([
      '{"row":10,"id":"a","outputs":{"y":{"dims":[2],"data":[3,2]}}}',
      expect.stringMatching(/^\{"row":11,"error":"the line is not JSON/),
      `{"row":12,"outputs":{"y":{"dims":[2],"data":[${Math.fround(0.1 + 4)},2]}}}`,
    ]);
    expect(batches).toEqual([[3, 0], [Math.fround(4.1), 0]]); // prettier-ignore
    expect(progress).toEqual([
      'TESSERA_PROGRESS {"done":2,"total":3}',
      'TESSERA_PROGRESS {"done":3,"total":3}',
    ]);
    expect(summary).toMatchObject({ rows: 3, errors: 1 });
    expect(fs.existsSync(path.join(dir, 'outputs.jsonl.partial'))).toBe(false);
  });

  it('runs image rows through preprocessing and CTC decoding', async () => {
    fs.mkdirSync(path.join(dir, 'images'));
    fs.writeFileSync(
      path.join(dir, 'images', 'ok'),
      png(2, 1, () => [255, 255, 255, 255]),
    );
    fs.writeFileSync(path.join(dir, 'images', 'bad'), 'hello there');
    fs.writeFileSync(path.join(dir, 'labels.txt'), 'a\nb\n');
    const spec = {
      batchSize: 4,
      inputs: [{ name: 'x', type: 'float32', dims: [-1, 3, 2, 4] }],
      outputs: [{ name: 'p', type: 'float32', dims: [-1, -1, 4] }],
      preprocess: { type: 'image', input: 'x', width: 4, height: 2, keepAspect: true, scale: 1 / 255 },
      postprocess: {
        type: 'ctc_greedy',
        output: 'p',
        labels: path.join(dir, 'labels.txt'),
        appendSpace: true,
      },
    };
    const seen: number[][] = [];
    // Each row: 2 time steps; 'b' where the first pixel is white, blank otherwise.
    const model: FakeModel = {
      signature: { inputs: spec.inputs, outputs: spec.outputs },
      async run(feeds) {
        const x = feeds.x;
        const n = x.dims[0];
        const rowSize = 3 * 2 * 4;
        const p = new Float32Array(n * 2 * 4);
        seen.push(Array.from({ length: n }, (_, b) => Number(x.data[b * rowSize])));
        for (let b = 0; b < n; b++) {
          const cls = x.data[b * rowSize] === 1 ? 2 : 0;
          for (let t = 0; t < 2; t++) p[b * 8 + t * 4 + cls] = 0.75;
        }
        return { p: { type: 'float32', dims: [n, 2, 4], data: p } };
      },
      async release() {},
    };
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
    fs.writeFileSync(
      path.join(dir, 'rows.jsonl'),
      '{"id":1,"image":"images/ok"}\n{"id":2,"image":"images/bad"}\n',
    );
    await run.runTask(
      {
        spec: path.join(dir, 'spec.json'),
        rows: path.join(dir, 'rows.jsonl'),
        model: 'm',
        out: path.join(dir, 'o.jsonl'),
        inDir: dir,
      },
      { progress: () => undefined, open: async () => model },
    );
    expect(fs.readFileSync(path.join(dir, 'o.jsonl'), 'utf8').split('\n')).toEqual([
      '{"row":0,"id":1,"outputs":{"text":"b","confidence":0.75}}',
      '{"row":1,"id":2,"error":"image images/bad is not a PNG or JPEG (starts with \\"hello th\\")"}',
      '',
    ]);
    expect(seen).toEqual([[1, 0, 0, 0]]);
  });

  it('fails the whole task with a code when the spec does not fit the model', async () => {
    const spec = { ...inlineSpec, inputs: [{ name: 'x', type: 'float32', dims: [-1, 3] }] };
    await expect(runWith(spec, ['{"inputs":{"x":[1,2,3]}}'])).rejects.toMatchObject({
      code: 'SPEC_INVALID',
      message: expect.stringContaining('input x has dims [-1,2] in the model, not [-1,3]'),
    });
    expect(fs.existsSync(path.join(dir, 'outputs.jsonl'))).toBe(false);
  });
});

describe('command line', () => {
  it('takes the spec as a file or inline, exactly one of them', () => {
    const common = ['--rows', 'r', '--model', 'm', '--out', 'o'];
    expect(cli.parseCommandLine(['run', '--spec', 's', ...common]).values.spec).toBe('s');
    expect(cli.parseCommandLine(['run', '--spec-json', '{}', ...common]).values['spec-json']).toBe('{}');
    expect(() => cli.parseCommandLine(['run', ...common])).toThrow('run needs --spec or --spec-json');
    expect(() => cli.parseCommandLine(['run', '--spec', 's', '--spec-json', '{}', ...common])).toThrow(
      'run needs --spec or --spec-json',
    );
    expect(() => cli.parseCommandLine(['inspect'])).toThrow(/inspect needs --model/);
    expect(() => cli.parseCommandLine(['inspect', '--model', 'm', '--bogus'])).toThrow(
      /Unknown option '--bogus'/,
    );
  });
});
