'use strict';
// `infer.js inspect`: the model's signature and a CPU speed estimate (ms per row).
const { TaskError } = require('./errors');
const { allocate, isFeedable } = require('./tensor');
const { openModel } = require('./session');

/**
 * The batch size and the full dims of every input for the benchmark. The batch dim (dim 0) is the
 * model's where it fixes one, else `batchSize`, else the first entry of the input's benchShape,
 * else 1. Another dynamic dim takes benchShape's value at its position; where there is none (or an
 * input cannot be fed zeros) `shapes` is null and `reason` says why.
 */
function benchShapes(inputs, { batchSize, benchShape }) {
  const shapes = benchShape ?? {};
  let batch = null;
  for (const input of inputs) {
    if (input.dims && input.dims.length > 0 && input.dims[0] > 0) batch = input.dims[0];
  }
  if (batch === null) batch = batchSize ?? null;
  if (batch === null) {
    const first = inputs.map((i) => shapes[i.name]?.[0]).find((d) => Number.isInteger(d) && d > 0);
    batch = first ?? 1;
  }
  const result = {};
  for (const input of inputs) {
    if (!isFeedable(input.type))
      return { batchSize: batch, shapes: null, reason: `input ${input.name} is ${input.type}` };
    if (!input.dims || input.dims.length === 0) {
      return { batchSize: batch, shapes: null, reason: `input ${input.name} has no batch dim` };
    }
    const given = shapes[input.name];
    const dims = [batch];
    for (let i = 1; i < input.dims.length; i++) {
      if (input.dims[i] >= 0) dims.push(input.dims[i]);
      else if (Array.isArray(given) && Number.isInteger(given[i]) && given[i] > 0) dims.push(given[i]);
      else {
        return {
          batchSize: batch,
          shapes: null,
          reason: `dim ${i} of input ${input.name} is dynamic; give it with --bench-shape`,
        };
      }
    }
    result[input.name] = dims;
  }
  return { batchSize: batch, shapes: result, reason: null };
}

/** Mean wall time per row (ms, 4 significant digits) of zero-filled batches: one warm-up run, then runs for about `benchMs`. */
async function benchmark(model, inputs, shapes, batchSize, benchMs) {
  const feeds = {};
  for (const input of inputs) {
    const dims = shapes[input.name];
    feeds[input.name] = {
      type: input.type,
      dims,
      data: allocate(
        input.type,
        dims.reduce((a, b) => a * b, 1),
      ),
    };
  }
  const fetches = model.signature.outputs.map((o) => o.name);
  await model.run(feeds, fetches);
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    await model.run(feeds, fetches);
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  } while (elapsed < benchMs);
  return Number((elapsed / (runs * batchSize)).toPrecision(4));
}

/** The TESSERA_MODEL_JSON object. */
async function inspectModel(
  { model: modelPath, batchSize, threads, benchMs, benchShape },
  { open = openModel } = {},
) {
  const model = await open(modelPath, { threads });
  const { inputs, outputs } = model.signature;
  const plan = benchShapes(inputs, { batchSize, benchShape });
  let msPerRow = null;
  if (plan.shapes && benchMs > 0) {
    try {
      msPerRow = await benchmark(model, inputs, plan.shapes, plan.batchSize, benchMs);
    } catch (error) {
      process.stderr.write(`infer.js inspect: benchmark skipped: ${error.message}\n`);
    }
  } else if (!plan.shapes) {
    process.stderr.write(`infer.js inspect: benchmark skipped: ${plan.reason}\n`);
  }
  await model.release();
  return { inputs, outputs, msPerRow, benchBatchSize: plan.batchSize };
}

/** --bench-shape: `{"<input>":[dims…]}`. */
function parseBenchShape(text) {
  if (text === undefined) return null;
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TaskError('BAD_ARGS', `--bench-shape is not JSON: ${error.message}`);
  }
  const ok =
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every((dims) => Array.isArray(dims) && dims.every((d) => Number.isInteger(d)));
  if (!ok) throw new TaskError('BAD_ARGS', '--bench-shape must be {"<input name>":[dims…],…}');
  return value;
}

module.exports = { benchShapes, benchmark, inspectModel, parseBenchShape };
