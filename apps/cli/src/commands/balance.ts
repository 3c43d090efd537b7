import type { CommandContext } from '../cli-context';
import { requireApiKey } from '../config/cli-config';
import { TesseraApi } from '../api/tessera-api';
import { formatAge } from '../ui/format';
import { renderTable } from '../ui/table';

/** The balance fields this CLI shows, in order, when the coordinator offers them. */
const BALANCE_FIELDS = ['available', 'reserved', 'currency'] as const;

/**
 * `tessera balance`: your token balance and your latest deposits. The balance comes from
 * `me { balance { … } }`, read only when this coordinator's API has it (asked by introspection):
 * coordinators from before account balances show the deposits alone.
 * TODO(payments): drop the introspection once every coordinator in use serves Account.balance.
 */
export async function balance(
  ctx: CommandContext,
  opts: { json?: boolean; limit?: string },
): Promise<number> {
  requireApiKey(ctx.config);
  const api = new TesseraApi(ctx.config);
  const limit = Math.min(Math.max(Number(opts.limit ?? 10) || 10, 1), 500);
  const offered = (await api.fieldsOf('Account')).includes('balance') ? await api.fieldsOf('Balance') : [];
  const fields = BALANCE_FIELDS.filter((f) => offered.includes(f));
  const balanceView = fields.length
    ? (
        await api.query<{ me: { balance: Record<string, string> } }>(
          `query Balance { me { balance { ${fields.join(' ')} } } }`,
        )
      ).me.balance
    : null;
  const deposits = await api.deposits(limit);

  if (opts.json) {
    ctx.io.stdout.write(`${JSON.stringify({ balance: balanceView, deposits }, null, 2)}\n`);
    return 0;
  }
  const currency = balanceView?.currency ?? deposits[0]?.currency ?? '';
  if (balanceView) {
    for (const field of fields.filter((f) => f !== 'currency')) {
      ctx.io.stdout.write(`${`${field}:`.padEnd(11)} ${balanceView[field]} ${currency}`.trimEnd() + '\n');
    }
  } else {
    ctx.io.stdout.write('balance:   not reported by this coordinator yet; your deposits:\n');
  }
  if (deposits.length === 0) {
    ctx.io.stdout.write('no deposits yet: tessera deposit 25\n');
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
  ctx.io.stdout.write(`${balanceView ? '\n' : ''}${table}\n`);
  return 0;
}
