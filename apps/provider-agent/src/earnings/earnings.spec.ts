import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { EarningsError, EarningsView, fetchEarnings, formatEarnings } from './earnings';

const view: EarningsView = {
  address: 'Prov1der',
  owner: '0wner',
  earnings: { pending: '0.5', inFlight: '0', paid: '12.25', fromChecks: '0.75', currency: 'TSR' },
  banned: false,
  record: { checksPassed: 30, checksFailed: 0, reputation: 31 / 32, checkRate: 0.84, banReason: null },
  payouts: [
    {
      state: 'PAID',
      amount: '12.25',
      currency: 'TSR',
      wallet: '0wner',
      signature: '5sig',
      explorerUrl: 'https://explorer.solana.com/tx/5sig?cluster=devnet',
      transfers: 14,
      createdAt: '2025-01-02T03:04:05.123Z',
      finishedAt: '2025-01-02T03:04:20.456Z',
    },
  ],
};

describe('tessera-agent earnings', () => {
  let server: Server;
  let url: string;
  let answer: unknown;
  let asked: { query: string; variables: Record<string, unknown> } | undefined;

  beforeAll(async () => {
    // A fake coordinator: the agent's side is what is under test.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        asked = JSON.parse(body) as typeof asked;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("reads the provider's public record by its address", async () => {
    answer = { data: { provider: view } };
    expect(await fetchEarnings(url, 'Prov1der', 5)).toEqual(view);
    expect(asked?.variables).toEqual({ id: 'Prov1der', limit: 5 });
    expect(asked?.query).toContain('earnings { pending inFlight paid fromChecks currency }');
  });

  it('says what to do when the coordinator does not know the machine yet', async () => {
    answer = {
      errors: [
        { message: 'PROVIDER_NOT_FOUND: no provider Prov1der', extensions: { code: 'PROVIDER_NOT_FOUND' } },
      ],
    };
    await expect(fetchEarnings(url, 'Prov1der')).rejects.toThrow(
      new EarningsError(
        `${url} does not know Prov1der yet: it earns once it has connected (tessera-agent start) and finished work`,
      ),
    );
  });

  it('prints balances and each payout with its transaction', () => {
    expect(formatEarnings(view)).toBe(
      [
        'provider  Prov1der',
        'paid to   0wner (owner wallet)',
        '',
        'pending    0.5 TSR   earned, paid out once it reaches the payout minimum',
        'in flight  0 TSR   in a transaction not final yet',
        'paid       12.25 TSR',
        "           of all these, 0.75 TSR for re-running other providers' spot-checks",
        '',
        'spot-checks  30 passed, 0 failed; reputation 0.97; the next task is checked with probability 84 %',
        '',
        'latest payouts:',
        '  2025-01-02T03:04:20Z  PAID             12.25 TSR  https://explorer.solana.com/tx/5sig?cluster=devnet  (14 in its transaction)',
        '',
      ].join('\n'),
    );
    const own = formatEarnings({
      ...view,
      owner: 'Prov1der',
      payouts: [],
      earnings: { ...view.earnings, fromChecks: '0' },
    });
    expect(own).toContain('(its own address)');
    expect(own).not.toContain('of all these');
  });
});
