import { basename, extname, resolve } from 'node:path';
import type { CommandContext } from '../cli-context';
import { requireApiKey } from '../config/cli-config';
import { TesseraApi } from '../api/tessera-api';
import { checkBlendFile } from '../files/blend-file';
import { hashAndUpload } from '../files/upload';
import { buildRenderInput, RenderFlags } from '../render/render-options';
import { describeResult, downloadFiles } from './download';
import { followJob, reportOutcome } from './watch';

export interface RenderOptions extends RenderFlags {
  out?: string;
  wait?: boolean;
  json?: boolean;
}

/**
 * `tessera render scene.blend …`: checks options and the file locally (nothing is uploaded for a
 * typo or a file that is not a .blend), uploads the scene unless the coordinator already has it
 * for this account, submits the render, then (unless --no-wait) follows it and downloads every
 * frame, hash-verified, into `--out` (default `./<scene>-frames`). Exit 0 only when the job
 * completed and every frame is on disk.
 */
export async function render(ctx: CommandContext, scene: string, opts: RenderOptions): Promise<number> {
  const { io, config } = ctx;
  // Local checks first, cheapest first: options, credentials, the file itself.
  const input = buildRenderInput(opts, basename(scene, extname(scene)));
  requireApiKey(config);
  const blend = await checkBlendFile(scene, io.cwd);
  const api = new TesseraApi(config);
  // Human progress goes to stderr when stdout carries JSON for a script.
  const human = opts.json ? io.stderr : io.stdout;

  const sha256 = await hashAndUpload(api, human, { path: blend.path, size: blend.size, shown: scene });

  const job = await api.submitRenderJob({ blend: sha256, ...input });
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
    if (opts.wait === false) return 0;
  } else {
    human.write(
      `job ${job.id} ${job.state}: ${job.progress.itemsTotal} ${job.progress.itemUnit} in ${job.progress.tasksTotal} tasks\n`,
    );
  }
  if (opts.wait === false) {
    human.write(`follow it: tessera watch ${job.id}    frames: tessera download ${job.id}\n`);
    return 0;
  }

  const finished = await followJob({ io: { ...io, stdout: human }, config }, api, job.id, { header: false });
  reportOutcome(human, finished);
  const files = await api.jobFiles(job.id);
  const folder = resolve(io.cwd, opts.out ?? `${blend.sceneName}-frames`);
  const result = await downloadFiles({ io: { ...io, stdout: human }, config }, api, files, folder);
  human.write(`${describeResult(files, result)}\n`);
  return 0;
}
