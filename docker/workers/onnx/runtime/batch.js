'use strict';
// Batching: rows go through the model in consecutive groups of exactly batchSize. A row that failed
// (and the padding after the last row) is a zero tensor in its slot, so every row is computed in a
// batch of the same size and its result can be reproduced alone (the spot check re-runs single
// rows: one real row, batchSize - 1 zero rows).
const { RowError } = require('./errors');
const { allocate, dimsMatch, formatDims, product } = require('./tensor');

/**
 * Builds the feeds of one batch. `rows`: up to batchSize entries `{ tensors: Map name -> { dims,
 * data } }` or `{ error }`; `inputs`: the effective signatures `{ name, type, dims }` (batch dim
 * first). The per-row dims of an input are its signature's where fixed; a dynamic (-1) one is taken
 * from the batch's first good row, and a later row that differs fails with a RowError set on it.
 * Returns `{ feeds: { name: { type, dims, data } } | null }`, null when no row of the batch is good
 * (nothing to run).
 */
function assembleBatch(rows, inputs, batchSize) {
  if (rows.length > batchSize) throw new Error(`a batch holds at most ${batchSize} rows, got ${rows.length}`);
  const rowDims = new Map();
  for (const row of rows) {
    if (row.error) continue;
    let mismatch = null;
    for (const input of inputs) {
      const dims = row.tensors.get(input.name).dims;
      const fixed = rowDims.get(input.name);
      if (fixed && !dimsMatch(fixed, dims)) {
        mismatch =
          `input ${input.name}: dims ${formatDims(dims)} differ from ${formatDims(fixed)} of the batch's first row ` +
          '(rows of one batch must agree on dynamic dims; fix them in spec.inputs)';
        break;
      }
    }
    if (mismatch) {
      row.error = new RowError(mismatch);
      continue;
    }
    for (const input of inputs) {
      if (!rowDims.has(input.name)) rowDims.set(input.name, row.tensors.get(input.name).dims);
    }
  }
  if (rowDims.size === 0 && inputs.length > 0) return { feeds: null };
  const feeds = {};
  for (const input of inputs) {
    const dims = rowDims.get(input.name);
    const size = product(dims);
    const data = allocate(input.type, size * batchSize);
    rows.forEach((row, i) => {
      if (!row.error) data.set(row.tensors.get(input.name).data, i * size);
    });
    feeds[input.name] = { type: input.type, dims: [batchSize, ...dims], data };
  }
  return { feeds };
}

/**
 * Row i of an output tensor `{ type, dims, data }` whose first dim is the batch: `{ dims, data,
 * offset, size }` without copying (`data` is the whole tensor's, the row spans offset..offset+size).
 */
function rowOfOutput(name, tensor, batchSize, i) {
  if (tensor.dims.length === 0 || tensor.dims[0] !== batchSize) {
    throw new Error(
      `output ${name} has dims ${formatDims(tensor.dims)}: its first dim is not the batch size ${batchSize}, ` +
        'so it cannot be split into rows',
    );
  }
  const dims = tensor.dims.slice(1);
  const size = product(dims);
  return { dims, data: tensor.data, offset: i * size, size };
}

module.exports = { assembleBatch, rowOfOutput };
