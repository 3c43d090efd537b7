import type { CommandContext } from '../cli-context';
import { requireApiKey } from '../config/cli-config';
import { TesseraApi } from '../api/tessera-api';

/**
 * `tessera cancel JOB`: cancels a queued or running job (its running tasks are stopped and unused
 * escrow is refunded by the coordinator). A finished job is an error: JOB_ALREADY_FINISHED.
 */
export async function cancel(ctx: CommandContext, jobId: string): Promise<number> {
  requireApiKey(ctx.config);
  const job = await new TesseraApi(ctx.config).cancelJob(jobId);
  const { itemsDone, itemsTotal, itemUnit } = job.progress;
  ctx.io.stdout.write(`job ${job.id} ${job.state}; ${itemsDone} of ${itemsTotal} ${itemUnit} were done\n`);
  return 0;
}
