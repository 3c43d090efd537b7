/**
 * What a spot-check concludes from one compared item (DESIGN.md §5): `accept` (the provider's item
 * is the requested work), `reject` (it is not: the task fails, payment is withheld, the bond is
 * slashed) or `inconclusive` (the grey zone: check more items before deciding).
 */
export type Verdict = 'accept' | 'reject' | 'inconclusive';

/**
 * When a render region counts as the same work. The rule, in order (image-compare.ts):
 * 1. PSNR ≥ `acceptPsnrDb`: accept;
 * 2. PSNR < `rejectPsnrDb` or SSIM < `rejectSsim`: reject;
 * 3. SSIM ≥ `acceptSsim` (when set): accept;
 * 4. anything else: inconclusive.
 * PSNR is over RGB composited over black, SSIM the mean over 11×11 Gaussian windows of luma.
 */
export interface RenderThresholds {
  /** dB. At or above it the region is accepted whatever SSIM says. */
  acceptPsnrDb: number;
  /** dB. Below it the region is rejected whatever SSIM says. */
  rejectPsnrDb: number;
  /** Mean SSIM at or above which a region between the PSNR bounds is accepted; null: never. */
  acceptSsim: number | null;
  /** Mean SSIM below which a region is rejected. */
  rejectSsim: number;
}

/**
 * How close two inference rows must be. Every floating-point value (raw tensor elements, argmax
 * `max` values, ctc `confidence`) passes when `|claimed − reference| ≤ atol + rtol·|reference|`
 * (numpy's `allclose` rule, the re-executed row as the reference). Text, argmax indices, dims,
 * int64 strings, and integer and bool tensors (when the model's output types are given) must be
 * equal.
 */
export interface RowThresholds {
  atol: number;
  rtol: number;
}

export interface VerificationThresholds {
  render: RenderThresholds;
  rows: RowThresholds;
}

/**
 * Defaults, from measurements on this repository's workers (Blender 3.4.1 Cycles on the CPU,
 * onnxruntime 1.30 on the CPU); `render-compare.int-spec.ts` re-measures the render facts in CI.
 */
export const DEFAULT_THRESHOLDS: Readonly<VerificationThresholds> = Object.freeze({
  render: Object.freeze({
    /**
     * 60 dB (an RMS error of 0.26 of one 8-bit level). render.py's contract makes a CPU re-render
     * of the same frame pixel-identical (PSNR Infinity: across runs, thread counts, and a region
     * against the same box of the full frame), and frames from different CPU kernels (other
     * instruction sets) differ by ~82 dB: 22 dB of margin. Wrong work stays well below: on the demo
     * scene at 160×120 against a 16-sample reference (render-compare.int-spec.ts), frame 3 scores
     * 27.3 dB, 4 samples 35.6, seed 1 39.0; earlier scenes gave 28–35 dB for another seed, 8
     * instead of 32 samples, another frame. A cheaper render gains ~3 dB per halving of the noise
     * variance, so the margin shrinks on converged renders (64 vs 256 samples: 48.9 dB; 256 vs
     * 1024: 53.0): at thousands of samples an 8-bit PNG hides a 4× cheaper render, and such jobs
     * need EXR output or a verifier that re-renders at the provider's sample count on more regions.
     */
    acceptPsnrDb: 60,
    /**
     * 40 dB (RMS error 2.6 levels): just above every wrong render measured against a 16-sample
     * reference (4 samples 35.6 dB, other seed 39.0, frame 3 27.3, frame 1 22.9; 28–35 dB on
     * earlier scenes for another seed, 8 instead of 32 samples, another frame). It is kept low
     * because a false reject slashes an honest provider: work that is close but not exact (a GPU
     * frame against a CPU re-render: render/blender/README.md) lands in the grey zone, and so does
     * wrong work at high sample counts (8 vs 16 samples 40.9 dB, 64 vs 256 48.9, another seed at
     * 256 samples 50.8); neither is ever accepted, both need more samples or a verifier on the
     * provider's device type.
     */
    rejectPsnrDb: 40,
    /**
     * null: SSIM never accepts on its own. Honest work on the same device type is bit-exact, so
     * SSIM adds nothing to the accept side, and it saturates on converged renders: a 64-sample
     * render against a 256-sample reference (4× cheaper) scores SSIM 0.9959, another seed at 256
     * samples 0.9974, so the "accept at SSIM ≥ 0.99" rule would pay for them. Set a value only
     * when verifying across device types, knowing that.
     */
    acceptSsim: null,
    /**
     * 0.90, legacy Golem's rejection bound (it accepted above 0.92 and sampled more crops in
     * between). Golem's accept bound would be far too lenient here: 4 instead of 16 samples scores
     * SSIM 0.937 and another seed 0.964. Kept as a second reject rule beside PSNR for structural
     * errors PSNR underrates (dark or low-contrast regions); every wrong render measured is rejected
     * by PSNR already (frame 3: 0.898, frame 1: 0.828).
     */
    rejectSsim: 0.9,
  }),
  rows: Object.freeze({
    /**
     * 1e-4 absolute. On the CPU, outputs were byte-identical across runs, 1 vs 2 threads, shards,
     * single-row re-runs and batch positions (docker/workers/onnx/README.md), so the tolerance is
     * only for a verifier on other kernels (CPU vs GPU, other instruction sets), whose float32
     * reductions differ in the last bits (~1e-6 relative on softmax outputs). The absolute term
     * covers values near zero, where relative error is meaningless.
     */
    atol: 1e-4,
    /**
     * 1e-3 relative: ~100× the float32 rounding differences of other kernels, yet 10× tighter than
     * the ~1e-2 errors of an int8-quantised or otherwise cheaper model.
     */
    rtol: 1e-3,
  }),
});
