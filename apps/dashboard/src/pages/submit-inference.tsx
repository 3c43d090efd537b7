import { useRef, useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import { ApiError, networkError } from '../api/errors';
import { sha256Hex, uploadBlob } from '../api/blobs';
import {
  MARKET_PRICES,
  MODELS,
  SUBMIT_INFERENCE_BATCH,
  type MarketPricesView,
  type ModelView,
  type TensorView,
} from '../api/operations';
import { PageHeader, useTitle } from '../components/layout';
import { Empty, ErrorNotice, Field, Loading, Note, Section, TableWrap } from '../components/ui';
import { ImagesField } from '../components/images-field';
import { UploadStatus } from '../components/upload-status';
import { useBlobUpload } from '../hooks/use-blob-upload';
import { useImageUploads } from '../hooks/use-image-uploads';
import { useQuery } from '../hooks/use-query';
import { formatBytes, formatTokens } from '../lib/format';
import {
  describeLines,
  EMPTY_INFERENCE_FORM,
  estimateInferenceCost,
  exampleRow,
  fieldErrorText,
  inferenceFieldOf,
  MAX_PASTED_ROWS,
  parsePastedRows,
  rowDims,
  validateInferenceForm,
  type InferenceErrors,
  type InferenceField,
  type InferenceFormValues,
  type RowsSource,
} from '../lib/inference-form';
import { failureLines, planRowImages, rewriteRowImages, type PickedImage } from '../lib/inference-images';
import { navigate } from '../router';
import { useSession } from '../session';

const REGISTER_COMMAND = 'tessera models register model.onnx --config model.onnx.json';

/**
 * Inference submission: pick a registered model, paste rows (JSONL) or upload a .jsonl file (hashed
 * and uploaded as soon as it is chosen, with a progress bar). Pasted rows are checked for syntax
 * here; the coordinator checks every row against the model and names the lines it cannot take,
 * which appear next to the rows field. For an image model, rows may name picked images by file
 * name: those are hashed and uploaded first, and the rows sent with their SHA-256 (as `tessera infer`
 * does with local files).
 */
export function InferenceForm({ tabs }: { tabs: ReactNode }) {
  useTitle('Submit an inference batch');
  const { client, apiKey } = useSession();
  const models = useQuery<{ models: ModelView[] }>(MODELS);
  const prices = useQuery<{ marketPrices: MarketPricesView }>(MARKET_PRICES);
  const file = useBlobUpload();
  const images = useImageUploads();
  const [picked, setPicked] = useState<File[]>([]);
  const formRef = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<InferenceFormValues>(EMPTY_INFERENCE_FORM);
  const [errors, setErrors] = useState<InferenceErrors>({});
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [submitting, setSubmitting] = useState(false);

  const list = models.data?.models ?? [];
  // The newest model is preselected; the select holds the user's choice after that.
  const modelId = values.model || list[0]?.id || '';
  const model = list.find((m) => m.id === modelId) ?? null;

  const update = (field: keyof InferenceFormValues, value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    const errorField: InferenceField = field === 'rowsText' || field === 'source' ? 'rows' : field;
    // Picked images are matched by line: new rows make the old image problems moot.
    setErrors((e) => ({
      ...e,
      [errorField]: undefined,
      ...(field === 'rowsText' ? { images: undefined } : {}),
    }));
  };
  const set =
    (field: keyof InferenceFormValues) =>
    (event: ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) =>
      update(field, event.target.value);

  const onFile = (event: ChangeEvent<HTMLInputElement>) => {
    const chosen = event.target.files?.[0];
    setErrors((e) => ({ ...e, rows: undefined }));
    if (chosen) void file.start(chosen);
  };

  const onPickImages = (files: File[]) => {
    setPicked(files);
    images.reset();
    setErrors((e) => ({ ...e, images: undefined }));
  };

  /**
   * The rows with each picked image they name replaced by its SHA-256, once every such image is
   * stored; null (with the problems by line next to the images field) when one is missing, too
   * large, not an image, or failed to upload. Unchanged text when no row names a file.
   */
  const sendImages = async (text: string): Promise<string | null> => {
    const described: PickedImage[] = picked.map((f) => ({
      name: f.name,
      path: f.webkitRelativePath || f.name,
      size: f.size,
    }));
    const plan = planRowImages(text, described);
    if (plan.problems.length) {
      setErrors((e) => ({ ...e, images: describeLines(plan.problems, plan.more) }));
      return null;
    }
    if (!plan.lines.size) return text;
    let hashes = new Map<number, string>();
    if (plan.files.length) {
      const sent = await images.send(picked, plan.files);
      if (sent === null) return null;
      if (Array.isArray(sent)) {
        const failed = failureLines(sent, plan, described);
        setErrors((e) => ({ ...e, images: describeLines(failed.problems, failed.more) }));
        return null;
      }
      hashes = sent;
    }
    return rewriteRowImages(text, plan, hashes);
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const { input, errors: found } = validateInferenceForm(
      { ...values, model: modelId },
      file.upload.phase === 'done' ? file.upload.sha256 : null,
    );
    setErrors(found);
    if (!input) return;
    setSubmitting(true);
    try {
      const uploaded = file.upload as { file: File; sha256: string };
      // Rows to upload; null sends the chosen file as it was uploaded.
      let text = values.source === 'paste' ? values.rowsText : null;
      // An image model's rows may name picked images (a chosen file's rows too, once images are picked).
      if (model?.preprocess && (values.source === 'paste' || picked.length)) {
        const original = text ?? (await uploaded.file.text());
        const sent = await sendImages(original);
        if (sent === null) return;
        if (sent !== original) text = sent;
      }
      const rows = text === null ? uploaded.sha256 : await uploadRows(text);
      const data = await client.request<{ submitInferenceBatch: { id: string } }>(SUBMIT_INFERENCE_BATCH, {
        input: { ...input, rows },
      });
      navigate(`/jobs/${data.submitInferenceBatch.id}`);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : networkError(error);
      // A pasted batch too large for the blob store is a problem with the rows, too.
      const field = inferenceFieldOf(apiError.field) ?? (apiError.code.startsWith('BLOB_') ? 'rows' : null);
      if (field) setErrors({ [field]: fieldErrorText(apiError) });
      else setFormError(apiError);
    } finally {
      setSubmitting(false);
    }
  };

  /** The coordinator reads rows from a blob, as it does a file's: pasted or rewritten rows go up first. */
  const uploadRows = async (text: string): Promise<string> => {
    const blob = new Blob([text.endsWith('\n') ? text : `${text}\n`], { type: 'application/x-ndjson' });
    const sha256 = await sha256Hex(blob);
    await uploadBlob(blob, sha256, { apiKey });
    return sha256;
  };

  const header = (
    <>
      <PageHeader
        title="Submit an inference batch"
        subtitle="Rows of JSON through one of your ONNX models, in shards across providers; one output line per row, in input order."
      />
      {tabs}
    </>
  );

  if (!models.data) {
    return (
      <>
        {header}
        {models.error ? (
          <ErrorNotice error={models.error} onRetry={models.reload} />
        ) : (
          <Loading what="Loading your models" />
        )}
      </>
    );
  }
  if (!list.length) {
    return (
      <>
        {header}
        <Empty title="No models registered yet">
          <p>
            A batch runs through a model you registered once: upload the .onnx and register it with the{' '}
            <code>tessera</code> CLI,
          </p>
          <pre data-testid="register-command">{REGISTER_COMMAND}</pre>
          <p>
            or with the <code>registerModel</code> mutation of the GraphQL API (at <code>/graphql</code>)
            after a <code>PUT /v1/blobs/&lt;sha256&gt;</code> of the file. The coordinator opens it in a
            sandbox, reads its inputs and outputs and times it; then it appears here.
          </p>
        </Empty>
      </>
    );
  }

  const pasted =
    values.source === 'paste' && values.rowsText.trim() ? parsePastedRows(values.rowsText) : null;
  const market = prices.data?.marketPrices;
  const estimate =
    pasted && !pasted.problems.length && model && market
      ? estimateInferenceCost(pasted.rows, model.msPerRow, market.inferencePerCpuSecond)
      : null;
  const rowsId = values.source === 'paste' ? 'inference-rows' : 'inference-rows-file';

  const field = (name: Exclude<keyof InferenceFormValues, 'source' | 'rowsText'>) => ({
    id: `inference-${name}`,
    name,
    value: name === 'model' ? modelId : values[name],
    onChange: set(name),
    'aria-invalid': errors[name] ? true : undefined,
    'aria-describedby': errors[name] ? `inference-${name}-error` : `inference-${name}-hint`,
  });

  return (
    <>
      {header}
      <form ref={formRef} onSubmit={onSubmit} noValidate className="form">
        <Section title="1. Model" id="model">
          <Field
            id="inference-model"
            label="Model"
            error={errors.model}
            hint="Your registered models, newest first."
          >
            <select {...field('model')}>
              {list.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} — {signatureSummary(m)}
                </option>
              ))}
            </select>
          </Field>
          {model ? <ModelDetails model={model} /> : null}
        </Section>

        <Section title="2. Rows" id="rows">
          <div className="chips" role="radiogroup" aria-label="Where the rows come from">
            {(
              [
                ['paste', 'Paste rows'],
                ['file', 'Upload a .jsonl file'],
              ] as [RowsSource, string][]
            ).map(([source, label]) => (
              <button
                key={source}
                type="button"
                role="radio"
                aria-checked={values.source === source}
                className={values.source === source ? 'chip active' : 'chip'}
                onClick={() => update('source', source)}
              >
                {label}
              </button>
            ))}
          </div>
          {values.source === 'paste' ? (
            <Field
              id={rowsId}
              label="Rows (JSONL)"
              error={errors.rows}
              hint={`One JSON object per line; blank lines are skipped. Up to ${MAX_PASTED_ROWS.toLocaleString('en')} rows here; upload a file for more.`}
            >
              <textarea
                id={rowsId}
                name="rows"
                rows={8}
                spellCheck={false}
                autoComplete="off"
                className="rows-input"
                placeholder={model ? exampleRow(model) : undefined}
                value={values.rowsText}
                onChange={set('rowsText')}
                aria-invalid={errors.rows ? true : undefined}
                aria-describedby={errors.rows ? `${rowsId}-error` : `${rowsId}-hint`}
              />
            </Field>
          ) : (
            <>
              <Field
                id={rowsId}
                label="Rows file (.jsonl)"
                error={errors.rows ?? (file.upload.phase === 'error' ? file.upload.error.message : null)}
                hint="One JSON object per line. It is uploaded as soon as you choose it; the rows are checked when you submit."
              >
                <input
                  id={rowsId}
                  name="rowsFile"
                  type="file"
                  accept=".jsonl,.ndjson,application/x-ndjson,application/jsonl"
                  onChange={onFile}
                  aria-invalid={errors.rows || file.upload.phase === 'error' ? true : undefined}
                  aria-describedby={
                    errors.rows || file.upload.phase === 'error' ? `${rowsId}-error` : `${rowsId}-hint`
                  }
                />
              </Field>
              <UploadStatus
                upload={file.upload}
                onRetry={() => file.upload.phase === 'error' && void file.start(file.upload.file)}
              />
            </>
          )}
          {model?.preprocess ? (
            <ImagesField
              picked={picked}
              onPick={onPickImages}
              error={errors.images}
              upload={images.state}
              onRetry={() => formRef.current?.requestSubmit()}
            />
          ) : null}
        </Section>

        <Section title="3. Settings" id="settings">
          <div className="form-grid">
            <Field
              id="inference-name"
              label="Name (optional)"
              error={errors.name}
              hint="To find the batch again."
            >
              <input {...field('name')} autoComplete="off" />
            </Field>
            <Field
              id="inference-shardRows"
              label="Rows per task (optional)"
              error={errors.shardRows}
              hint="Rounded up to whole batches of the model. Empty: sized from the model's speed."
            >
              <input {...field('shardRows')} inputMode="numeric" autoComplete="off" />
            </Field>
            <Field
              id="inference-maxPrice"
              label={`Price cap${market ? ` (${market.currency})` : ''}`}
              error={errors.maxPrice}
              hint="Reserved from your balance at submission; you pay only for accepted rows. Empty: no cap."
            >
              <input {...field('maxPrice')} inputMode="decimal" autoComplete="off" placeholder="no cap" />
            </Field>
            <Field
              id="inference-device"
              label="Device"
              error={errors.device}
              hint="Any runs on GPUs where providers have them."
            >
              <select {...field('device')}>
                <option value="ANY">Any</option>
                <option value="CPU">CPU only</option>
                <option value="GPU">GPU only</option>
              </select>
            </Field>
          </div>
          {estimate !== null && pasted && market ? (
            <Note>
              At the market price, {pasted.rows} row{pasted.rows === 1 ? '' : 's'} cost about{' '}
              <strong data-testid="estimate">{formatTokens(estimate, market.currency)}</strong>.
            </Note>
          ) : (
            <Note>The coordinator prices a batch from the model&apos;s measured time per row.</Note>
          )}
        </Section>

        {formError ? <ErrorNotice error={formError} /> : null}
        <div className="row">
          <button
            type="submit"
            disabled={submitting || file.upload.phase === 'hashing' || file.upload.phase === 'uploading'}
          >
            {images.state.phase === 'working'
              ? 'Sending the images…'
              : submitting
                ? 'Checking the rows…'
                : 'Submit batch'}
          </button>
          {submitting ? (
            <span className="muted small">The coordinator checks every row against the model first.</span>
          ) : null}
        </div>
      </form>
    </>
  );
}

