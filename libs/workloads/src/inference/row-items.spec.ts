import { merkleRoot, sha256Hex } from '@tessera/crypto';
import type { OutputFile } from '@tessera/protocol';
import { TaskSpec, WorkloadOutputError } from '../workload';
import { InferenceWorkload } from './inference.workload';
import { canonicalJson } from './row-items';

const sut = new InferenceWorkload({
  image: 'tessera/onnx:1',
  gpuImage: 'tessera/onnx:1-cuda',
  targetShardSeconds: 30,
  maxRows: 1000,
  checkRows: 6,
});

const task: TaskSpec = {
  index: 1,
  params: { firstRow: 8, rows: 2, batchSize: 8 },
  image: 'tessera/onnx:1',
  requirements: { cpus: 1, memoryBytes: 1, gpus: 0, vramBytes: 0 },
  timeoutSec: 60,
  inputs: [],
};
const file: OutputFile = { path: 'outputs.jsonl', sha256: sha256Hex('o'), size: 10 };
const items = (text: string) => sut.commitItems(task, [file], async () => Buffer.from(text));

describe('canonicalJson', () => {
  it('sorts keys recursively, keeps array order and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('writes numbers and strings one way only', () => {
    expect(canonicalJson(JSON.parse('{"x":1.0,"y":1e2,"z":"\\u0041\\n","w":-0}'))).toBe(
      '{"w":0,"x":1,"y":100,"z":"A\\n"}',
    );
  });

  it('keeps a "__proto__" key as a plain key', () => {
    expect(canonicalJson(JSON.parse('{"b":2,"__proto__":{"a":1}}'))).toBe('{"__proto__":{"a":1},"b":2}');
  });
});

describe('InferenceWorkload.commitItems', () => {
  it('gives one item per row, in row order, keyed by row number and hashed over canonical JSON', async () => {
    expect(await items('{"row":8,"outputs":{"text":"hi","p":0.5}}\n{"row":9,"error":"not a PNG"}\n')).toEqual(
      [
        { key: 'row-8', sha256: sha256Hex('{"outputs":{"p":0.5,"text":"hi"},"row":8}') },
        { key: 'row-9', sha256: sha256Hex('{"error":"not a PNG","row":9}') },
      ],
    );
  });

  it('hashes the same row equally whatever its key order and spacing', async () => {
    const a = await items('{"row":8,"outputs":{"label":"cat","score":0.25}}\n{"row":9,"outputs":{}}');
    const b = await items(
      '{ "outputs": { "score": 2.5e-1, "label": "cat" }, "row": 8 }\r\n{"outputs":{},"row":9}\n',
    );
    expect(b).toEqual(a);
    const c = await items('{"row":8,"outputs":{"label":"dog","score":0.25}}\n{"row":9,"outputs":{}}');
    expect(c[0].sha256).not.toBe(a[0].sha256);
    expect(c[1]).toEqual(a[1]);
  });

  it('gives the commitment of the worked example in docs/protocol.md', async () => {
    const example = {
      ...task,
      params: { firstRow: 40, rows: 2, batchSize: 2 },
    };
    const text =
      '{"row":40,"outputs":{"text":"HELLO","score":0.97}}\n{"row":41,"error":"image is not a PNG or JPEG"}\n';
    const rows = await sut.commitItems(example, [file], async () => Buffer.from(text));
    expect(rows.map((r) => r.sha256.slice(0, 8))).toEqual(['73633f34', '577555c4']);
    expect(merkleRoot(rows.map((r) => Buffer.from(r.sha256, 'hex'))).toString('hex')).toBe(
      '1c80b743e6365264c2eb23100f20562987f4c0b69bf35503e7ec49e8a83450b8',
    );
  });

  it('refuses a file with the wrong number of lines or a line that is not JSON', async () => {
    await expect(items('{"row":8,"outputs":{}}\n')).rejects.toThrow(/1 lines for 2 rows/);
    await expect(items('{"row":8,"outputs":{}}\nnope\n')).rejects.toThrow(WorkloadOutputError);
    await expect(sut.commitItems(task, [], async () => Buffer.alloc(0))).rejects.toThrow(/missing/);
  });
});
