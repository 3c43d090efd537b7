import type { SubmitRenderJobInput } from '../api/operations';
import { parseFrames, parseResolution } from './format';

/** What the render form holds, as typed. */
export interface RenderFormValues {
  name: string;
  frames: string;
  resolution: string;
  samples: string;
  maxPrice: string;
  chunkSize: string;
  device: 'ANY' | 'CPU' | 'GPU';
}

export type RenderField = keyof RenderFormValues | 'blend';
export type FieldErrors = Partial<Record<RenderField, string>>;

export const EMPTY_RENDER_FORM: RenderFormValues = {
  name: '',
  frames: '',
  resolution: '',
  samples: '32',
  maxPrice: '',
  chunkSize: '',
  device: 'ANY',
};

/**
 * Checks what can be checked without the scene (the coordinator checks the rest when it opens the
 * file) and builds the mutation input. Empty fields are left out: the scene's own values apply.
 */
export function validateRenderForm(
  values: RenderFormValues,
  blend: string | null,
): { input: SubmitRenderJobInput | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  if (!blend) errors.blend = 'Choose a .blend file and wait for its upload to finish.';
  const frames = values.frames.trim();
  if (frames && !parseFrames(frames))
    errors.frames = 'Use frame numbers and ranges: "1-48", "1-48x2" (every 2nd), "1,5,10-12".';
  const resolution = values.resolution.trim();
  const size = resolution ? parseResolution(resolution) : null;
  if (resolution && !size) errors.resolution = 'Width × height in pixels, e.g. 1920x1080.';
  const samples = values.samples.trim();
  if (samples && !/^\d+$/.test(samples)) errors.samples = 'A whole number of samples per pixel, e.g. 32.';
  else if (samples && (Number(samples) < 1 || Number(samples) > 65_536))
    errors.samples = 'From 1 to 65536 samples.';
  const maxPrice = values.maxPrice.trim();
  if (maxPrice && !/^\d+(\.\d{1,6})?$/.test(maxPrice))
    errors.maxPrice = 'Tokens as a decimal number (at most 6 decimals), e.g. 2.5.';
  const chunkSize = values.chunkSize.trim();
  if (chunkSize && (!/^\d+$/.test(chunkSize) || Number(chunkSize) < 1))
    errors.chunkSize = 'A whole number of frames, 1 or more.';
  if (Object.keys(errors).length || !blend) return { input: null, errors };

  const input: SubmitRenderJobInput = { blend };
  if (values.name.trim()) input.name = values.name.trim();
  if (frames) input.frames = frames.replace(/\s+/g, '');
  if (size) input.resolution = `${size.width}x${size.height}`;
  if (samples) input.samples = Number(samples);
  if (maxPrice) input.maxPrice = maxPrice;
  if (chunkSize) input.chunkSize = Number(chunkSize);
  if (values.device !== 'ANY') input.device = values.device;
  return { input, errors };
}

const FIELD_OF_API: Record<string, RenderField> = {
  blend: 'blend',
  name: 'name',
  frames: 'frames',
  resolution: 'resolution',
  resolutionPercentage: 'resolution',
  samples: 'samples',
  maxPrice: 'maxPrice',
  chunkSize: 'chunkSize',
  device: 'device',
};

/** The form field an API error names (`extensions.field`), if it is one the form has. */
export function formFieldOf(apiField: string | undefined): RenderField | null {
  if (!apiField) return null;
  return FIELD_OF_API[apiField.split('.')[0]] ?? null;
}
