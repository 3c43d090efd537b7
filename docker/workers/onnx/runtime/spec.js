'use strict';
// spec.json of `infer.js run`: parsed once into a normalised object, every problem named at once,
// then checked against the loaded model's signature.
const { TaskError } = require('./errors');
const { dimsMatch, formatDims, isFeedable, FEEDABLE_TYPES } = require('./tensor');

const MAX_BATCH = 4096;
const MAX_THREADS = 256;

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isDims(value) {
  return Array.isArray(value) && value.every((d) => Number.isInteger(d) && d >= -1);
}

/**
 * Normalises spec.json. Defaults (the same as libs/workloads/src/inference/model.ts): batchSize 1,
 * threads 1, device "cpu", firstRow 0, preprocess and postprocess null; image preprocess: keepAspect
 * false, channels 3, colorOrder "RGB", scale 1/255, mean 0, std 1 (a single mean or std number, or
 * a one-entry list, applies to every channel); ctc_greedy: blankIndex 0, appendSpace true. Throws
 * SPEC_INVALID listing every problem.
 */
function parseSpec(raw) {
  const problems = [];
  if (!isPlainObject(raw)) throw new TaskError('SPEC_INVALID', 'spec.json must hold a JSON object');
  const intField = (key, fallback, min, max) => {
    const value = raw[key] ?? fallback;
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${key} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw[key])})`);
    }
    return value;
  };
  const spec = {
    batchSize: intField('batchSize', 1, 1, MAX_BATCH),
    threads: intField('threads', 1, 1, MAX_THREADS),
    firstRow: intField('firstRow', 0, 0, Number.MAX_SAFE_INTEGER),
    device: raw.device ?? 'cpu',
    inputs: parseSignature(raw.inputs, 'inputs', problems),
    outputs: parseSignature(raw.outputs, 'outputs', problems),
    preprocess: null,
    postprocess: null,
  };
  if (spec.device !== 'cpu' && spec.device !== 'cuda') {
    problems.push(`device must be "cpu" or "cuda" (got ${JSON.stringify(raw.device)})`);
  }
  for (const input of spec.inputs) {
    if (!isFeedable(input.type)) {
      problems.push(`input ${input.name} has type ${input.type}; inputs can be ${FEEDABLE_TYPES.join(', ')}`);
    }
    if (input.dims.length === 0) problems.push(`input ${input.name} has no batch dimension (dims [])`);
    else if (input.dims[0] !== -1 && input.dims[0] !== spec.batchSize) {
      problems.push(`input ${input.name} has a fixed batch dim ${input.dims[0]}; batchSize must equal it`);
    }
  }
  if (raw.preprocess != null) spec.preprocess = parseImagePreprocess(raw.preprocess, spec, problems);
  if (raw.postprocess != null) spec.postprocess = parsePostprocess(raw.postprocess, spec, problems);
  if (spec.postprocess === null && spec.outputs.length === 0)
    problems.push('outputs must name at least one output');
  if (problems.length > 0) throw new TaskError('SPEC_INVALID', `spec.json: ${problems.join('; ')}`);
  return spec;
}

function parseSignature(raw, key, problems) {
  if (!Array.isArray(raw)) {
    problems.push(`${key} must be an array of {"name","type","dims"}`);
    return [];
  }
  const seen = new Set();
  const out = [];
  raw.forEach((entry, i) => {
    if (!isPlainObject(entry) || typeof entry.name !== 'string' || typeof entry.type !== 'string') {
      problems.push(`${key}[${i}] must be {"name":string,"type":string,"dims":[…]}`);
      return;
    }
    if (!isDims(entry.dims)) {
      problems.push(`${key}[${i}] (${entry.name}): dims must be integers, -1 for dynamic`);
      return;
    }
    if (seen.has(entry.name)) problems.push(`${key}: ${entry.name} is named twice`);
    seen.add(entry.name);
    out.push({ name: entry.name, type: entry.type, dims: entry.dims.slice() });
  });
  return out;
}

function parseImagePreprocess(raw, spec, problems) {
  if (!isPlainObject(raw) || raw.type !== 'image') {
    problems.push('preprocess must be null or {"type":"image",…}');
    return null;
  }
  const pre = {
    type: 'image',
    input: raw.input,
    width: raw.width,
    height: raw.height,
    keepAspect: raw.keepAspect ?? false,
    channels: raw.channels ?? 3,
    colorOrder: raw.colorOrder ?? 'RGB',
    scale: raw.scale ?? 1 / 255,
    mean: null,
    std: null,
  };
  const bad = (msg) => problems.push(`preprocess: ${msg}`);
  const input = spec.inputs.find((i) => i.name === pre.input);
  if (!input) bad(`input ${JSON.stringify(raw.input)} is not one of spec.inputs`);
  for (const key of ['width', 'height']) {
    if (!Number.isInteger(pre[key]) || pre[key] < 1 || pre[key] > 16384)
      bad(`${key} must be an integer 1..16384`);
  }
  if (typeof pre.keepAspect !== 'boolean') bad('keepAspect must be true or false');
  if (pre.channels !== 1 && pre.channels !== 3) bad('channels must be 1 or 3');
  if (pre.colorOrder !== 'RGB' && pre.colorOrder !== 'BGR') bad('colorOrder must be "RGB" or "BGR"');
  if (typeof pre.scale !== 'number') bad('scale must be a number');
  const perChannel = (key, fallback) => {
    const value = raw[key] ?? fallback;
    const list =
      typeof value === 'number' || (Array.isArray(value) && value.length === 1)
        ? new Array(pre.channels).fill(Array.isArray(value) ? value[0] : value)
        : value;
    if (!Array.isArray(list) || list.length !== pre.channels || !list.every((v) => typeof v === 'number')) {
      bad(`${key} must be a number or a list of 1 or ${pre.channels} numbers`);
      return new Array(pre.channels).fill(fallback);
    }
    return list.slice();
  };
  pre.mean = perChannel('mean', 0);
  pre.std = perChannel('std', 1);
  if (pre.std.some((v) => v === 0)) bad('std must not be 0');
  if (input) {
    const want = [-1, pre.channels, pre.height, pre.width];
    if (input.type !== 'float32') bad(`input ${input.name} must be float32 for images (is ${input.type})`);
    if (input.dims.length !== 4 || !dimsMatch(input.dims.slice(1), want.slice(1))) {
      bad(
        `input ${input.name} has dims ${formatDims(input.dims)}; an image input must be NCHW ` +
          `matching ${formatDims(want)}`,
      );
    }
  }
  return pre;
}

function parsePostprocess(raw, spec, problems) {
  const bad = (msg) => problems.push(`postprocess: ${msg}`);
  if (!isPlainObject(raw) || (raw.type !== 'ctc_greedy' && raw.type !== 'argmax')) {
    bad('must be null, {"type":"ctc_greedy",…} or {"type":"argmax",…}');
    return null;
  }
  const output = spec.outputs.find((o) => o.name === raw.output);
  if (!output) bad(`output ${JSON.stringify(raw.output)} is not one of spec.outputs`);
  if (raw.type === 'argmax') return { type: 'argmax', output: raw.output };
  const post = {
    type: 'ctc_greedy',
    output: raw.output,
    labels: raw.labels,
    blankIndex: raw.blankIndex ?? 0,
    appendSpace: raw.appendSpace ?? true,
  };
  if (typeof post.labels !== 'string' || post.labels === '')
    bad('labels must be the path of the labels file');
  if (!Number.isInteger(post.blankIndex) || post.blankIndex < 0)
    bad('blankIndex must be a non-negative integer');
  if (typeof post.appendSpace !== 'boolean') bad('appendSpace must be true or false');
  if (output && output.dims.length !== 3) {
    bad(`output ${output.name} has dims ${formatDims(output.dims)}; CTC needs [batch, time, classes]`);
  }
  return post;
}

/**
 * Checks the spec against the loaded model and returns the effective signatures (`{ inputs,
 * outputs }`, dims merged: a dim either side fixes is fixed). Names and types must be the model's,
 * ranks equal, fixed dims agree, every model input named; a batch dim the model fixes must equal
 * batchSize, and an image input must still fit the preprocess size.
 */
function checkAgainstModel(spec, model) {
  const problems = [];
  const merge = (kind, specList, modelList) =>
    specList.map((entry) => {
      const actual = modelList.find((m) => m.name === entry.name);
      if (!actual) {
        problems.push(
          `the model has no ${kind} ${entry.name} (it has ${modelList.map((m) => m.name).join(', ')})`,
        );
        return entry;
      }
      if (actual.type !== entry.type)
        problems.push(`${kind} ${entry.name} is ${actual.type}, not ${entry.type}`);
      const fits =
        actual.dims.length === entry.dims.length &&
        actual.dims.every((d, i) => d === -1 || entry.dims[i] === -1 || d === entry.dims[i]);
      if (!fits) {
        problems.push(
          `${kind} ${entry.name} has dims ${formatDims(actual.dims)} in the model, not ${formatDims(entry.dims)}`,
        );
        return entry;
      }
      return { ...entry, dims: entry.dims.map((d, i) => (d === -1 ? actual.dims[i] : d)) };
    });
  const inputs = merge('input', spec.inputs, model.inputs);
  const outputs = merge('output', spec.outputs, model.outputs);
  for (const m of model.inputs) {
    if (!spec.inputs.some((e) => e.name === m.name))
      problems.push(`spec.inputs lacks the model's input ${m.name}`);
  }
  for (const input of inputs) {
    if (input.dims.length > 0 && input.dims[0] !== -1 && input.dims[0] !== spec.batchSize) {
      problems.push(
        `the model fixes the batch dim of ${input.name} at ${input.dims[0]}; batchSize must be ${input.dims[0]}`,
      );
    }
  }
  const pre = spec.preprocess;
  const image = pre && inputs.find((i) => i.name === pre.input);
  if (
    image &&
    image.dims.length === 4 &&
    !dimsMatch(image.dims.slice(1), [pre.channels, pre.height, pre.width])
  ) {
    problems.push(
      `image input ${image.name} is ${formatDims(image.dims)} in the model; preprocess makes ` +
        `${formatDims([-1, pre.channels, pre.height, pre.width])}`,
    );
  }
  if (problems.length > 0)
    throw new TaskError('SPEC_INVALID', `spec.json does not fit the model: ${problems.join('; ')}`);
  return { inputs, outputs };
}

module.exports = { parseSpec, checkAgainstModel, MAX_BATCH, MAX_THREADS };
