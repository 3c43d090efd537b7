import { PNG } from 'pngjs';
import {
  compareRender,
  gaussianWindow,
  ImageCompareError,
  psnr,
  RgbaImage,
  ssim,
  SSIM_SIGMA,
} from './image-compare';
import { DEFAULT_THRESHOLDS, RenderThresholds } from './thresholds';

/** A deterministic generator in [0, 1) (an LCG: tests must not depend on Math.random). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Standard normal deviates (Box–Muller) from `rnd`. */
function gaussian(rnd: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

function byte(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}

function image(width: number, height: number, pixel: (x: number, y: number) => number[]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y).map(byte), (y * width + x) * 4);
  }
  return { width, height, data };
}

/** Gradients with a little texture: an image with structure at every scale, opaque but for a corner. */
function scene(width: number, height: number, seed = 1): RgbaImage {
  const rnd = random(seed);
  return image(width, height, (x, y) => [
    x * 6 + rnd() * 30,
    y * 9 + rnd() * 30,
    (x + y) * 4 + rnd() * 30,
    x < 5 && y < 5 ? 128 : 255,
  ]);
}

/** `base` plus the same N(0, sigma²) noise on R, G and B (grey noise: luma noise is sigma too). */
function noisy(base: RgbaImage, sigma: number, seed = 7): RgbaImage {
  const normal = gaussian(random(seed));
  const data = Uint8Array.from(base.data);
  for (let i = 0; i < data.length; i += 4) {
    const n = normal() * sigma;
    for (let c = 0; c < 3; c++) data[i + c] = byte(base.data[i + c] + n);
  }
  return { ...base, data };
}

function flat(width: number, height: number, grey: number): RgbaImage {
  return image(width, height, () => [grey, grey, grey, 255]);
}

function encode(img: RgbaImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data);
  return PNG.sync.write(png);
}

/** SSIM straight from the definition: every k×k window, 2-D weights, no streaming (the oracle). */
function naiveSsim(a: RgbaImage, b: RgbaImage, k: number): number {
  const g = gaussianWindow(k, SSIM_SIGMA);
  const luma = (img: RgbaImage, x: number, y: number): number => {
    const i = (y * img.width + x) * 4;
    const alpha = img.data[i + 3] / 255;
    return (0.2126 * img.data[i] + 0.7152 * img.data[i + 1] + 0.0722 * img.data[i + 2]) * alpha;
  };
  const [c1, c2] = [(0.01 * 255) ** 2, (0.03 * 255) ** 2];
  let total = 0;
  let count = 0;
  for (let y0 = 0; y0 + k <= a.height; y0++) {
    for (let x0 = 0; x0 + k <= a.width; x0++) {
      let [mx, my, mxx, myy, mxy] = [0, 0, 0, 0, 0];
      for (let dy = 0; dy < k; dy++) {
        for (let dx = 0; dx < k; dx++) {
          const w = g[dy] * g[dx];
          const p = luma(a, x0 + dx, y0 + dy);
          const q = luma(b, x0 + dx, y0 + dy);
          mx += w * p;
          my += w * q;
          mxx += w * p * p;
          myy += w * q * q;
          mxy += w * p * q;
        }
      }
      const [vx, vy, cxy] = [mxx - mx * mx, myy - my * my, mxy - mx * my];
      total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      count++;
    }
  }
  return total / count;
}

