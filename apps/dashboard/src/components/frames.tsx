import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/errors';
import { fetchBlob, saveBlob } from '../api/blobs';
import type { FrameView } from '../api/operations';
import { useBlobUrl } from '../hooks/use-blob-url';
import { formatBytes } from '../lib/format';
import type { FrameCell } from '../lib/job-view';
import { useSession } from '../session';
import { ErrorNotice } from './ui';

function Thumbnail({ frame }: { frame: FrameView }) {
  // Frames without a thumbnail (EXR) show the frame itself, scaled down by the browser.
  const { url, error } = useBlobUrl(`/v1/blobs/${frame.thumbnail?.sha256 ?? frame.sha256}`);
  if (error) return <span className="thumb-missing">no preview</span>;
  return url ? (
    <img src={url} alt={`Frame ${frame.number}`} />
  ) : (
    <span className="thumb-loading" aria-hidden="true" />
  );
}

/** Every frame of a render: a thumbnail as soon as a frame is accepted, a numbered slot before. */
export function FrameGrid({ cells, onOpen }: { cells: FrameCell[]; onOpen: (frame: FrameView) => void }) {
  return (
    <ul className="frames" aria-label="Frames">
      {cells.map((cell) => (
        <li key={cell.number} data-testid={`frame-${cell.number}`} data-done={cell.frame ? 'true' : 'false'}>
          {cell.frame ? (
            <button
              type="button"
              className="frame"
              onClick={() => onOpen(cell.frame as FrameView)}
              aria-label={`Open frame ${cell.number}`}
            >
              <Thumbnail frame={cell.frame} />
              <span className="frame-number">{cell.number}</span>
            </button>
          ) : (
            <div className="frame frame-pending" aria-label={`Frame ${cell.number}: not rendered yet`}>
              <span className="frame-number">{cell.number}</span>
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

/** One frame at full size, with the neighbours a key away and a download of the file itself. */
export function FrameViewer({
  frames,
  current,
  onClose,
  onMove,
}: {
  frames: FrameView[];
  current: FrameView;
  onClose: () => void;
  onMove: (frame: FrameView) => void;
}) {
  const { apiKey } = useSession();
  const { url, error } = useBlobUrl(`/v1/blobs/${current.sha256}`);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const position = frames.findIndex((f) => f.number === current.number);
  const previous = position > 0 ? frames[position - 1] : null;
  const next = position >= 0 && position < frames.length - 1 ? frames[position + 1] : null;

  const onKey = useCallback(
    (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
      else if (event.key === 'ArrowLeft' && previous) onMove(previous);
      else if (event.key === 'ArrowRight' && next) onMove(next);
    },
    [onClose, onMove, previous, next],
  );
  useEffect(() => {
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onKey]);
  useEffect(() => closeRef.current?.focus(), []);

  const download = async () => {
    setSaveError(null);
    try {
      saveBlob(await fetchBlob(`/v1/blobs/${current.sha256}`, apiKey), current.path);
    } catch (e) {
      setSaveError(e instanceof ApiError ? e : null);
    }
  };

  return (
    <div
      className="overlay"
      role="dialog"
      aria-modal="true"
      aria-label={`Frame ${current.number}`}
      onClick={onClose}
    >
      <div className="viewer" onClick={(e) => e.stopPropagation()}>
        <div className="viewer-head">
          <strong>Frame {current.number}</strong>
          <span className="muted small">
            {current.path} · {formatBytes(current.size)}
          </span>
          <button
            type="button"
            className="button-secondary"
            onClick={onClose}
            ref={closeRef}
            aria-label="Close"
          >
            Close
          </button>
        </div>
        <div className="viewer-image">
          {error ? (
            <ErrorNotice error={error} />
          ) : url ? (
            <img src={url} alt={`Frame ${current.number} at full size`} data-testid="frame-full" />
          ) : (
            <span className="loading">Loading frame {current.number}…</span>
          )}
        </div>
        {saveError ? <ErrorNotice error={saveError} /> : null}
        <div className="viewer-actions">
          <button
            type="button"
            className="button-secondary"
            disabled={!previous}
            onClick={() => previous && onMove(previous)}
          >
            ← Previous
          </button>
          <button type="button" onClick={download}>
            Download frame
          </button>
          <button
            type="button"
            className="button-secondary"
            disabled={!next}
            onClick={() => next && onMove(next)}
          >
            Next →
          </button>
        </div>
      </div>
    </div>
  );
}
