import type { Upload } from '../hooks/use-blob-upload';
import { formatBytes, shortId } from '../lib/format';
import { ProgressBar } from './ui';

/** Where a file's upload stands: hashing, a progress bar, done with its digest, or a retry. */
export function UploadStatus({ upload, onRetry }: { upload: Upload; onRetry: () => void }) {
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
