import { PNG } from 'pngjs';
import { DEFAULT_THRESHOLDS, RenderThresholds, Verdict } from './thresholds';

// Pixel comparisons for render spot-checks (DESIGN.md §5): the verifier re-renders a region of a
// frame and compares it with the same box of the provider's frame. Both metrics look at the image
// a viewer would see, composited over black:
// - alpha: colour is premultiplied by alpha (c·a/255, "over black") before anything is measured,
//   so the colour under a fully transparent pixel is ignored and an alpha difference counts as the
//   colour difference it makes. Opaque images (Blender's default, film_transparent off) are
//   compared on their RGB values unchanged.
// - PSNR: 10·log10(255² / MSE), MSE over the R, G and B channels of every pixel; Infinity when
//   the images are identical.
// - SSIM: Wang et al. 2004 on luma Y′ = 0.2126 R′ + 0.7152 G′ + 0.0722 B′ of the gamma-encoded
//   (sRGB) 0..255 values (BT.709 coefficients: sRGB has BT.709's primaries; no linearisation, as
//   SSIM was defined on display values). 11×11 Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03,
//   L = 255, averaged over every window that lies wholly inside the image ("valid"), at full
//   resolution (no downsampling: sample noise is exactly what a spot-check must see). An image
//   smaller than 11 pixels in a dimension uses the largest odd window that fits, with the same σ
//   renormalised; spot-check regions should be at least 32×32.

/** A decoded 8-bit RGBA image: width × height × 4 bytes, rows top to bottom, straight alpha (as pngjs decodes). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * A box of pixels, origin top left. render.py's `--region X0,Y0,X1,Y1` (X1, Y1 exclusive) is
 * `{ x: X0, y: Y0, width: X1 − X0, height: Y1 − Y0 }`.
 */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A box of a decoded frame: the provider's full frame, against the verifier's render of that region. */
export interface ImageBox {
  frame: RgbaImage;
  region: Region;
}

/** What psnr() and ssim() compare: a whole decoded image or a box of one. */
export type ImageInput = RgbaImage | ImageBox;

/** What compareRender() compares: PNG bytes, a decoded image, or a box of either. */
export type RenderSample = Uint8Array | RgbaImage | { frame: Uint8Array | RgbaImage; region: Region };

export interface RenderComparison {
  verdict: Verdict;
  /** dB; Infinity for identical pixels; null when nothing could be compared. */
  psnr: number | null;
  /** Mean SSIM, ≤ 1 (1 for identical pixels); null when nothing could be compared. */
  ssim: number | null;
  /** Why: the values against the thresholds, or what made the comparison impossible. */
  reason: string;
}

export type ImageCompareErrorCode = 'NOT_PNG' | 'BAD_IMAGE' | 'BAD_REGION' | 'SIZE_MISMATCH';

export class ImageCompareError extends Error {
  constructor(
    readonly code: ImageCompareErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImageCompareError';
  }
}

export const SSIM_WINDOW = 11;
export const SSIM_SIGMA = 1.5;
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;
const LUMA = [0.2126, 0.7152, 0.0722] as const;

/** PSNR in dB between two same-sized images or boxes (Infinity when identical). Throws ImageCompareError. */
export function psnr(a: ImageInput, b: ImageInput): number {
  const [x, y] = views(a, b);
  return psnrOf(x, y);
}

/** Mean SSIM between two same-sized images or boxes, on luma (1 when identical). Throws ImageCompareError. */
export function ssim(a: ImageInput, b: ImageInput): number {
  const [x, y] = views(a, b);
  return ssimOf(luma(x), luma(y), x.width, x.height);
}

/**
 * Compares the provider's render (`claimed`) with the verifier's re-render of the same work
 * (`reference`) and decides by `thresholds` (see RenderThresholds for the rule). Never throws on
 * bad input: a PNG that does not decode, a malformed image, a region off its frame or a size
 * mismatch is a reject whose reason names the side and the problem. A reference-side failure is
 * the verifier's own fault; the caller should check its re-render before blaming the provider.
 */
export function compareRender(
  claimed: RenderSample,
  reference: RenderSample,
  thresholds: RenderThresholds = DEFAULT_THRESHOLDS.render,
): RenderComparison {
  let x: View;
  let y: View;
  try {
    x = sampleView(claimed, 'claimed');
    y = sampleView(reference, 'reference');
    sameSize(x, y);
  } catch (error) {
    if (!(error instanceof ImageCompareError)) throw error;
    return { verdict: 'reject', psnr: null, ssim: null, reason: `${error.code}: ${error.message}` };
  }
  const p = psnrOf(x, y);
  const s = ssimOf(luma(x), luma(y), x.width, x.height);
  const values = `PSNR ${formatDb(p)}, SSIM ${s.toFixed(4)}`;
  const t = thresholds;
  if (p >= t.acceptPsnrDb)
    return { verdict: 'accept', psnr: p, ssim: s, reason: `${values}: PSNR ≥ ${t.acceptPsnrDb} dB` };
  if (p < t.rejectPsnrDb)
    return { verdict: 'reject', psnr: p, ssim: s, reason: `${values}: PSNR < ${t.rejectPsnrDb} dB` };
  if (s < t.rejectSsim)
    return { verdict: 'reject', psnr: p, ssim: s, reason: `${values}: SSIM < ${t.rejectSsim}` };
  if (t.acceptSsim !== null && s >= t.acceptSsim)
    return { verdict: 'accept', psnr: p, ssim: s, reason: `${values}: SSIM ≥ ${t.acceptSsim}` };
  return {
    verdict: 'inconclusive',
    psnr: p,
    ssim: s,
    reason: `${values}: between ${t.rejectPsnrDb} and ${t.acceptPsnrDb} dB (grey zone: check more samples)`,
  };
}

