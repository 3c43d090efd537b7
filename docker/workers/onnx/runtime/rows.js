'use strict';
// rows.jsonl: one JSON object per line, read as a stream. Every line is a row (a blank line too: it
// becomes an error line), except that the file may end with a newline. A row is
//   {"id"?: scalar, "image": "images/<sha256>", "inputs"?: {…}}   with an image preprocess
//   {"id"?: scalar, "inputs": {"<name>": {"dims":[…],"data":[…]} | nested array}}   without
// Keys other than id, image and inputs are ignored.
const fs = require('node:fs');
const path = require('node:path');
const { RowError, TaskError } = require('./errors');
const { parseInlineTensor } = require('./tensor');

/** Longest accepted line (a row with inline tensors): 256 MiB of JSON. */
const MAX_LINE_BYTES = 256 * 1024 * 1024;

/** Counts the rows of a file without holding it: its newlines, plus one for an unterminated last line. */
function countRows(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    throw new TaskError('ROWS_UNREADABLE', `cannot read the rows file ${file}: ${error.message}`);
  }
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let rows = 0;
    let last = 0x0a;
    let n;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) {
      for (let i = 0; i < n; i++) if (buf[i] === 0x0a) rows++;
      last = buf[n - 1];
    }
    return last === 0x0a ? rows : rows + 1;
  } catch (error) {
    throw new TaskError('ROWS_UNREADABLE', `cannot read the rows file ${file}: ${error.message}`);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The rows file's lines, one at a time (`\n` or `\r\n`), as an async iterator of strings; the final
 * newline ends the last line rather than starting an empty one.
 */
async function* readLines(file) {
  let stream;
  try {
    stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  } catch (error) {
    throw new TaskError('ROWS_UNREADABLE', `cannot read the rows file ${file}: ${error.message}`);
  }
  let pending = [];
  let pendingBytes = 0;
  try {
    for await (const chunk of stream) {
      let start = 0;
      let nl;
      while ((nl = chunk.indexOf(0x0a, start)) !== -1) {
        pending.push(chunk.subarray(start, nl));
        const line = Buffer.concat(pending).toString('utf8');
        pending = [];
        pendingBytes = 0;
        yield line.endsWith('\r') ? line.slice(0, -1) : line;
        start = nl + 1;
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > MAX_LINE_BYTES) {
          throw new TaskError('ROWS_UNREADABLE', `a line of ${file} is longer than ${MAX_LINE_BYTES} bytes`);
        }
      }
    }
  } catch (error) {
    if (error instanceof TaskError) throw error;
    throw new TaskError('ROWS_UNREADABLE', `cannot read the rows file ${file}: ${error.message}`);
  }
  if (pending.length > 0) {
    const line = Buffer.concat(pending).toString('utf8');
    yield line.endsWith('\r') ? line.slice(0, -1) : line;
  }
}

function isScalar(value) {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/**
 * Parses one line into `{ hasId, id, image, inputs }`: `image` the path as given (image mode),
 * `inputs` a map name -> `{ dims, data }` of the inline tensors the row must carry (`inline`: the
 * model inputs the preprocess does not produce, `{ name, type, dims }` with the batch dim).
 * Throws RowError; `hasId`/`id` are recovered whenever the line is an object, so error lines keep
 * their id.
 */
function parseRow(line, { imageMode, inline }) {
  const result = { hasId: false, id: undefined, image: undefined, inputs: new Map(), error: null };
  let value;
  try {
    value = JSON.parse(line);
  } catch (error) {
    result.error = new RowError(
      line.trim() === '' ? 'the line is empty' : `the line is not JSON (${error.message})`,
    );
    return result;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    result.error = new RowError('the line is not a JSON object');
    return result;
  }
  try {
    if ('id' in value) {
      if (!isScalar(value.id)) throw new RowError('"id" must be a string, number, boolean or null');
      result.hasId = true;
      result.id = value.id;
    }
    if (imageMode) {
      if (typeof value.image !== 'string')
        throw new RowError('"image" must be the path of a PNG or JPEG under /in');
      result.image = value.image;
    } else if ('image' in value) {
      throw new RowError('"image" is given but the spec has no image preprocess');
    }
    if (inline.length > 0 || value.inputs !== undefined) {
      const given = value.inputs;
      if (given === null || typeof given !== 'object' || Array.isArray(given)) {
        throw new RowError(`"inputs" must be an object holding ${inline.map((i) => i.name).join(', ')}`);
      }
      for (const name of Object.keys(given)) {
        if (!inline.some((i) => i.name === name)) {
          throw new RowError(`"inputs" has ${JSON.stringify(name)}, which is not an input the row supplies`);
        }
      }
      for (const input of inline) {
        if (!(input.name in given)) throw new RowError(`"inputs" lacks ${input.name}`);
        result.inputs.set(
          input.name,
          parseInlineTensor(input.name, given[input.name], input.type, input.dims.slice(1)),
        );
      }
    }
  } catch (error) {
    if (!(error instanceof RowError)) throw error;
    result.error = error;
  }
  return result;
}

/**
 * The absolute path of a row's image: relative to the input directory, no absolute paths, no `..`
 * escaping it. Throws RowError.
 */
function resolveImagePath(inDir, relative) {
  if (relative === '' || path.isAbsolute(relative) || relative.includes('\0')) {
    throw new RowError(`image ${JSON.stringify(relative)} must be a path relative to the input directory`);
  }
  const root = path.resolve(inDir);
  const full = path.resolve(root, relative);
  if (full !== root && !full.startsWith(root + path.sep)) {
    throw new RowError(`image ${relative} points outside the input directory`);
  }
  return full;
}

/** Reads an image file, turning file-system failures into row errors. */
function readImageFile(inDir, relative) {
  const full = resolveImagePath(inDir, relative);
  try {
    const stat = fs.statSync(full);
    if (!stat.isFile()) throw new RowError(`image ${relative} is not a file`);
    return fs.readFileSync(full);
  } catch (error) {
    if (error instanceof RowError) throw error;
    if (error.code === 'ENOENT') throw new RowError(`image ${relative} does not exist`);
    throw new RowError(`image ${relative} cannot be read: ${error.message}`);
  }
}

module.exports = { MAX_LINE_BYTES, countRows, readLines, parseRow, resolveImagePath, readImageFile };
