import { mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { CommandContext } from '../cli-context';
import { CliError } from '../cli-error';
import { requireApiKey } from '../config/cli-config';
import { HashMismatchError } from '../api/blob-client';
import { FINISHED_STATES, JobFiles } from '../api/operations';
import { TesseraApi } from '../api/tessera-api';
import { sha256File } from '../files/blend-file';
import { TransferProgress } from '../ui/transfer-progress';
import { pool } from '../pool';
import { describeRowOutputs, downloadRowOutputs, summarizeRowOutputs } from '../inference/row-outputs';

/** Downloads at once: frames are many and small, so a few in flight keep the connection busy. */
const CONCURRENCY = 4;

/** A file to fetch: where it goes (relative to the folder) and the digest it must have. */
interface Wanted {
  name: string;
  sha256: string;
  size: number;
}

/** `My shot #2` → `My-shot-2`: a folder or file name that is safe everywhere. */
export function slug(text: string | null | undefined): string {
  return (text ?? '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 64);
}

/** `./<job name>-frames`, or `./job-<id>-frames` for a job without a name. */
export function defaultFolder(job: { id: string; name: string | null }): string {
  return `${slug(job.name) || `job-${job.id}`}-frames`;
}

/**
 * A server-given relative path, accepted only if it stays inside the folder: no absolute paths, no
 * `..`, only plain characters. Returns undefined for anything else.
 */
export function safeRelativePath(path: string): string | undefined {
  const segments = path.split('/');
  const ok = segments.every((s) => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(s) && s !== '..');
  return ok && segments.length <= 8 ? segments.join('/') : undefined;
}

/** The files of a job: a render's frames (flat, `frame-000012.png`), otherwise its outputs. */
function wantedFiles(job: JobFiles): Wanted[] {
  if (job.kind === 'render')
    return job.frames.map((f) => {
      const name = safeRelativePath(f.path);
      const ext = f.path.endsWith('.exr') ? 'exr' : 'png';
      const fallback = `frame-${f.number < 0 ? '-' : ''}${String(Math.abs(f.number)).padStart(6, '0')}.${ext}`;
      return { name: name && !name.includes('/') ? name : fallback, sha256: f.sha256, size: f.size };
    });
  return job.outputs.map((o) => {
    const name = safeRelativePath(o.path);
    if (!name)
      throw new CliError(`job ${job.id}: refusing to write the output path "${o.path}" outside the folder`);
    return { name, sha256: o.sha256, size: o.size };
  });
}

export interface DownloadResult {
  folder: string;
  downloaded: number;
  present: number;
}

/**
 * Downloads every accepted frame of a job (other kinds: every output) into `folder`, and
 * guarantees that each file there has the SHA-256 the coordinator lists for it: files already
 * present with that digest are skipped (so an interrupted download resumes), files with any other
 * content are downloaded again, and each download is verified before it replaces anything (one
 * retry on a mismatch). Nothing partial is ever left under a final name.
 */
export async function downloadFiles(
  ctx: CommandContext,
  api: TesseraApi,
  job: JobFiles,
  folder: string,
): Promise<DownloadResult> {
  const unit = job.kind === 'render' ? 'frames' : 'files';
  const files = wantedFiles(job);
  if (files.length === 0)
    throw new CliError(
      `job ${job.id} has no ${job.kind === 'render' ? 'accepted frames' : 'outputs'} yet (${job.state}): try again later, or "tessera watch ${job.id}"`,
    );
  await mkdir(folder, { recursive: true });
  const missing: Wanted[] = [];
  for (const file of files) {
    const path = join(folder, file.name);
    const actual = await sha256File(path).catch(() => undefined);
    if (actual !== file.sha256) missing.push(file);
  }
  const out = ctx.io.stdout;
  if (missing.length) {
    const total = missing.reduce((sum, f) => sum + f.size, 0);
    const progress = new TransferProgress(out, `downloading ${missing.length} ${unit}`, total);
    try {
      await pool(missing, CONCURRENCY, async (file) => {
        const dest = join(folder, file.name);
        await mkdir(dirname(dest), { recursive: true });
        const fetchOnce = () =>
          api.blobs.download(`/v1/blobs/${file.sha256}`, dest, {
            expectedSha256: file.sha256,
            label: file.name,
            onBytes: (n) => progress.add(n),
          });
        try {
          await fetchOnce();
        } catch (error) {
          if (!(error instanceof HashMismatchError)) throw error;
          progress.print(`${file.name}: corrupted in transit, downloading it again`);
          await fetchOnce();
        }
      });
    } catch (error) {
      progress.abandon();
      throw error;
    }
    progress.finish(`downloaded ${missing.length} ${unit}`);
  }
  return { folder, downloaded: missing.length, present: files.length - missing.length };
}

/** `--archive`: the coordinator's zip of what was accepted so far, saved in the folder. */
async function downloadArchive(
  ctx: CommandContext,
  api: TesseraApi,
  job: JobFiles,
  folder: string,
): Promise<string> {
  if (!job.archiveUrl)
    throw new CliError(
      `job ${job.id} has nothing to archive yet (${job.state}): try again once a frame is done`,
    );
  await mkdir(folder, { recursive: true });
  const dest = join(folder, `${slug(job.name) || `job-${job.id}`}.zip`);
  const progress = new TransferProgress(ctx.io.stdout, 'downloading archive', 0);
  try {
    await api.blobs.download(job.archiveUrl, dest, { onBytes: (n) => progress.add(n) });
  } catch (error) {
    progress.abandon();
    throw error;
  }
  progress.finish('downloaded archive');
  return dest;
}

/** A note when the job is still going: what is here is what was accepted so far. */
function partialNote(job: JobFiles): string {
  if (FINISHED_STATES.includes(job.state)) return '';
  return `job ${job.id} is ${job.state}: ${job.progress.itemsDone} of ${job.progress.itemsTotal} ${job.progress.itemUnit} so far; run this again later for the rest\n`;
}

/**
 * An inference batch: its merged outputs JSONL (one line per row, in input order) saved as `--out`
 * (a file; an existing folder gets `<job name>.out.jsonl` inside), then a summary of the rows.
 */
async function downloadInferenceOutputs(
  ctx: CommandContext,
  api: TesseraApi,
  job: JobFiles,
  out: string | undefined,
): Promise<number> {
  if (!job.outputsUrl) {
    const { itemsDone, itemsTotal, itemUnit } = job.progress;
    throw new CliError(
      FINISHED_STATES.includes(job.state)
        ? `job ${job.id} ${job.state}: an inference batch has outputs only when it completes`
        : `job ${job.id} is ${job.state}: ${itemsDone} of ${itemsTotal} ${itemUnit} so far; its outputs are ready when it completes: "tessera watch ${job.id}"`,
    );
  }
  const name = `${slug(job.name) || `job-${job.id}`}.out.jsonl`;
  let dest = resolve(ctx.io.cwd, out ?? name);
  if ((await stat(dest).catch(() => undefined))?.isDirectory()) dest = join(dest, name);
  await downloadRowOutputs(ctx.io.stdout, api, job, dest);
  const summary = await summarizeRowOutputs(dest);
  ctx.io.stdout.write(`${[`${summary.rows} rows in ${dest}`, ...describeRowOutputs(summary)].join('\n')}\n`);
  return 0;
}

/**
 * `tessera download JOB [--out dir] [--archive]`: prints the folder (and archive) it filled. An
 * inference batch's outputs are one JSONL file instead (`--out` names the file).
 */
export async function download(
  ctx: CommandContext,
  jobId: string,
  opts: { out?: string; archive?: boolean },
): Promise<number> {
  requireApiKey(ctx.config);
  const api = new TesseraApi(ctx.config);
  const job = await api.jobFiles(jobId);
  if (job.kind === 'inference' && !opts.archive) return downloadInferenceOutputs(ctx, api, job, opts.out);
  const folder = resolve(ctx.io.cwd, opts.out ?? defaultFolder(job));
  if (opts.archive) {
    const zip = await downloadArchive(ctx, api, job, folder);
    ctx.io.stdout.write(`${partialNote(job)}archive saved: ${zip}\n`);
    return 0;
  }
  const result = await downloadFiles(ctx, api, job, folder);
  ctx.io.stdout.write(`${partialNote(job)}${describeResult(job, result)}\n`);
  return 0;
}

export function describeResult(job: JobFiles, r: DownloadResult): string {
  const unit = job.kind === 'render' ? 'frames' : 'files';
  const present = r.present ? `, ${r.present} already there` : '';
  return `${r.downloaded + r.present} ${unit} in ${r.folder} (${r.downloaded} downloaded${present}; every SHA-256 verified)`;
}