describe('psnr and ssim', () => {
  it('give Infinity and exactly 1 for identical images', () => {
    const a = scene(64, 48);
    const b = { ...a, data: Uint8Array.from(a.data) };
    expect(psnr(a, b)).toBe(Infinity);
    expect(ssim(a, b)).toBe(1);
  });

  it('match an independent numpy/scipy implementation of the same definitions', () => {
    // The pair below, dumped and measured with scipy.signal.convolve2d (valid, 11×11, σ 1.5):
    // psnr 28.718951770260276, ssim 0.93488951401134168.
    const rnd = random(42);
    const a = new Uint8Array(37 * 23 * 4);
    const b = new Uint8Array(37 * 23 * 4);
    for (let y = 0; y < 23; y++) {
      for (let x = 0; x < 37; x++) {
        const i = (y * 37 + x) * 4;
        a[i] = byte(x * 6 + rnd() * 30);
        a[i + 1] = byte(y * 9 + rnd() * 30);
        a[i + 2] = byte((x + y) * 4 + rnd() * 30);
        a[i + 3] = x < 5 && y < 5 ? 128 : 255;
        for (let c = 0; c < 3; c++) b[i + c] = byte(a[i + c] + Math.floor(rnd() * 21) - 10);
        b[i + 3] = x < 5 && y >= 3 && y < 8 ? 0 : a[i + 3];
      }
    }
    const [x, y] = [
      { width: 37, height: 23, data: a },
      { width: 37, height: 23, data: b },
    ];
    expect(psnr(x, y)).toBeCloseTo(28.718951770260276, 10);
    expect(ssim(x, y)).toBeCloseTo(0.93488951401134168, 12);
  });

  it('equals the naive definition, with the window shrunk to fit images under 11 pixels', () => {
    const a = scene(23, 19);
    const b = noisy(a, 6);
    expect(ssim(a, b)).toBeCloseTo(naiveSsim(a, b, 11), 12);
    const small = scene(7, 5);
    const smallNoisy = noisy(small, 6);
    expect(ssim(small, smallNoisy)).toBeCloseTo(naiveSsim(small, smallNoisy, 5), 12);
    const tiny = image(1, 1, () => [200, 200, 200, 255]);
    expect(
      ssim(
        tiny,
        image(1, 1, () => [100, 100, 100, 255]),
      ),
    ).toBeCloseTo((2 * 200 * 100 + 6.5025) / (200 ** 2 + 100 ** 2 + 6.5025), 12);
  });

  it.each([2, 5, 10, 20])('PSNR of Gaussian noise with sigma %d is 20·log10(255/sigma)', (sigma) => {
    const base = flat(256, 256, 128);
    const expected = 20 * Math.log10(255 / Math.sqrt(sigma ** 2 + 1 / 12)); // + rounding to 8 bits
    expect(psnr(noisy(base, sigma), base)).toBeCloseTo(expected, 1);
  });

  it.each([2, 5])('SSIM of noise with sigma %d on a flat image is C2 / (σ² + C2)', (sigma) => {
    // Flat reference: luminance term ≈ 1, covariance 0, so SSIM = C2 / (s² + C2) with s² the
    // window's weighted variance, σ²(1 − Σw²) in expectation (close while σ² is small against C2:
    // SSIM is convex in s², so the mean SSIM drifts above this as σ grows).
    const base = flat(128, 128, 128);
    const w = gaussianWindow();
    const sumW2 = w.reduce((s, v) => s + v * v, 0) ** 2;
    const c2 = (0.03 * 255) ** 2;
    const expected = c2 / ((sigma ** 2 + 1 / 12) * (1 - sumW2) + c2);
    expect(ssim(noisy(base, sigma), base)).toBeCloseTo(expected, 2);
  });

  it('see a one-pixel shift of a textured image as a different image', () => {
    const rnd = random(3);
    const texture = image(65, 48, () => {
      const v = rnd() * 255;
      return [v, v, v, 255];
    });
    const box = { x: 0, y: 0, width: 64, height: 48 };
    expect(psnr({ frame: texture, region: { ...box, x: 1 } }, { frame: texture, region: box })).toBeLessThan(
      15,
    );
    expect(ssim({ frame: texture, region: { ...box, x: 1 } }, { frame: texture, region: box })).toBeLessThan(
      0.1,
    );
  });

  it('ignore the colour under fully transparent pixels and count alpha as its composite over black', () => {
    const rnd = random(5);
    const hidden = image(16, 16, () => [rnd() * 255, rnd() * 255, rnd() * 255, 0]);
    expect(
      psnr(
        hidden,
        image(16, 16, () => [0, 0, 0, 0]),
      ),
    ).toBe(Infinity);
    expect(
      ssim(
        hidden,
        image(16, 16, () => [0, 0, 0, 0]),
      ),
    ).toBe(1);
    const white = flat(16, 16, 255);
    const halfWhite = image(16, 16, () => [255, 255, 255, 127]);
    expect(psnr(white, halfWhite)).toBeCloseTo(20 * Math.log10(255 / 128), 10); // 255 vs 127
  });

  it('compare a box of a frame with an image of the box size', () => {
    const frame = scene(40, 30);
    const region = { x: 11, y: 7, width: 20, height: 15 };
    const crop = image(20, 15, (x, y) =>
      Array.from(frame.data.subarray(((y + 7) * 40 + x + 11) * 4, ((y + 7) * 40 + x + 12) * 4)),
    );
    expect(psnr({ frame, region }, crop)).toBe(Infinity);
    expect(ssim(crop, { frame, region })).toBe(1);
  });

  it('throw ImageCompareError SIZE_MISMATCH for images of different sizes', () => {
    expect(() => psnr(flat(4, 4, 0), flat(4, 5, 0))).toThrow(
      new ImageCompareError('SIZE_MISMATCH', 'the first image is 4×4 but the second image is 4×5'),
    );
    expect(() => ssim(flat(4, 4, 0), flat(5, 4, 0))).toThrow(ImageCompareError);
  });
});

