import type { ChangeEvent } from 'react';
import type { ImagesUpload } from '../hooks/use-image-uploads';
import { formatBytes } from '../lib/format';
import { describeProgress, MAX_IMAGE_BYTES, progressFraction } from '../lib/inference-images';
import { Field, ProgressBar } from './ui';

const ACCEPT = 'image/png,image/jpeg,.png,.jpg,.jpeg';

/**
 * The images an image model's rows name by file name: picked one by one or as a folder, hashed and
 * uploaded when the batch is submitted, with one progress bar over them all and, when some fail,
 * a retry that sends only those.
 */
export function ImagesField({
  picked,
  onPick,
  error,
  upload,
  onRetry,
}: {
  picked: readonly File[];
  onPick: (files: File[]) => void;
  error?: string;
  upload: ImagesUpload;
  onRetry: () => void;
}) {
  const id = 'inference-images';
  const bytes = picked.reduce((sum, f) => sum + f.size, 0);
  const onChange = (event: ChangeEvent<HTMLInputElement>) => onPick([...(event.target.files ?? [])]);
  return (
    <div className="images-field">
      <Field
        id={id}
        label="Images"
        error={error}
        hint={
          <>
            PNG or JPEG files that rows name by file name, e.g.{' '}
            <code>{'{"id": 1, "image": "line-001.png"}'}</code>, or by their path in a picked folder. Each is
            hashed here and uploaded once when you submit (at most {formatBytes(MAX_IMAGE_BYTES)} each); rows
            giving a SHA-256 pass through.
          </>
        }
      >
        <input
          id={id}
          name="images"
          type="file"
          multiple
          accept={ACCEPT}
          onChange={onChange}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : `${id}-hint`}
        />
      </Field>
      <div className="images-picked">
        <label className="small images-folder">
          or a whole folder:{' '}
          {/* Chromium, Firefox and Safari all pick a folder (and everything below it) this way. */}
          <input id={`${id}-folder`} name="imagesFolder" type="file" webkitdirectory="" onChange={onChange} />
        </label>
        {picked.length ? (
          <span className="small" data-testid="images-picked">
            {picked.length} file{picked.length === 1 ? '' : 's'} picked ({formatBytes(bytes)}){' '}
            <button type="button" className="button-secondary small" onClick={() => onPick([])}>
              Clear
            </button>
          </span>
        ) : null}
      </div>
      <ImagesStatus upload={upload} onRetry={onRetry} />
    </div>
  );
}

function ImagesStatus({ upload, onRetry }: { upload: ImagesUpload; onRetry: () => void }) {
  switch (upload.phase) {
    case 'idle':
      return null;
    case 'working':
      return (
        <div className="upload" role="status" data-testid="images-progress">
          <ProgressBar fraction={progressFraction(upload.progress)} label="Image upload progress" />
          <span className="small">{describeProgress(upload.progress)}</span>
        </div>
      );
    case 'done':
      return (
        <p className="upload upload-done" role="status" data-testid="images-done">
          ✓ {upload.images} image{upload.images === 1 ? '' : 's'} ready:{' '}
          {upload.uploaded
            ? `${upload.uploaded} uploaded (${formatBytes(upload.bytes)})`
            : 'all already uploaded'}
          {upload.uploaded && upload.uploaded < upload.images
            ? `, ${upload.images - upload.uploaded} already there or identical to another`
            : ''}
        </p>
      );
    case 'error':
      // A file that is not an image has to be fixed or picked again; a failed transfer can be retried.
      return upload.retryable ? (
        <button type="button" className="button-secondary" onClick={onRetry}>
          Retry the images
        </button>
      ) : null;
  }
}
