import type { CommandContext } from '../cli-context';
import { requireApiKey } from '../config/cli-config';
import { TesseraApi } from '../api/tessera-api';
import { formatAge } from '../ui/format';
import { renderTable } from '../ui/table';

/** `tessera balance`: your tokens (available and reserved by running jobs) and your latest deposits. */
export async function balance(
  ctx: CommandContext,
  opts: { json?: boolean; limit?: string },
): Promise<number> {
  requireApiKey(ctx.config);
  const api = new TesseraApi(ctx.config);
  const limit = Math.min(Math.max(Number(opts.limit ?? 10) || 10, 1), 500);
  const [tokens, deposits] = await Promise.all([api.balance(), api.deposits(limit)]);

  if (opts.json) {
    ctx.io.stdout.write(`${JSON.stringify({ balance: tokens, deposits }, null, 2)}\n`);
    return 0;
  }
  ctx.io.stdout.write(
    `available  ${tokens.available} ${tokens.currency}\n` +
      `reserved   ${tokens.reserved} ${tokens.currency}   (price caps of jobs still running)\n`,
  );
  if (deposits.length === 0) {
    ctx.io.stdout.write('\nno deposits yet: tessera deposit 25\n');
    return 0;
  }
  const now = ctx.io.now();
  const table = renderTable(
    [
      { header: 'DEPOSITED' },
      { header: 'AMOUNT', align: 'right' },
      { header: 'SIGNATURE' },
      { header: 'WALLET' },
    ],
    deposits.map((d) => [formatAge(d.createdAt, now), `${d.amount} ${d.currency}`, d.signature, d.wallet]),
  );
  ctx.io.stdout.write(`\n${table}\n`);
  return 0;
}
