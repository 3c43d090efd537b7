import { PNG } from 'pngjs';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const EXR_MAGIC = Buffer.from([0x76, 0x2f, 0x31, 0x01]);

/** Bytes needed to read a PNG's size: signature (8) + IHDR length, type, width, height (16). */
export const PNG_HEADER_BYTES = 24;

/** Width and height from a PNG's IHDR chunk, or undefined when `head` is not a PNG. */
export function pngSize(head: Buffer): { width: number; height: number } | undefined {
  if (head.length < PNG_HEADER_BYTES || !head.subarray(0, 8).equals(PNG_SIGNATURE)) return undefined;
  if (head.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

export function isExr(head: Buffer): boolean {
  return head.length >= 4 && head.subarray(0, 4).equals(EXR_MAGIC);
}

export interface PixelStats {
  width: number;
  height: number;
  /** Largest colour channel value anywhere, 0..255 (16-bit PNGs are scaled down when decoded). */
  maxChannel: number;
  /** Largest alpha anywhere (full scale when the image has no alpha). */
  maxAlpha: number;
  fullScale: number;
}

/**
 * Decodes a PNG to 8-bit RGBA, top row first, whatever its colour type and bit depth (pngjs: grey
 * and palette expanded, tRNS applied, alpha 255 when absent, 16-bit samples v scaled to
 * floor(v·255/65535 + 0.5)). Ancillary chunks (text, time, gamma, ICC) do not change the pixels.
 * Throws when the file does not decode.
 */
export function decodePngRgba8(file: Buffer): { width: number; height: number; data: Buffer } {
  const png = PNG.sync.read(file);
  return { width: png.width, height: png.height, data: png.data };
}

/** Decodes a PNG fully (any bit depth) and summarises its pixels; throws when it does not decode. */
export function pngStats(file: Buffer): PixelStats {
  return pixelStats(decodePngRgba8(file));
}

/** Summarises decoded 8-bit RGBA pixels. */
export function pixelStats(png: { width: number; height: number; data: Buffer }): PixelStats {
  const fullScale = 255;
  const data = png.data;
  let maxChannel = 0;
  let maxAlpha = 0;
  for (let i = 0; i < data.length; i += 4) {
    const m = Math.max(data[i], data[i + 1], data[i + 2]);
    if (m > maxChannel) maxChannel = m;
    if (data[i + 3] > maxAlpha) maxAlpha = data[i + 3];
  }
  return { width: png.width, height: png.height, maxChannel, maxAlpha, fullScale };
}

/**
 * Why a frame is unusable, or undefined when it is fine. Blank means entirely black or entirely
 * transparent: what a broken GPU or driver produces (SheepIt's black CUDA frames). A frame that is
 * merely dark or flat passes: scenes can legitimately be.
 */
export function blankReason(stats: PixelStats): string | undefined {
  if (stats.maxAlpha === 0) return 'entirely transparent';
  if (stats.maxChannel <= Math.round(stats.fullScale * 0.004)) return 'entirely black';
  return undefined;
}
