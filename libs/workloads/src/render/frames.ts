/** Most frames one job may ask for. */
export const MAX_FRAMES_PER_JOB = 100_000;

/**
 * Parses a frame list as artists write it: `1-48`, `1-48x2` (every 2nd), `1,5,10-12`, or a mix.
 * Returns the frames sorted and without duplicates; throws an Error whose message says what is wrong.
 */
export function parseFrames(spec: string): number[] {
  const frames = new Set<number>();
  const parts = spec.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === ''))
    throw new Error(`"${spec}" is not a frame list (e.g. 1-48, 1-48x2, 1,5,10-12)`);
  for (const part of parts) {
    const m = /^(-?\d+)(?:-(-?\d+)(?:x(\d+))?)?$/.exec(part);
    if (!m) throw new Error(`"${part}" is not a frame, a range like 1-48 or a stepped range like 1-48x2`);
    const start = Number(m[1]);
    const end = m[2] === undefined ? start : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    if (end < start) throw new Error(`"${part}": the range ends before it starts`);
    if (step < 1) throw new Error(`"${part}": the step must be at least 1`);
    if ((end - start) / step + frames.size > MAX_FRAMES_PER_JOB) {
      throw new Error(`more than ${MAX_FRAMES_PER_JOB} frames`);
    }
    for (let f = start; f <= end; f += step) frames.add(f);
  }
  return [...frames].sort((a, b) => a - b);
}

/** `[1,2,3,5,7,9]` → `1-3,5-9x2`: short and exact, for messages and task names. */
export function formatFrames(frames: readonly number[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < frames.length) {
    const start = frames[i];
    if (i + 1 < frames.length) {
      const step = frames[i + 1] - start;
      let j = i + 1;
      while (j + 1 < frames.length && frames[j + 1] - frames[j] === step) j++;
      if (j - i >= 2 || (j - i === 1 && step === 1)) {
        out.push(step === 1 ? `${start}-${frames[j]}` : `${start}-${frames[j]}x${step}`);
        i = j + 1;
        continue;
      }
    }
    out.push(String(start));
    i++;
  }
  return out.join(',');
}

/** The output file name of a frame: `frame-000012.png`. */
export function frameFileName(frame: number, format: 'PNG' | 'OPEN_EXR'): string {
  const padded = frame < 0 ? `-${String(-frame).padStart(6, '0')}` : String(frame).padStart(6, '0');
  return `frame-${padded}.${format === 'PNG' ? 'png' : 'exr'}`;
}

/** The frame number in an output path (`frame-000012.png`, `thumbs/frame-000012.png`), if it is one. */
export function frameOfPath(path: string): { frame: number; thumbnail: boolean } | undefined {
  const m = /^(thumbs\/)?frame-(-?\d{6,})\.(png|exr)$/.exec(path);
  return m ? { frame: Number(m[2]), thumbnail: m[1] !== undefined } : undefined;
}