describe('compareRender', () => {
  const reference = scene(96, 72);

  it('accepts identical pixels, from PNG bytes or decoded', () => {
    expect(compareRender(encode(reference), reference)).toEqual({
      verdict: 'accept',
      psnr: Infinity,
      ssim: 1,
      reason: 'PSNR Infinity (identical), SSIM 1.0000: PSNR ≥ 60 dB',
    });
  });

  it('accepts a difference of one level in one pixel (kernel-level noise)', () => {
    const claimed = { ...reference, data: Uint8Array.from(reference.data) };
    claimed.data[4 * 500] += 1;
    const r = compareRender(claimed, reference);
    expect(r.verdict).toBe('accept');
    expect(r.psnr).toBeGreaterThan(80);
  });

  it('accepts the box of a PNG frame against a region render of it', () => {
    const region = { x: 30, y: 20, width: 40, height: 33 };
    const crop = image(40, 33, (x, y) => {
      const i = ((y + 20) * 96 + x + 30) * 4;
      return Array.from(reference.data.subarray(i, i + 4));
    });
    expect(compareRender({ frame: encode(reference), region }, encode(crop)).verdict).toBe('accept');
    expect(compareRender({ frame: reference, region: { ...region, y: 21 } }, crop).verdict).toBe('reject');
  });

  it('rejects a black frame against a real one', () => {
    const r = compareRender(flat(96, 72, 0), reference);
    expect(r.verdict).toBe('reject');
    expect(r.psnr).toBeLessThan(10);
    expect(r.ssim).toBeLessThan(0.05);
    expect(r.reason).toMatch(/^PSNR \d+\.\d\d dB, SSIM \d\.\d{4}: PSNR < 40 dB$/);
  });

  it('rejects noise of sigma 5 (PSNR 34 dB, as wrong work scores) and calls sigma 2 (42 dB) inconclusive', () => {
    const base = flat(128, 128, 128);
    const five = compareRender(noisy(base, 5), base);
    expect(five.verdict).toBe('reject');
    const two = compareRender(noisy(base, 2), base);
    expect(two).toMatchObject({ verdict: 'inconclusive' });
    expect(two.psnr).toBeGreaterThan(40);
    expect(two.ssim).toBeGreaterThan(0.9);
    expect(two.reason).toContain('between 40 and 60 dB (grey zone: check more samples)');
  });

  it('rejects on SSIM below rejectSsim and accepts on SSIM at or above acceptSsim when set', () => {
    const base = flat(128, 128, 128);
    const lenient: RenderThresholds = { ...DEFAULT_THRESHOLDS.render, rejectPsnrDb: 30 };
    const three = compareRender(noisy(base, 3), base, lenient); // PSNR 38.6, SSIM ≈ 0.87
    expect(three.verdict).toBe('reject');
    expect(three.reason).toMatch(/: SSIM < 0\.9$/);
    const two = compareRender(noisy(base, 2), base, { ...lenient, acceptSsim: 0.9 }); // SSIM ≈ 0.94
    expect(two.verdict).toBe('accept');
    expect(two.reason).toMatch(/: SSIM ≥ 0\.9$/);
  });

  it.each([
    [
      'a size mismatch',
      flat(96, 72, 0),
      flat(96, 71, 0),
      'SIZE_MISMATCH: the claimed image is 96×72 but the reference image is 96×71',
    ],
    [
      'a region against an image of another size',
      { frame: flat(96, 72, 0), region: { x: 0, y: 0, width: 10, height: 10 } },
      flat(10, 11, 0),
      'SIZE_MISMATCH: the claimed region is 10×10 but the reference image is 10×11',
    ],
    [
      'a region off the frame',
      { frame: flat(64, 48, 0), region: { x: 60, y: 0, width: 10, height: 10 } },
      flat(10, 10, 0),
      'BAD_REGION: the claimed region 10×10 at (60, 0) does not fit the 64×48 claimed frame',
    ],
    [
      'a region with fractional pixels',
      flat(10, 10, 0),
      { frame: flat(64, 48, 0), region: { x: 0.5, y: 0, width: 10, height: 10 } },
      'BAD_REGION: the reference region 10×10 at (0.5, 0) is not a non-empty box of whole pixels',
    ],
    [
      'pixels that do not fill the image',
      flat(2, 2, 0),
      { width: 2, height: 2, data: new Uint8Array(15) },
      'BAD_IMAGE: the reference image has 15 bytes of pixels; 2×2 RGBA8 needs 16',
    ],
    [
      'an empty image',
      { width: 0, height: 2, data: new Uint8Array(0) },
      flat(2, 2, 0),
      'BAD_IMAGE: the claimed image is 0×2, not a non-empty image',
    ],
  ])('rejects %s with the precise reason', (_name, claimed, ref, reason) => {
    expect(compareRender(claimed, ref)).toEqual({ verdict: 'reject', psnr: null, ssim: null, reason });
  });

  it('rejects bytes that are not a PNG, and a truncated PNG, naming the side', () => {
    const text = compareRender(Buffer.from('hello, I am not a PNG'), reference);
    expect(text).toMatchObject({ verdict: 'reject', psnr: null, ssim: null });
    expect(text.reason).toMatch(/^NOT_PNG: the claimed image is not a decodable PNG \(.+\)$/);
    const png = encode(reference);
    const truncated = compareRender(reference, {
      frame: png.subarray(0, png.length >> 1),
      region: { x: 0, y: 0, width: 1, height: 1 },
    });
    expect(truncated.reason).toMatch(/^NOT_PNG: the reference frame is not a decodable PNG \(.+\)$/);
  });

  it('compares 1920×1080 in well under a second', () => {
    const [width, height] = [1920, 1080];
    const rnd = random(9);
    const big = new Uint8Array(width * height * 4).map((_, i) => (i % 4 === 3 ? 255 : (i >> 5) ^ (i >> 13)));
    const other = big.map((v, i) => (i % 4 === 3 ? v : byte(v + (rnd() - 0.5) * 8)));
    const [a, b] = [
      { width, height, data: other },
      { width, height, data: big },
    ];
    compareRender(a, b); // warm up the JIT
    const started = performance.now();
    const r = compareRender(a, b);
    const ms = performance.now() - started;
    expect(r.psnr).toBeGreaterThan(40);
    expect(r.psnr).toBeLessThan(50);
    expect(ms).toBeLessThan(1500); // ~120 ms on a 2-core host
  });
});
