'use strict';
// `infer.js run`: rows.jsonl through the model in batches of exactly batchSize, one output line per
// row in input order. Holds one batch at a time; writes <out>.partial and renames it to <out> when
// complete, so <out> exists only for a finished task.
const fs = require('node:fs');
const { TaskError, RowError, messageOf } = require('./errors');
const { parseSpec, checkAgainstModel } = require('./spec');
const { countRows, readLines, parseRow, readImageFile } = require('./rows');
const { decodeImage, preprocessImage } = require('./image');
const { assembleBatch, rowOfOutput } = require('./batch');
const { parseLabels, ctcClasses, ctcGreedyDecode, argmaxLastAxis } = require('./postprocess');
const { tensorJson, formatDims } = require('./tensor');
const { openModel } = require('./session');

/** spec.json from a file (`--spec`) or inline (`--spec-json`, what the agent passes). */
function readSpec(file, inline) {
  let text = inline;
  const where = inline === undefined ? file : '--spec-json';
  if (inline === undefined) {
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new TaskError('SPEC_INVALID', `cannot read the spec ${file}: ${messageOf(error)}`);
    }
  }
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new TaskError('SPEC_INVALID', `${where} is not JSON: ${messageOf(error)}`);
  }
  return parseSpec(raw);
}

function loadCtcClasses(post) {
  let text;
  try {
    text = fs.readFileSync(post.labels, 'utf8');
  } catch (error) {
    throw new TaskError(
      'LABELS_UNREADABLE',
      `cannot read the labels file ${post.labels}: ${messageOf(error)}`,
    );
  }
  const labels = parseLabels(text, post.appendSpace);
  if (post.blankIndex > labels.length) {
    throw new TaskError(
      'SPEC_INVALID',
      `blankIndex ${post.blankIndex} is beyond the ${labels.length + 1} classes`,
    );
  }
  return ctcClasses(labels, post.blankIndex);
}

/** One row from its line: parsed, image decoded and preprocessed; `{ hasId, id, tensors, error }`. */
function prepareRow(line, ctx) {
  const row = parseRow(line, ctx);
  const result = { hasId: row.hasId, id: row.id, tensors: row.inputs, error: row.error };
  if (result.error || !ctx.imageMode) return result;
  try {
    const pre = ctx.preprocess;
    const image = decodeImage(readImageFile(ctx.inDir, row.image), row.image);
    result.tensors.set(pre.input, {
      dims: [pre.channels, pre.height, pre.width],
      data: preprocessImage(image, pre),
    });
  } catch (error) {
    if (!(error instanceof RowError)) throw error;
    result.error = error;
  }
  return result;
}

function rowLine(rowNumber, row, body) {
  const id = row.hasId ? `,"id":${JSON.stringify(row.id)}` : '';
  return `{"row":${rowNumber}${id},${body}}\n`;
}

/** The `"outputs"` JSON of row i of a batch's results. */
function outputsJson(ctx, results, i) {
  const post = ctx.postprocess;
  const B = ctx.batchSize;
  if (post && post.type === 'ctc_greedy') {
    const out = rowOfOutput(post.output, results[post.output], B, i);
    const { text, confidence } = ctcGreedyDecode(
      out.data,
      out.offset,
      out.dims[0],
      ctx.classes,
      post.blankIndex,
    );
    return `{"text":${JSON.stringify(text)},"confidence":${confidence}}`;
  }
  if (post && post.type === 'argmax') {
    const out = rowOfOutput(post.output, results[post.output], B, i);
    const { argmax, max } = argmaxLastAxis(out.data, out.offset, out.dims);
    const maxJson = max.map((v) => (Number.isFinite(v) ? String(v) : 'null')).join(',');
    return `{${JSON.stringify(post.output)}:{"argmax":${JSON.stringify(argmax)},"max":[${maxJson}]}}`;
  }
  const parts = ctx.fetches.map((name) => {
    const tensor = results[name];
    const out = rowOfOutput(name, tensor, B, i);
    const slice = tensor.data.slice(out.offset, out.offset + out.size);
    return `${JSON.stringify(name)}:${tensorJson(tensor.type, out.dims, slice)}`;
  });
  return `{${parts.join(',')}}`;
}

