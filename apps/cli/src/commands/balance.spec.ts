import { FakeCoordinator } from '../../test/fake-coordinator';
import { runTessera, tempDir } from '../../test/cli-harness';

describe('tessera balance', () => {
  let fake: FakeCoordinator;
  const homeDir = tempDir('tessera-home-');

  beforeEach(async () => {
    fake = await FakeCoordinator.start();
  });
  afterEach(() => fake.stop());

  it('shows the balance and lists the latest deposits, newest first', async () => {
    const apiKey = fake.addAccount('Ada');
    const id = fake.accounts.get(apiKey)!.id;
    const now = Date.now();
    fake.deposits.set(id, [
      {
        id: 'd2',
        signature: '5sig2',
        amount: '7.5',
        currency: 'TSR',
        wallet: 'Wa11et',
        slot: 12,
        explorerUrl: null,
        createdAt: new Date(now - 120_000).toISOString(),
      },
      {
        id: 'd1',
        signature: '5sig1',
        amount: '25',
        currency: 'TSR',
        wallet: 'Wa11et',
        slot: 10,
        explorerUrl: null,
        createdAt: new Date(now - 3 * 3600_000).toISOString(),
      },
    ]);
    const run = await runTessera(['balance', '--url', fake.url, '--api-key', apiKey], { homeDir });
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        'available  32.5 TSR',
        'reserved   0 TSR   (price caps of jobs still running)',
        expect.stringMatching(/^DEPOSITED\s+AMOUNT\s+SIGNATURE\s+WALLET$/),
        expect.stringMatching(/^2m ago\s+7.5 TSR\s+5sig2\s+Wa11et$/),
        expect.stringMatching(/^3h ago\s+25 TSR\s+5sig1\s+Wa11et$/),
      ]),
    );
  });

  it('prints JSON for scripts and explains how to make a first deposit', async () => {
    const apiKey = fake.addAccount();
    const json = await runTessera(['balance', '--json', '--url', fake.url, '--api-key', apiKey], { homeDir });
    expect(JSON.parse(json.stdout)).toEqual({
      balance: { available: '32.5', reserved: '0', currency: 'TSR' },
      deposits: [],
    });
    const text = await runTessera(['balance', '--url', fake.url, '--api-key', apiKey], { homeDir });
    expect(text.stdout).toContain('no deposits yet: tessera deposit 25\n');
  });
});
