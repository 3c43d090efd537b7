'use strict';
// Image rows: decode PNG/JPEG to 8-bit RGB, resize the way OpenCV's cv2.resize(INTER_LINEAR) does
// on uint8 images (half-pixel centres, 11-bit fixed-point weights, rounded back to uint8), then
// normalise to a float32 CHW tensor, PaddleOCR-rec style. pngjs and jpeg-js are required lazily,
// so the pure functions here load without them.
const { RowError } = require('./errors');

/** Images larger than this many pixels are refused before decoding (memory). */
const MAX_PIXELS = 50e6;

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function sniffFormat(bytes) {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_MAGIC)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** `starts with "hello"` (printable ASCII) or `starts with bytes 00 01 ff` (anything else). */
function describeStart(bytes) {
  if (bytes.length === 0) return 'is empty';
  const head = bytes.subarray(0, 8);
  const printable = head.every((b) => b >= 0x20 && b < 0x7f);
  if (printable) return `starts with ${JSON.stringify(head.toString('latin1'))}`;
  return `starts with bytes ${Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

/**
 * Decodes a PNG or JPEG file's bytes to `{ width, height, data }`, data 8-bit RGB interleaved:
 * alpha dropped (not composited), grayscale expanded to three equal channels, 16-bit PNG scaled
 * to 8 bits. `label` names the image in messages (the row's path).
 */
function decodeImage(bytes, label) {
  const format = sniffFormat(bytes);
  if (format === null) throw new RowError(`image ${label} is not a PNG or JPEG (${describeStart(bytes)})`);
  let rgba;
  if (format === 'png') {
    if (bytes.length >= 24) {
      const width = bytes.readUInt32BE(16);
      const height = bytes.readUInt32BE(20);
      if (width * height > MAX_PIXELS) {
        throw new RowError(`image ${label} is ${width}x${height}, more than ${MAX_PIXELS / 1e6} megapixels`);
      }
    }
    const { PNG } = require('pngjs');
    try {
      rgba = PNG.sync.read(bytes);
    } catch (error) {
      throw new RowError(`image ${label} is a corrupt PNG: ${error.message}`);
    }
  } else {
    const jpeg = require('jpeg-js');
    try {
      rgba = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: MAX_PIXELS / 1e6,
        maxMemoryUsageInMB: 1024,
      });
    } catch (error) {
      throw new RowError(`image ${label} is a corrupt or unsupported JPEG: ${error.message}`);
    }
  }
  const { width, height } = rgba;
  if (!(width > 0 && height > 0)) throw new RowError(`image ${label} has no pixels (${width}x${height})`);
  const data = new Uint8Array(width * height * 3);
  const src = rgba.data;
  for (let p = 0, q = 0; p < width * height; p++, q += 4) {
    data[p * 3] = src[q];
    data[p * 3 + 1] = src[q + 1];
    data[p * 3 + 2] = src[q + 2];
  }
  return { width, height, data };
}

/** OpenCV's COLOR_RGB2GRAY on uint8: (4899 R + 9617 G + 1868 B + 8192) >> 14. */
function toGray(image) {
  const { width, height, data } = image;
  const out = new Uint8Array(width * height);
  for (let p = 0; p < width * height; p++) {
    out[p] = (data[p * 3] * 4899 + data[p * 3 + 1] * 9617 + data[p * 3 + 2] * 1868 + 8192) >> 14;
  }
  return { width, height, channels: 1, data: out };
}

/** cvRound of a float32: round half to even. */
function roundHalfEven(x) {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Source index and fixed-point weights (about 2048 together) per destination index, as OpenCV
 * computes them for INTER_LINEAR: centre-aligned (d + 0.5) * scale - 0.5 in float32. Horizontally
 * (`clamp`) OpenCV pins taps outside the image to the edge pixel with weight 1; vertically it does
 * not: the index may be -1 or size - 1 with both weights non-zero, and the rows are clipped when
 * read (the same value, rounded slightly differently).
 */
function linearTaps(srcSize, dstSize, clamp) {
  const scale = srcSize / dstSize;
  const index = new Int32Array(dstSize);
  const w0 = new Int32Array(dstSize);
  const w1 = new Int32Array(dstSize);
  for (let d = 0; d < dstSize; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (clamp && s < 0) {
      f = 0;
      s = 0;
    }
    if (clamp && s >= srcSize - 1) {
      f = 0;
      s = srcSize - 1;
    }
    index[d] = s;
    w0[d] = roundHalfEven(Math.fround(Math.fround(1 - f) * 2048));
    w1[d] = roundHalfEven(Math.fround(f * 2048));
  }
  return { index, w0, w1 };
}

/**
 * Resizes an 8-bit image (`channels` interleaved) like cv2.resize(..., INTER_LINEAR): exact halving
 * in both directions is a 2x2 box average (OpenCV switches to INTER_AREA there); otherwise
 * separable bilinear with 11-bit weights, the vertical pass rounded as OpenCV's vectorised code
 * does. Bit-exact with OpenCV 4.6 (Debian bookworm's) on the images we compared, up- and downscaling.
 */
function resizeLinear(image, dstW, dstH) {
  const { width: srcW, height: srcH, data } = image;
  const cn = image.channels ?? 3;
  const out = new Uint8Array(dstW * dstH * cn);
  if (srcW === dstW && srcH === dstH) {
    out.set(data.subarray(0, out.length));
    return { width: dstW, height: dstH, channels: cn, data: out };
  }
  if (srcW === 2 * dstW && srcH === 2 * dstH) {
    const stride = srcW * cn;
    for (let y = 0; y < dstH; y++) {
      for (let x = 0; x < dstW; x++) {
        for (let c = 0; c < cn; c++) {
          const s = 2 * y * stride + 2 * x * cn + c;
          out[(y * dstW + x) * cn + c] =
            (data[s] + data[s + cn] + data[s + stride] + data[s + stride + cn] + 2) >> 2;
        }
      }
    }
    return { width: dstW, height: dstH, channels: cn, data: out };
  }
  const xs = linearTaps(srcW, dstW, true);
  const ys = linearTaps(srcH, dstH, false);
  // Horizontal pass over every source row that the vertical pass touches (all of them, for OCR sizes).
  const rowCache = new Map();
  const horizontal = (sy) => {
    let row = rowCache.get(sy);
    if (row) return row;
    row = new Int32Array(dstW * cn);
    const base = sy * srcW * cn;
    for (let x = 0; x < dstW; x++) {
      const s0 = base + xs.index[x] * cn;
      const s1 = xs.index[x] + 1 < srcW ? s0 + cn : s0;
      for (let c = 0; c < cn; c++) row[x * cn + c] = data[s0 + c] * xs.w0[x] + data[s1 + c] * xs.w1[x];
    }
    rowCache.set(sy, row);
    return row;
  };
  for (let y = 0; y < dstH; y++) {
    const sy0 = Math.min(Math.max(ys.index[y], 0), srcH - 1);
    const sy1 = Math.min(Math.max(ys.index[y] + 1, 0), srcH - 1);
    const r0 = horizontal(sy0);
    const r1 = horizontal(sy1);
    const b0 = ys.w0[y];
    const b1 = ys.w1[y];
    const o = y * dstW * cn;
    for (let i = 0; i < dstW * cn; i++) {
      const v = ((((r0[i] >> 4) * b0) >> 16) + (((r1[i] >> 4) * b1) >> 16) + 2) >> 2;
      out[o + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    for (const key of rowCache.keys()) if (key < sy0) rowCache.delete(key);
  }
  return { width: dstW, height: dstH, channels: cn, data: out };
}

/** PaddleOCR's rec width: min(width, ceil(height * w / h)) with keepAspect, else the full width. */
function resizedWidth(srcW, srcH, pre) {
  if (!pre.keepAspect) return pre.width;
  const w = Math.ceil(pre.height * (srcW / srcH));
  return Math.max(1, Math.min(pre.width, w));
}

/**
 * value = (v * scale - mean) / std for v = 0..255, step by step in float32 as numpy does it on a
 * float32 array; a scale of 1/n (n a whole number, as 1/255) divides by n, which is what PaddleOCR
 * and most preprocessing code write, so the tensors agree bit for bit.
 */
function normalisationTable(scale, mean, std) {
  const inverse = 1 / scale;
  const divisor =
    Number.isInteger(Math.round(inverse)) && Math.abs(inverse - Math.round(inverse)) < 1e-9
      ? Math.round(inverse)
      : null;
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    const scaled = Math.fround(divisor !== null ? v / divisor : v * scale);
    table[v] = Math.fround(Math.fround(scaled - mean) / std);
  }
  return table;
}

/**
 * The float32 CHW tensor (channels x height x width) of one decoded RGB image for an `image`
 * preprocess spec: resize, value = (pixel * scale - mean[c]) / std[c] with channel c in colorOrder,
 * and with keepAspect the columns right of the resized width left at 0 (after normalisation).
 */
function preprocessImage(image, pre) {
  const { width: W, height: H } = pre;
  const C = pre.channels;
  const source = C === 1 ? toGray(image) : { ...image, channels: 3 };
  const rw = resizedWidth(image.width, image.height, pre);
  const resized = resizeLinear(source, rw, H);
  // Channel c of the tensor takes RGB channel order[c].
  const order = C === 1 ? [0] : pre.colorOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const out = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++) {
    const lut = normalisationTable(pre.scale, pre.mean[c], pre.std[c]);
    const src = order[c];
    const plane = c * H * W;
    for (let y = 0; y < H; y++) {
      const row = y * rw * C;
      for (let x = 0; x < rw; x++) out[plane + y * W + x] = lut[resized.data[row + x * C + src]];
    }
  }
  return out;
}

module.exports = {
  MAX_PIXELS,
  sniffFormat,
  describeStart,
  decodeImage,
  toGray,
  linearTaps,
  resizeLinear,
  resizedWidth,
  normalisationTable,
  preprocessImage,
};