/** Decodes PNG bytes (any bit depth or colour type) to 8-bit RGBA. Throws ImageCompareError NOT_PNG. */
export function decodePng(bytes: Uint8Array, what = 'image'): RgbaImage {
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: png.data };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ImageCompareError('NOT_PNG', `the ${what} is not a decodable PNG (${message})`);
  }
}

/** A box of RGBA pixels inside `data`, which is `stride` pixels wide. */
interface View {
  data: Uint8Array;
  stride: number;
  x: number;
  y: number;
  width: number;
  height: number;
  what: string;
}

function views(a: ImageInput, b: ImageInput): [View, View] {
  const x = inputView(a, 'first');
  const y = inputView(b, 'second');
  sameSize(x, y);
  return [x, y];
}

function sampleView(sample: RenderSample, side: string): View {
  if (sample instanceof Uint8Array) return inputView(decodePng(sample, `${side} image`), side);
  if ('region' in sample) {
    const frame =
      sample.frame instanceof Uint8Array ? decodePng(sample.frame, `${side} frame`) : sample.frame;
    return inputView({ frame, region: sample.region }, side);
  }
  return inputView(sample, side);
}

function inputView(input: ImageInput, side: string): View {
  if ('region' in input) {
    const { frame, region } = input;
    checkImage(frame, `${side} frame`);
    const { x, y, width, height } = region;
    if (![x, y, width, height].every(Number.isInteger) || x < 0 || y < 0 || width < 1 || height < 1)
      throw new ImageCompareError(
        'BAD_REGION',
        `the ${side} region ${formatRegion(region)} is not a non-empty box of whole pixels`,
      );
    if (x + width > frame.width || y + height > frame.height)
      throw new ImageCompareError(
        'BAD_REGION',
        `the ${side} region ${formatRegion(region)} does not fit the ${frame.width}×${frame.height} ${side} frame`,
      );
    return { data: frame.data, stride: frame.width, x, y, width, height, what: `${side} region` };
  }
  checkImage(input, `${side} image`);
  const { width, height, data } = input;
  return { data, stride: width, x: 0, y: 0, width, height, what: `${side} image` };
}

function checkImage(image: RgbaImage, what: string): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new ImageCompareError('BAD_IMAGE', `the ${what} is ${width}×${height}, not a non-empty image`);
  if (!(data instanceof Uint8Array) || data.length !== width * height * 4)
    throw new ImageCompareError(
      'BAD_IMAGE',
      `the ${what} has ${data?.length} bytes of pixels; ${width}×${height} RGBA8 needs ${width * height * 4}`,
    );
}

function sameSize(x: View, y: View): void {
  if (x.width !== y.width || x.height !== y.height)
    throw new ImageCompareError(
      'SIZE_MISMATCH',
      `the ${x.what} is ${x.width}×${x.height} but the ${y.what} is ${y.width}×${y.height}`,
    );
}

function formatRegion(r: Region): string {
  return `${r.width}×${r.height} at (${r.x}, ${r.y})`;
}

function formatDb(db: number): string {
  return db === Infinity ? 'Infinity (identical)' : `${db.toFixed(2)} dB`;
}

function psnrOf(a: View, b: View): number {
  let sum = 0;
  for (let row = 0; row < a.height; row++) {
    let i = ((a.y + row) * a.stride + a.x) * 4;
    let j = ((b.y + row) * b.stride + b.x) * 4;
    for (let col = 0; col < a.width; col++, i += 4, j += 4) {
      const alphaA = a.data[i + 3];
      const alphaB = b.data[j + 3];
      if (alphaA === 255 && alphaB === 255) {
        const dr = a.data[i] - b.data[j];
        const dg = a.data[i + 1] - b.data[j + 1];
        const db = a.data[i + 2] - b.data[j + 2];
        sum += dr * dr + dg * dg + db * db;
      } else {
        const fa = alphaA / 255;
        const fb = alphaB / 255;
        for (let c = 0; c < 3; c++) {
          const d = a.data[i + c] * fa - b.data[j + c] * fb;
          sum += d * d;
        }
      }
    }
  }
  if (sum === 0) return Infinity;
  const mse = sum / (3 * a.width * a.height);
  return 10 * Math.log10((255 * 255) / mse);
}

