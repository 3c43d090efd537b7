import { useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import { ApiError, networkError } from '../api/errors';
import { MARKET_PRICES, SUBMIT_RENDER_JOB, type MarketPricesView } from '../api/operations';
import { PageHeader, useTitle } from '../components/layout';
import { ErrorNotice, Field, Note, Section } from '../components/ui';
import { UploadStatus } from '../components/upload-status';
import { useBlobUpload } from '../hooks/use-blob-upload';
import { useQuery } from '../hooks/use-query';
import { estimateRenderCost, formatTokens, parseFrames, parseResolution } from '../lib/format';
import {
  EMPTY_RENDER_FORM,
  formFieldOf,
  validateRenderForm,
  type FieldErrors,
  type RenderFormValues,
} from '../lib/render-form';
import { Link, navigate, useLocation } from '../router';
import { useSession } from '../session';
import { InferenceForm } from './submit-inference';

type Kind = 'render' | 'inference';

/** /submit renders a scene; /submit?kind=inference queues a batch of rows for a registered model. */
export function SubmitPage() {
  const { search } = useLocation();
  const kind: Kind = new URLSearchParams(search).get('kind') === 'inference' ? 'inference' : 'render';
  const tabs = <KindTabs current={kind} />;
  return kind === 'inference' ? <InferenceForm tabs={tabs} /> : <RenderForm tabs={tabs} />;
}

function KindTabs({ current }: { current: Kind }) {
  const tab = (kind: Kind, to: string, label: string) => (
    <Link
      to={to}
      className={current === kind ? 'chip active' : 'chip'}
      aria-current={current === kind ? 'page' : undefined}
    >
      {label}
    </Link>
  );
  return (
    <nav className="chips tabs" aria-label="Kind of job">
      {tab('render', '/submit', 'Blender render')}
      {tab('inference', '/submit?kind=inference', 'Inference batch')}
    </nav>
  );
}

/**
 * Render submission: the .blend is hashed (SHA-256, WebCrypto) and uploaded as soon as it is
 * chosen, with a progress bar; the coordinator then opens the scene when the job is submitted and
 * names the field at fault when something does not fit.
 */
function RenderForm({ tabs }: { tabs: ReactNode }) {
  useTitle('Submit a render');
  const { client } = useSession();
  const prices = useQuery<{ marketPrices: MarketPricesView }>(MARKET_PRICES);
  const { upload, start } = useBlobUpload();
  const [values, setValues] = useState<RenderFormValues>(EMPTY_RENDER_FORM);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const startUpload = (file: File) => {
    setErrors((e) => ({ ...e, blend: undefined }));
    void start(file);
  };

  const onFile = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (file) startUpload(file);
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
      {tabs}
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