/** Runs one batch (rows: prepared rows, at most batchSize) and returns its output lines. */
async function runBatch(ctx, model, rows, firstIndex) {
  const { feeds } = assembleBatch(rows, ctx.inputs, ctx.batchSize);
  let results = null;
  if (feeds) {
    const first = ctx.firstRow + firstIndex;
    try {
      results = await model.run(feeds, ctx.fetches);
    } catch (error) {
      throw new TaskError(
        'RUN_FAILED',
        `the batch of rows ${first}-${first + rows.length - 1} failed: ${messageOf(error)}`,
      );
    }
    if (ctx.classes && !ctx.classesChecked) {
      const dims = results[ctx.postprocess.output].dims;
      if (dims.length !== 3 || dims[2] !== ctx.classes.length) {
        throw new TaskError(
          'SPEC_INVALID',
          `output ${ctx.postprocess.output} has dims ${formatDims(dims)}, but the labels file gives ` +
            `${ctx.classes.length} classes (its lines${ctx.postprocess.appendSpace ? ', a space' : ''} and the blank)`,
        );
      }
      ctx.classesChecked = true;
    }
  }
  let text = '';
  rows.forEach((row, i) => {
    const rowNumber = ctx.firstRow + firstIndex + i;
    if (row.error) {
      text += rowLine(rowNumber, row, `"error":${JSON.stringify(row.error.message)}`);
      return;
    }
    let body;
    try {
      body = `"outputs":${outputsJson(ctx, results, i)}`;
    } catch (error) {
      throw new TaskError('RUN_FAILED', messageOf(error));
    }
    text += rowLine(rowNumber, row, body);
  });
  ctx.errors += rows.filter((r) => r.error).length;
  return text;
}

/**
 * The whole task. `opts`: spec (a path) or specJson (its text), rows, model, out (paths) and inDir
 * (images resolve under it).
 * Resolves with a summary; throws TaskError for whole-task failures (no output file then).
 * `open` loads the model (session.openModel; tests pass a fake), `progress` gets the stdout lines.
 */
async function runTask(
  opts,
  { progress = (line) => process.stdout.write(`${line}\n`), open = openModel } = {},
) {
  const started = process.hrtime.bigint();
  const spec = readSpec(opts.spec, opts.specJson);
  const classes = spec.postprocess?.type === 'ctc_greedy' ? loadCtcClasses(spec.postprocess) : null;
  const total = countRows(opts.rows);
  const model = await open(opts.model, { threads: spec.threads, device: spec.device });
  const signature = checkAgainstModel(spec, model.signature);
  const imageMode = spec.preprocess !== null;
  const ctx = {
    batchSize: spec.batchSize,
    firstRow: spec.firstRow,
    inDir: opts.inDir,
    imageMode,
    preprocess: spec.preprocess,
    postprocess: spec.postprocess,
    inputs: signature.inputs,
    inline: signature.inputs.filter((i) => !imageMode || i.name !== spec.preprocess.input),
    fetches: spec.postprocess ? [spec.postprocess.output] : spec.outputs.map((o) => o.name),
    classes,
    classesChecked: false,
    errors: 0,
  };

  const partial = `${opts.out}.partial`;
  let fd;
  try {
    fd = fs.openSync(partial, 'w');
  } catch (error) {
    throw new TaskError('OUTPUT_FAILED', `cannot write ${partial}: ${messageOf(error)}`);
  }
  const write = (text) => {
    try {
      fs.writeSync(fd, text);
    } catch (error) {
      throw new TaskError('OUTPUT_FAILED', `cannot write ${partial}: ${messageOf(error)}`);
    }
  };
  let done = 0;
  let modelMs = 0;
  try {
    let batch = [];
    const flush = async () => {
      const t0 = process.hrtime.bigint();
      write(await runBatch(ctx, model, batch, done));
      modelMs += Number(process.hrtime.bigint() - t0) / 1e6;
      done += batch.length;
      batch = [];
      progress(`TESSERA_PROGRESS ${JSON.stringify({ done, total })}`);
    };
    for await (const line of readLines(opts.rows)) {
      batch.push(prepareRow(line, ctx));
      if (batch.length === ctx.batchSize) await flush();
    }
    if (batch.length > 0) await flush();
    if (done === 0) progress(`TESSERA_PROGRESS ${JSON.stringify({ done, total })}`);
    try {
      fs.closeSync(fd);
      fd = undefined;
      fs.renameSync(partial, opts.out);
    } catch (error) {
      throw new TaskError('OUTPUT_FAILED', `cannot write ${opts.out}: ${messageOf(error)}`);
    }
  } catch (error) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(partial, { force: true });
    throw error;
  } finally {
    await model.release();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rows: done, errors: ctx.errors, seconds, modelSeconds: modelMs / 1e3 };
}

module.exports = { runTask, prepareRow, outputsJson, runBatch, readSpec };
