import { createHash } from 'node:crypto';
import type { OutputFile } from '@tessera/protocol';
import { CommittedItem, OutputReader, WorkloadOutputError } from '../workload';

/**
 * JSON with object keys sorted recursively (by UTF-16 code units, JavaScript's default order) and
 * no whitespace; arrays keep their order, strings and numbers are written as JSON.stringify writes
 * them (shortest round-trip numbers, so `1.0`, `1` and `1e0` are all `1`). For I-JSON input (no
 * duplicate keys, no lone surrogates) this is RFC 8785 (JCS) serialisation.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    // Written out directly rather than rebuilt as an object: a "__proto__" key stays a plain key.
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * An inference shard's items: one per row, in row order, keyed `row-<n>` with n the row's number in
 * the batch (the line's `row` field, counted from 0). Each hash is the SHA-256 of the UTF-8 bytes of
 * the canonical JSON (canonicalJson) of the row's line in outputs.jsonl.
 */
export async function rowItems(
  t: { firstRow: number; rows: number },
  file: OutputFile | undefined,
  read: OutputReader,
): Promise<CommittedItem[]> {
  if (!file) throw new WorkloadOutputError('outputs.jsonl is missing');
  const lines = (await read(file)).toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== t.rows)
    throw new WorkloadOutputError(`outputs.jsonl has ${lines.length} lines for ${t.rows} rows`);
  return lines.map((line, i) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new WorkloadOutputError(`line ${i + 1} of outputs.jsonl is not JSON`);
    }
    return {
      key: `row-${t.firstRow + i}`,
      sha256: createHash('sha256').update(canonicalJson(parsed), 'utf8').digest('hex'),
    };
  });
}
