import type { ApiError, LineProblem } from '../api/errors';
import type { ModelView, SubmitInferenceBatchInput, TensorView } from '../api/operations';

/** Rows are pasted into the form or uploaded as a .jsonl file. */
export type RowsSource = 'paste' | 'file';

/** What the inference form holds, as typed. */
export interface InferenceFormValues {
  name: string;
  model: string;
  source: RowsSource;
  rowsText: string;
  shardRows: string;
  maxPrice: string;
  device: 'ANY' | 'CPU' | 'GPU';
}

export type InferenceField = 'name' | 'model' | 'rows' | 'images' | 'shardRows' | 'maxPrice' | 'device';
export type InferenceErrors = Partial<Record<InferenceField, string>>;

export const EMPTY_INFERENCE_FORM: InferenceFormValues = {
  name: '',
  model: '',
  source: 'paste',
  rowsText: '',
  shardRows: '',
  maxPrice: '',
  device: 'ANY',
};

/**
 * Rows a paste box takes; bigger batches go up as a file (the coordinator has its own limit and
 * reads files line by line).
 */
export const MAX_PASTED_ROWS = 5_000;

/** Problems listed next to the rows field; the rest are counted. */
const SHOWN_PROBLEMS = 5;

export interface PastedRows {
  /** The non-blank lines: each one is a row. */
  rows: number;
  problems: LineProblem[];
  /** Problems beyond the ones listed. */
  more: number;
}

/**
 * Checks pasted JSONL the way the coordinator reads it: one row per line, blank lines skipped but
 * counted, so line numbers match the editor's (and the coordinator's). Only the syntax is checked
 * here: each row against the model is the coordinator's job, and it names the lines it refuses.
 */
export function parsePastedRows(text: string, maxRows = MAX_PASTED_ROWS): PastedRows {
  const problems: LineProblem[] = [];
  let more = 0;
  let rows = 0;
  const note = (line: number, message: string) => {
    if (problems.length < SHOWN_PROBLEMS) problems.push({ line, message });
    else more++;
  };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    if (rows >= maxRows) {
      return {
        rows,
        problems: [
          {
            line: i + 1,
            message: `more than ${maxRows} rows pasted; upload a batch this large as a .jsonl file`,
          },
        ],
        more: 0,
      };
    }
    rows++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      note(
        i + 1,
        `not JSON: ${JSON.stringify(line.trim().slice(0, 40))}${line.trim().length > 40 ? '…' : ''}`,
      );
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      note(
        i + 1,
        `a row must be a JSON object, not ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`,
      );
  }
  return { rows, problems, more };
}

/** "line 3: missing "image"" per line, one a line: what the rows field shows. */
export function describeLines(lines: readonly LineProblem[], more = 0): string {
  const text = lines.map((l) => `line ${l.line}: ${l.message}`).join('\n');
  return more ? `${text}\n(and ${more} more)` : text;
}

/**
 * Checks what can be checked before anything is sent and builds the mutation input, less `rows`
 * (the SHA-256 of the upload: the chosen file's, or the pasted text's once it is uploaded).
 */
export function validateInferenceForm(
  values: InferenceFormValues,
  file: string | null,
  maxPastedRows = MAX_PASTED_ROWS,
): { input: Omit<SubmitInferenceBatchInput, 'rows'> | null; rows: number | null; errors: InferenceErrors } {
  const errors: InferenceErrors = {};
  if (!values.model) errors.model = 'Choose one of your registered models.';
  let rows: number | null = null;
  if (values.source === 'paste') {
    if (!values.rowsText.trim()) errors.rows = 'Paste at least one row: one JSON object per line.';
    else {
      const pasted = parsePastedRows(values.rowsText, maxPastedRows);
      if (pasted.problems.length) errors.rows = describeLines(pasted.problems, pasted.more);
      rows = pasted.rows;
    }
  } else if (!file) errors.rows = 'Choose a .jsonl file and wait for its upload to finish.';
  const shardRows = values.shardRows.trim();
  if (shardRows && (!/^\d+$/.test(shardRows) || Number(shardRows) < 1))
    errors.shardRows = 'A whole number of rows, 1 or more.';
  const maxPrice = values.maxPrice.trim();
  if (maxPrice && !/^\d+(\.\d{1,6})?$/.test(maxPrice))
    errors.maxPrice = 'Tokens as a decimal number (at most 6 decimals), e.g. 2.5.';
  if (Object.keys(errors).length) return { input: null, rows, errors };

  const input: Omit<SubmitInferenceBatchInput, 'rows'> = { model: values.model };
  if (values.name.trim()) input.name = values.name.trim();
  if (shardRows) input.shardRows = Number(shardRows);
  if (maxPrice) input.maxPrice = maxPrice;
  if (values.device !== 'ANY') input.device = values.device;
  return { input, rows, errors };
}

const FIELD_OF_API: Record<string, InferenceField> = {
  model: 'model',
  rows: 'rows',
  shardRows: 'shardRows',
  maxPrice: 'maxPrice',
  device: 'device',
  name: 'name',
};

/** The form field an API error names (`extensions.field`), if it is one the form has. */
export function inferenceFieldOf(apiField: string | undefined): InferenceField | null {
  if (!apiField) return null;
  return FIELD_OF_API[apiField.split('.')[0]] ?? null;
}

/**
 * What the form shows next to the field an API error names: for refused rows, each line the
 * coordinator listed on its own line ("line 3: missing "image" …"); otherwise its message.
 */
export function fieldErrorText(error: ApiError): string {
  if (!error.lines.length) return error.detail;
  const more = /\(and (\d+) more\)$/.exec(error.detail);
  return `The model cannot take these rows; nothing was queued:\n${describeLines(error.lines, more ? Number(more[1]) : 0)}`;
}

/** [-1, 3, 48, 320] → "3×48×320": the dimensions of one row (the batch dimension left out). */
export function rowDims(tensor: TensorView): string {
  const dims = tensor.dims.slice(1);
  return dims.length ? dims.map((d) => (d < 0 ? '?' : String(d))).join('×') : 'scalar';
}

/** What one row of a batch for this model looks like, as a JSON line. */
export function exampleRow(model: ModelView): string {
  if (model.preprocess)
    return '{"id": "a", "image": "<a picked PNG or JPEG, or the SHA-256 of an uploaded one>"}';
  const inputs = model.inputs.map((t) => `"${t.name}": ${exampleTensor(t)}`).join(', ');
  return `{"id": "a", "inputs": {${inputs}}}`;
}

/** A small tensor written out in zeros; a large or open-ended one as dims + data. */
function exampleTensor(t: TensorView): string {
  const dims = t.dims.slice(1).map((d) => (d < 0 ? 1 : d));
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > 8) return `{"dims": [${dims.join(', ')}], "data": [${count} numbers]}`;
  const nest = (level: number): string =>
    level === dims.length
      ? '0'
      : `[${Array.from({ length: dims[level] }, () => nest(level + 1)).join(', ')}]`;
  return nest(0);
}

/** Tokens a batch costs at the market price (the coordinator's own estimate: rows × ms per row). */
export function estimateInferenceCost(rows: number, msPerRow: number | null, perCpuSecond: number): number {
  return ((rows * (msPerRow ?? DEFAULT_MS_PER_ROW)) / 1000) * perCpuSecond;
}

/** The coordinator's guess for models it could not time at registration. */
const DEFAULT_MS_PER_ROW = 20;
