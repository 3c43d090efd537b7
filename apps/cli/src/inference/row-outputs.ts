import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Output } from '../cli-context';
import { CliError } from '../cli-error';
import type { JobSummary } from '../api/operations';
import type { TesseraApi } from '../api/tessera-api';
import { TransferProgress } from '../ui/transfer-progress';

/** Row errors printed in a summary; the rest are counted. */
export const SHOWN_ROW_ERRORS = 5;

export interface RowError {
  row: number;
  id?: string | number | null;
  error: string;
}

/** What an outputs JSONL holds: one line per row, `{"row", "id"?, "outputs"}` or `{"row", "id"?, "error"}`. */
export interface RowOutputsSummary {
  rows: number;
  rowsWithErrors: number;
  /** The first few row errors, in row order. */
  errors: RowError[];
}

/**
 * Downloads an inference job's merged outputs (`outputsUrl`, once COMPLETED) to `dest`. Bytes go to
 * `dest.part` and are renamed into place only when complete, so `dest` is never half a file.
 */
export async function downloadRowOutputs(
  out: Output,
  api: TesseraApi,
  job: Pick<JobSummary, 'id' | 'state'> & { outputsUrl: string | null },
  dest: string,
): Promise<void> {
  if (!job.outputsUrl)
    throw new CliError(`job ${job.id} has no outputs (${job.state}): only a COMPLETED batch has them`);
  await mkdir(dirname(dest), { recursive: true });
  const progress = new TransferProgress(out, 'downloading outputs', 0);
  try {
    await api.blobs.download(job.outputsUrl, dest, { onBytes: (n) => progress.add(n), label: dest });
  } catch (error) {
    progress.abandon();
    throw error;
  }
  progress.finish(`downloaded outputs to ${dest}`);
}

/** Reads an outputs JSONL line by line: rows, rows with an error, and the first few errors. */
export async function summarizeRowOutputs(path: string): Promise<RowOutputsSummary> {
  const summary: RowOutputsSummary = { rows: 0, rowsWithErrors: 0, errors: [] };
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      if (!text.trim()) continue;
      const index = summary.rows++;
      let line: { row?: unknown; id?: unknown; outputs?: unknown; error?: unknown };
      try {
        line = JSON.parse(text) as typeof line;
      } catch {
        line = { row: index, error: `line ${index + 1} of the outputs is not JSON` };
      }
      const failed =
        typeof line.error === 'string' || line.outputs === null || typeof line.outputs !== 'object';
      if (!failed) continue;
      summary.rowsWithErrors++;
      if (summary.errors.length < SHOWN_ROW_ERRORS) {
        const id = line.id;
        summary.errors.push({
          row: typeof line.row === 'number' ? line.row : index,
          ...(typeof id === 'string' || typeof id === 'number' || id === null ? { id } : {}),
          error: typeof line.error === 'string' ? line.error : 'neither outputs nor an error',
        });
      }
    }
  } finally {
    lines.close();
  }
  return summary;
}

/** Human lines about the rows: all fine, or how many failed and the first few errors with row and id. */
export function describeRowOutputs(s: RowOutputsSummary): string[] {
  if (s.rowsWithErrors === 0)
    return [s.rows === 1 ? 'the row has outputs' : `all ${s.rows} rows have outputs`];
  const lines = [
    `${s.rowsWithErrors} of ${s.rows} rows failed; the job still completed: their lines carry "error" instead of "outputs"`,
  ];
  for (const e of s.errors)
    lines.push(`  row ${e.row}${e.id === undefined ? '' : ` (id ${JSON.stringify(e.id)})`}: ${e.error}`);
  const more = s.rowsWithErrors - s.errors.length;
  if (more > 0) lines.push(`  … and ${more} more`);
  return lines;
}
