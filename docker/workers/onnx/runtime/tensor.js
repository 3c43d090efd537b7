'use strict';
// Tensor types, dims and the inline tensors rows may carry: `{"dims":[…],"data":[…]}` or a nested
// array, for one row (the batch dim removed). Plain data only, no onnxruntime, so it is unit-tested.
const { RowError } = require('./errors');

const INT_RANGES = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};
const BIG_RANGES = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** onnxruntime-node's typed array per element type (bool tensors are Uint8Array 0/1). */
const TYPED_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

/** The element types infer.js can feed (float16, string and 4-bit types cannot be fed yet). */
const FEEDABLE_TYPES = Object.keys(TYPED_ARRAYS);

function isFeedable(type) {
  return Object.prototype.hasOwnProperty.call(TYPED_ARRAYS, type);
}

function allocate(type, length) {
  const Ctor = TYPED_ARRAYS[type];
  if (!Ctor) throw new Error(`element type ${type} cannot be fed (supported: ${FEEDABLE_TYPES.join(', ')})`);
  return new Ctor(length);
}

function product(dims) {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

function formatDims(dims) {
  return `[${dims.join(',')}]`;
}

/** Does a concrete shape fit a signature whose -1 entries match anything? */
function dimsMatch(signature, dims) {
  return signature.length === dims.length && signature.every((s, i) => s === -1 || s === dims[i]);
}

/**
 * Converts one JSON value to an element of `type`; throws a message naming the index when the
 * value does not fit (non-integers for integer types, out of range, wrong JSON type).
 */
function toElement(type, value, index) {
  if (type === 'float32' || type === 'float64') {
    if (typeof value === 'number') return value;
    throw new RowError(`value at index ${index} is ${JSON.stringify(value)}, not a number`);
  }
  if (type === 'bool') {
    if (value === true || value === 1) return 1;
    if (value === false || value === 0) return 0;
    throw new RowError(`value at index ${index} is ${JSON.stringify(value)}, not a bool (true/false/0/1)`);
  }
  if (type in BIG_RANGES) {
    let big;
    if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
    else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) big = BigInt(value);
    else
      throw new RowError(
        `value at index ${index} is ${JSON.stringify(value)}, not an integer ` +
          '(integers beyond 2^53 must be decimal strings)',
      );
    const [lo, hi] = BIG_RANGES[type];
    if (big < lo || big > hi)
      throw new RowError(`value ${big} at index ${index} is out of range for ${type}`);
    return big;
  }
  const range = INT_RANGES[type];
  if (!Number.isInteger(value)) {
    throw new RowError(`value at index ${index} is ${JSON.stringify(value)}, not an integer`);
  }
  if (value < range[0] || value > range[1]) {
    throw new RowError(`value ${value} at index ${index} is out of range for ${type}`);
  }
  return value;
}

/** Dims and flat values of a rectangular nested array (a bare number is a scalar, dims []). */
function flattenNested(value) {
  const dims = [];
  let probe = value;
  while (Array.isArray(probe)) {
    dims.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const data = [];
  const walk = (node, depth, path) => {
    if (depth === dims.length) {
      if (Array.isArray(node)) throw new RowError(`nested array is ragged at ${path || 'the top'}`);
      data.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== dims[depth]) {
      throw new RowError(`nested array is ragged at ${path || 'the top'} (expected ${dims[depth]} entries)`);
    }
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1, `${path}[${i}]`);
  };
  walk(value, 0, '');
  return { dims, data };
}

/**
 * One row's value for input `name`: `{"dims":[…],"data":[…]}` or a nested array, checked against
 * the input's per-row signature (batch dim removed; -1 matches anything) and element type.
 * Returns `{ dims, data }` with `data` a typed array of the input's type.
 */
function parseInlineTensor(name, value, type, rowSignature) {
  let dims;
  let values;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const extra = Object.keys(value).filter((k) => k !== 'dims' && k !== 'data');
    if (extra.length > 0) throw new RowError(`input ${name}: unknown key ${JSON.stringify(extra[0])}`);
    if (!Array.isArray(value.dims) || !value.dims.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new RowError(`input ${name}: "dims" must be an array of non-negative integers`);
    }
    if (!Array.isArray(value.data)) throw new RowError(`input ${name}: "data" must be an array of numbers`);
    dims = value.dims;
    values = value.data;
    const need = product(dims);
    if (values.length !== need) {
      throw new RowError(
        `input ${name}: data has ${values.length} values, dims ${formatDims(dims)} need ${need}`,
      );
    }
  } else if (Array.isArray(value) || typeof value === 'number' || typeof value === 'boolean') {
    try {
      ({ dims, data: values } = flattenNested(value));
    } catch (error) {
      throw new RowError(`input ${name}: ${error.message}`);
    }
  } else {
    throw new RowError(`input ${name}: expected {"dims":[…],"data":[…]} or a nested array`);
  }
  if (!dimsMatch(rowSignature, dims)) {
    throw new RowError(
      `input ${name}: dims ${formatDims(dims)} do not match the model's ${formatDims(rowSignature)} ` +
        '(batch dim removed, -1 = any)',
    );
  }
  const data = allocate(type, values.length);
  try {
    for (let i = 0; i < values.length; i++) data[i] = toElement(type, values[i], i);
  } catch (error) {
    throw new RowError(`input ${name}: ${error.message}`);
  }
  return { dims: dims.slice(), data };
}

/** JSON text of one element of an output tensor (NaN and ±Infinity have no JSON form: null). */
function elementJson(value) {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

/** `{"dims":[…],"data":[…]}` for one row of an output, numbers in JS's default formatting. */
function tensorJson(type, dims, data) {
  const parts = new Array(data.length);
  if (type === 'bool') for (let i = 0; i < data.length; i++) parts[i] = data[i] ? 'true' : 'false';
  else for (let i = 0; i < data.length; i++) parts[i] = elementJson(data[i]);
  return `{"dims":${JSON.stringify(dims)},"data":[${parts.join(',')}]}`;
}

module.exports = {
  FEEDABLE_TYPES,
  TYPED_ARRAYS,
  isFeedable,
  allocate,
  product,
  formatDims,
  dimsMatch,
  flattenNested,
  toElement,
  parseInlineTensor,
  elementJson,
  tensorJson,
};
