/**
 * `tessera-agent earnings`: what this machine earned and how it was paid, and its spot-check
 * record, from the coordinator's public provider record (`provider(id: <address>)` over GraphQL).
 */

export interface PayoutView {
  state: 'PENDING' | 'SENT' | 'PAID' | 'CANCELLED';
  amount: string;
  currency: string;
  wallet: string;
  signature: string | null;
  explorerUrl: string | null;
  transfers: number;
  createdAt: string;
  finishedAt: string | null;
}

export interface EarningsView {
  address: string;
  owner: string;
  earnings: { pending: string; inFlight: string; paid: string; fromChecks: string; currency: string };
  payouts: PayoutView[];
  banned: boolean;
  record: {
    checksPassed: number;
    checksFailed: number;
    reputation: number;
    checkRate: number;
    banReason: string | null;
  };
}

const QUERY = `query Earnings($id: ID!, $limit: Int!) {
  provider(id: $id) {
    address owner banned
    record { checksPassed checksFailed reputation checkRate banReason }
    earnings { pending inFlight paid fromChecks currency }
    payouts(limit: $limit) { state amount currency wallet signature explorerUrl transfers createdAt finishedAt }
  }
}`;

/** An answer the user can act on (printed as is, exit 1). */
export class EarningsError extends Error {}

export async function fetchEarnings(
  coordinatorUrl: string,
  address: string,
  limit = 10,
): Promise<EarningsView> {
  let res: Response;
  try {
    res = await fetch(new URL('/graphql', coordinatorUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY, variables: { id: address, limit } }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new EarningsError(
      `cannot reach the coordinator at ${coordinatorUrl} (${cause}); set --coordinator`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as {
    data?: { provider?: EarningsView };
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  const error = body.errors?.[0];
  if (error?.extensions?.code === 'PROVIDER_NOT_FOUND') {
    throw new EarningsError(
      `${coordinatorUrl} does not know ${address} yet: it earns once it has connected (tessera-agent start) and finished work`,
    );
  }
  if (error || !body.data?.provider) {
    throw new EarningsError(
      error?.message ?? `the coordinator answered HTTP ${res.status} without a provider record`,
    );
  }
  return body.data.provider;
}

/** The human report: balances, then the latest payouts with their transactions. */
export function formatEarnings(view: EarningsView): string {
  const { pending, inFlight, paid, fromChecks, currency } = view.earnings;
  const lines = [
    `provider  ${view.address}`,
    `paid to   ${view.owner}${view.owner === view.address ? ' (its own address)' : ' (owner wallet)'}`,
    '',
    `pending    ${pending} ${currency}   earned, paid out once it reaches the payout minimum`,
    `in flight  ${inFlight} ${currency}   in a transaction not final yet`,
    `paid       ${paid} ${currency}`,
    ...(Number(fromChecks) > 0
      ? [`           of all these, ${fromChecks} ${currency} for re-running other providers' spot-checks`]
      : []),
    '',
    `spot-checks  ${view.record.checksPassed} passed, ${view.record.checksFailed} failed; reputation ${view.record.reputation.toFixed(2)}; ` +
      `the next task is checked with probability ${Math.round(view.record.checkRate * 100)} %`,
  ];
  if (view.banned) lines.push(`BANNED: ${view.record.banReason ?? 'no reason recorded'}`);
  if (view.payouts.length === 0) return `${lines.join('\n')}\n\nno payouts yet\n`;
  lines.push('', 'latest payouts:');
  for (const p of view.payouts) {
    const when = (p.finishedAt ?? p.createdAt).replace(/\.\d+Z$/, 'Z');
    const tx = p.explorerUrl ?? p.signature ?? '(not signed yet)';
    lines.push(
      `  ${when}  ${p.state.padEnd(9)} ${`${p.amount} ${p.currency}`.padStart(16)}  ${tx}  (${p.transfers} in its transaction)`,
    );
  }
  return `${lines.join('\n')}\n`;
}