/** "image 320×48" for image models, "features float32 4" otherwise: what the select shows. */
function signatureSummary(model: ModelView): string {
  if (model.preprocess) return `image ${model.preprocess.width}×${model.preprocess.height}`;
  return model.inputs.map((t) => `${t.name} ${t.type} ${rowDims(t)}`).join(', ');
}

function ModelDetails({ model }: { model: ModelView }) {
  return (
    <div className="model-details" data-testid="model-details">
      <p className="small">
        Batches of {model.batchSize} row{model.batchSize === 1 ? '' : 's'}
        {model.msPerRow !== null
          ? ` · about ${model.msPerRow.toFixed(1)} ms per row on 2 CPU threads`
          : ''} · {formatBytes(model.onnxSize)}
        {model.preprocess
          ? ` · images resized to ${model.preprocess.width}×${model.preprocess.height} for input "${model.preprocess.input}"`
          : ''}
        {model.postprocess
          ? ` · ${model.postprocess.type.toLowerCase().replace('_', ' ')} on "${model.postprocess.output}"`
          : ''}
      </p>
      <TableWrap label="Model signature">
        <thead>
          <tr>
            <th>Tensor</th>
            <th>Name</th>
            <th>Type</th>
            <th>Per row</th>
          </tr>
        </thead>
        <tbody>
          {model.inputs.map((t) => (
            <SignatureRow key={`in-${t.name}`} role="input" tensor={t} />
          ))}
          {model.outputs.map((t) => (
            <SignatureRow key={`out-${t.name}`} role="output" tensor={t} />
          ))}
        </tbody>
      </TableWrap>
      <p className="small">
        A row: <code data-testid="example-row">{exampleRow(model)}</code>
      </p>
    </div>
  );
}

function SignatureRow({ role, tensor }: { role: string; tensor: TensorView }) {
  return (
    <tr>
      <td>{role}</td>
      <td>
        <code>{tensor.name}</code>
      </td>
      <td>{tensor.type}</td>
      <td>{rowDims(tensor)}</td>
    </tr>
  );
}
