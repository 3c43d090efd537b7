import { useEffect, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import { ApiError, isAbort, networkError } from '../api/errors';
import { sha256Hex, uploadBlob } from '../api/blobs';
import { MARKET_PRICES, SUBMIT_RENDER_JOB, type MarketPricesView } from '../api/operations';
import { PageHeader, useTitle } from '../components/layout';
import { ErrorNotice, Field, Note, ProgressBar, Section } from '../components/ui';
import { useQuery } from '../hooks/use-query';
import {
  estimateRenderCost,
  formatBytes,
  formatTokens,
  parseFrames,
  parseResolution,
  shortId,
} from '../lib/format';
import {
  EMPTY_RENDER_FORM,
  formFieldOf,
  validateRenderForm,
  type FieldErrors,
  type RenderFormValues,
} from '../lib/render-form';
import { navigate } from '../router';
import { useSession } from '../session';

type Upload =
  | { phase: 'idle' }
  | { phase: 'hashing'; file: File }
  | { phase: 'uploading'; file: File; sha256: string; sent: number; total: number }
  | { phase: 'done'; file: File; sha256: string }
  | { phase: 'error'; file: File; error: ApiError };

/**
 * Render submission: the .blend is hashed (SHA-256, WebCrypto) and uploaded as soon as it is
 * chosen, with a progress bar; the coordinator then opens the scene when the job is submitted and
 * names the field at fault when something does not fit.
 */
export function SubmitPage() {
  useTitle('Submit a render');
  const { client, apiKey } = useSession();
  const prices = useQuery<{ marketPrices: MarketPricesView }>(MARKET_PRICES);
  const [upload, setUpload] = useState<Upload>({ phase: 'idle' });
  const [values, setValues] = useState<RenderFormValues>(EMPTY_RENDER_FORM);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const uploadAbort = useRef<AbortController | null>(null);

  useEffect(() => () => uploadAbort.current?.abort(), []);

  const startUpload = async (file: File) => {
    uploadAbort.current?.abort();
    const controller = new AbortController();
    uploadAbort.current = controller;
    setErrors((e) => ({ ...e, blend: undefined }));
    setUpload({ phase: 'hashing', file });
    try {
      const sha256 = await sha256Hex(file);
      if (controller.signal.aborted) return;
      setUpload({ phase: 'uploading', file, sha256, sent: 0, total: file.size });
      await uploadBlob(file, sha256, {
        apiKey,
        signal: controller.signal,
        onProgress: (sent, total) => setUpload({ phase: 'uploading', file, sha256, sent, total }),
      });
      if (!controller.signal.aborted) setUpload({ phase: 'done', file, sha256 });
    } catch (error) {
      if (isAbort(error) || controller.signal.aborted) return;
      setUpload({ phase: 'error', file, error: error instanceof ApiError ? error : networkError(error) });
    }
  };

  const onFile = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (file) void startUpload(file);
  };

  const set =
    (field: keyof RenderFormValues) => (event: ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
      setValues((v) => ({ ...v, [field]: event.target.value }));
      setErrors((e) => ({ ...e, [field]: undefined }));
    };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const { input, errors: found } = validateRenderForm(
      values,
      upload.phase === 'done' ? upload.sha256 : null,
    );
    setErrors(found);
    if (!input) return;
    setSubmitting(true);
    try {
      const data = await client.request<{ submitRenderJob: { id: string } }>(SUBMIT_RENDER_JOB, { input });
      navigate(`/jobs/${data.submitRenderJob.id}`);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : networkError(error);
      const field = formFieldOf(apiError.field);
      if (field) setErrors({ [field]: apiError.detail });
      else setFormError(apiError);
    } finally {
      setSubmitting(false);
    }
  };

  const estimate = (() => {
    const frames = parseFrames(values.frames.trim());
    const size = parseResolution(values.resolution);
    const samples = Number(values.samples);
    const market = prices.data?.marketPrices;
    if (!frames || !size || !Number.isInteger(samples) || samples < 1 || !market) return null;
    return {
      cost: estimateRenderCost({ frames: frames.length, ...size, samples }, market.renderPerMegapixelSample),
      frames: frames.length,
      currency: market.currency,
    };
  })();

  const field = (name: keyof RenderFormValues) => ({
    id: `render-${name}`,
    name,
    value: values[name],
    onChange: set(name),
    'aria-invalid': errors[name] ? true : undefined,
    'aria-describedby': errors[name] ? `render-${name}-error` : `render-${name}-hint`,
  });

  return (
    <>
      <PageHeader
        title="Submit a render"
        subtitle="Blender scenes with Cycles, split into chunks of frames across providers."
      />
      <form onSubmit={onSubmit} noValidate className="form">
        <Section title="1. Scene" id="scene">
          <Field
            id="render-blend"
            label=".blend file"
            error={errors.blend ?? (upload.phase === 'error' ? upload.error.message : null)}
            hint="Pack external assets into the file first (File › External Data › Pack Resources). Scripts in it never run."
          >
            <input
              id="render-blend"
              name="blend"
              type="file"
              accept=".blend"
              onChange={onFile}
              aria-invalid={errors.blend || upload.phase === 'error' ? true : undefined}
              aria-describedby={
                errors.blend || upload.phase === 'error' ? 'render-blend-error' : 'render-blend-hint'
              }
            />
          </Field>
          <UploadStatus
            upload={upload}
            onRetry={() => upload.phase === 'error' && startUpload(upload.file)}
          />
        </Section>

        <Section title="2. Settings" id="settings">
          <div className="form-grid">
            <Field id="render-name" label="Name (optional)" error={errors.name} hint="To find the job again.">
              <input {...field('name')} autoComplete="off" />
            </Field>
            <Field
              id="render-frames"
              label="Frames"
              error={errors.frames}
              hint={'"1-48", "1-48x2", "1,5,10-12"; empty: the scene\'s range.'}
            >
              <input
                {...field('frames')}
                inputMode="numeric"
                autoComplete="off"
                placeholder="scene's range"
              />
            </Field>
            <Field
              id="render-resolution"
              label="Resolution"
              error={errors.resolution}
              hint="Width x height; empty: the scene's."
            >
              <input {...field('resolution')} autoComplete="off" placeholder="1920x1080" />
            </Field>
            <Field
              id="render-samples"
              label="Samples"
              error={errors.samples}
              hint="Cycles samples per pixel."
            >
              <input {...field('samples')} inputMode="numeric" autoComplete="off" />
            </Field>
            <Field
              id="render-maxPrice"
              label={`Price cap${prices.data ? ` (${prices.data.marketPrices.currency})` : ''}`}
              error={errors.maxPrice}
              hint="Reserved from your balance at submission; you pay only for accepted frames. Empty: no cap."
            >
              <input {...field('maxPrice')} inputMode="decimal" autoComplete="off" placeholder="no cap" />
            </Field>
            <Field
              id="render-chunkSize"
              label="Frames per task (optional)"
              error={errors.chunkSize}
              hint="Empty: chosen from an estimate of the render time."
            >
              <input {...field('chunkSize')} inputMode="numeric" autoComplete="off" />
            </Field>
            <Field
              id="render-device"
              label="Device"
              error={errors.device}
              hint="Any renders on GPUs where providers have them."
            >
              <select {...field('device')}>
                <option value="ANY">Any</option>
                <option value="CPU">CPU only</option>
                <option value="GPU">GPU only</option>
              </select>
            </Field>
          </div>
          {estimate ? (
            <Note>
              At the market price, {estimate.frames} frame{estimate.frames === 1 ? '' : 's'} cost about{' '}
              <strong data-testid="estimate">{formatTokens(estimate.cost, estimate.currency)}</strong>.
            </Note>
          ) : (
            <Note>
              Fill in frames, resolution and samples to see what the render costs at the market price.
            </Note>
          )}
        </Section>

        {formError ? <ErrorNotice error={formError} /> : null}
        <div className="row">
          <button
            type="submit"
            disabled={submitting || upload.phase === 'hashing' || upload.phase === 'uploading'}
          >
            {submitting ? 'Checking the scene…' : 'Submit render'}
          </button>
          {submitting ? (
            <span className="muted small">
              The coordinator opens the scene in a sandbox first; this takes a few seconds.
            </span>
          ) : null}
        </div>
      </form>
    </>
  );
}

function UploadStatus({ upload, onRetry }: { upload: Upload; onRetry: () => void }) {
  switch (upload.phase) {
    case 'idle':
      return null;
    case 'hashing':
      return (
        <p className="upload" role="status">
          Hashing {upload.file.name} ({formatBytes(upload.file.size)})…
        </p>
      );
    case 'uploading':
      return (
        <div className="upload" role="status">
          <ProgressBar fraction={upload.total ? upload.sent / upload.total : 0} label="Upload progress" />
          <span className="small">
            Uploading {upload.file.name}: {formatBytes(upload.sent)} of {formatBytes(upload.total)}
          </span>
        </div>
      );
    case 'done':
      return (
        <p className="upload upload-done" role="status" data-testid="upload-done">
          ✓ Uploaded {upload.file.name} ({formatBytes(upload.file.size)}, SHA-256{' '}
          <code title={upload.sha256}>{shortId(upload.sha256, 12)}</code>)
        </p>
      );
    case 'error':
      return (
        <button type="button" className="button-secondary" onClick={onRetry}>
          Retry the upload
        </button>
      );
  }
}