/** Luma of the box composited over black, row-major, width × height. */
function luma(v: View): Float64Array {
  const out = new Float64Array(v.width * v.height);
  const [kr, kg, kb] = LUMA;
  let k = 0;
  for (let row = 0; row < v.height; row++) {
    let i = ((v.y + row) * v.stride + v.x) * 4;
    for (let col = 0; col < v.width; col++, i += 4) {
      const y = kr * v.data[i] + kg * v.data[i + 1] + kb * v.data[i + 2];
      const alpha = v.data[i + 3];
      out[k++] = alpha === 255 ? y : (y * alpha) / 255;
    }
  }
  return out;
}

/** Normalised 1-D Gaussian of `size` taps (odd); the 2-D window is its outer product. */
export function gaussianWindow(size = SSIM_WINDOW, sigma = SSIM_SIGMA): Float64Array {
  const w = new Float64Array(size);
  const r = (size - 1) / 2;
  let total = 0;
  for (let i = 0; i < size; i++) total += w[i] = Math.exp(-((i - r) ** 2) / (2 * sigma * sigma));
  for (let i = 0; i < size; i++) w[i] /= total;
  return w;
}

/**
 * Mean SSIM of two luma planes over every valid window, separably filtered in one streaming pass:
 * each input row is filtered horizontally into a ring of the last k rows (five moments: x, y, x²,
 * y², xy), and each output row is the vertical filter of that ring. Memory is O(k × width).
 * Identical planes give exactly 1: both sides go through the same floating-point operations.
 */
function ssimOf(x: Float64Array, y: Float64Array, width: number, height: number): number {
  let k = Math.min(SSIM_WINDOW, width, height);
  if (k % 2 === 0) k--;
  const win = gaussianWindow(k);
  const half = (k - 1) / 2;
  const outW = width - k + 1;
  const outH = height - k + 1;
  const ring = (): Float64Array => new Float64Array(k * outW);
  const hx = ring();
  const hy = ring();
  const hxx = ring();
  const hyy = ring();
  const hxy = ring();
  const slots = new Int32Array(k);
  let total = 0;
  for (let row = 0; row < height; row++) {
    const slot = (row % k) * outW;
    const base = row * width;
    for (let col = 0; col < outW; col++) {
      let sx = 0;
      let sy = 0;
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      // The window is symmetric: pair tap t with tap k−1−t (one multiply by the weight per pair).
      for (let t = 0; t < half; t++) {
        const i = base + col + t;
        const j = base + col + k - 1 - t;
        const a1 = x[i];
        const a2 = x[j];
        const b1 = y[i];
        const b2 = y[j];
        const wt = win[t];
        sx += wt * (a1 + a2);
        sy += wt * (b1 + b2);
        sxx += wt * (a1 * a1 + a2 * a2);
        syy += wt * (b1 * b1 + b2 * b2);
        sxy += wt * (a1 * b1 + a2 * b2);
      }
      const a = x[base + col + half];
      const b = y[base + col + half];
      const wc = win[half];
      sx += wc * a;
      sy += wc * b;
      sxx += wc * (a * a);
      syy += wc * (b * b);
      sxy += wc * (a * b);
      hx[slot + col] = sx;
      hy[slot + col] = sy;
      hxx[slot + col] = sxx;
      hyy[slot + col] = syy;
      hxy[slot + col] = sxy;
    }
    if (row < k - 1) continue;
    // Ring slots of this output row's window, oldest first: slots[t] holds input row row−k+1+t.
    for (let t = 0; t < k; t++) slots[t] = ((row - k + 1 + t) % k) * outW;
    for (let col = 0; col < outW; col++) {
      let ux = 0;
      let uy = 0;
      let exx = 0;
      let eyy = 0;
      let exy = 0;
      for (let t = 0; t < half; t++) {
        const i = slots[t] + col;
        const j = slots[k - 1 - t] + col;
        const wt = win[t];
        ux += wt * (hx[i] + hx[j]);
        uy += wt * (hy[i] + hy[j]);
        exx += wt * (hxx[i] + hxx[j]);
        eyy += wt * (hyy[i] + hyy[j]);
        exy += wt * (hxy[i] + hxy[j]);
      }
      const c = slots[half] + col;
      const wc = win[half];
      ux += wc * hx[c];
      uy += wc * hy[c];
      exx += wc * hxx[c];
      eyy += wc * hyy[c];
      exy += wc * hxy[c];
      const uxx = ux * ux;
      const uyy = uy * uy;
      const uxy = ux * uy;
      const vx = exx - uxx;
      const vy = eyy - uyy;
      const cxy = exy - uxy;
      total += ((2 * uxy + C1) * (2 * cxy + C2)) / ((uxx + uyy + C1) * (vx + vy + C2));
    }
  }
  return total / (outW * outH);
}
