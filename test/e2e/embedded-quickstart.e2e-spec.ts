import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { Connection, PublicKey } from '@solana/web3.js';
import { splToken } from '@tessera/chain';
import {
  AgentProcess,
  CoordinatorProcess,
  distPath,
  eventually,
  gql,
  REPO_ROOT,
  spawnAgent,
  spawnCoordinator,
} from '@tessera/testing';

const run = promisify(execFile);

/**
 * The quick start's path, piece by piece as scripts/demo.sh runs it: the demo scene made by Blender,
 * a coordinator on its embedded defaults (PGlite, one database connection; no DATABASE_URL; the
 * embedded local chain), two agents, and an artist using the `tessera` CLI to deposit real tokens,
 * render it and fetch the frames; then the money: each agent paid on chain exactly what it earned
 * for its verified chunks, the unused escrow back with the artist, and the books balanced.
 */
describe('embedded defaults (the quick start)', () => {
  let coordinator: CoordinatorProcess;
  let agents: AgentProcess[] = [];
  const work = mkdtempSync(join(tmpdir(), 'tessera-quickstart-'));

  beforeAll(async () => {
    coordinator = await spawnCoordinator({
      TESSERA_DATA_DIR: join(work, 'coordinator'),
      // Only what the artist deposits (no signup credit), at prices big enough to see, paid out fast.
      TESSERA_SIGNUP_CREDIT: '0',
      TESSERA_RENDER_PRICE: '0.05',
      TESSERA_PROVIDER_BOND: '0.01',
      TESSERA_PAYOUT_MIN: '0.01',
      TESSERA_PAYOUT_INTERVAL_SEC: '2',
    });
    agents = await Promise.all(
      ['embedded-a', 'embedded-b'].map((name) => spawnAgent({ coordinatorUrl: coordinator.url, name })),
    );
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await coordinator?.stop();
  });

  it('renders the demo scene across both agents with the CLI and saves every frame', async () => {
    const scene = execFileSync(
      join(REPO_ROOT, 'scripts/make-demo-scene.sh'),
      [join(work, 'scene'), '6', '160x120', '8'],
      { encoding: 'utf8' },
    ).trim();
    const env = { ...process.env, HOME: join(work, 'home'), TESSERA_URL: coordinator.url };
    const cli = distPath('apps/cli/src/main.js');
    await run(process.execPath, [cli, 'signup', '--name', 'quick start'], { env });
    // Nothing to spend yet: the job is refused with the shortfall, nothing queued.
    const broke = await run(process.execPath, [cli, 'render', scene, '--out', join(work, 'nothing')], {
      env,
      timeout: 300_000,
    }).catch((e: { stderr: string; code: number }) => e);
    expect(broke).toMatchObject({
      code: expect.any(Number),
      stderr: expect.stringMatching(/INSUFFICIENT_FUNDS.*short by/s),
    });
    await run(process.execPath, [cli, 'deposit', '5'], { env, timeout: 120_000 });
    const { stdout } = await run(
      process.execPath,
      [cli, 'render', scene, '--out', join(work, 'frames'), '--chunk-size', '2'],
      {
        env,
        timeout: 300_000,
      },
    );
    expect(stdout).toMatch(/COMPLETED: 6\/6 frames/);
    const frames = readdirSync(join(work, 'frames')).sort();
    expect(frames).toEqual([1, 2, 3, 4, 5, 6].map((f) => `frame-${String(f).padStart(6, '0')}.png`));
    for (const frame of frames) {
      const png = PNG.sync.read(readFileSync(join(work, 'frames', frame)));
      expect([png.width, png.height]).toEqual([160, 120]);
    }
    expect(coordinator.logs).toContain('using the embedded database');
    const renderedBy = new Set(
      agents.filter((a) => /"kind":"render".*"msg":"task leased"/.test(a.logs)).map((a) => a.address),
    );
    expect(renderedBy.size).toBe(2);
  });

  it('pays each agent on chain exactly what it earned, returns the unused escrow, and balances the books', async () => {
    const key = (
      JSON.parse(readFileSync(join(work, 'home', '.config', 'tessera', 'cli.json'), 'utf8')) as {
        apiKey: string;
      }
    ).apiKey;
    const { chain, jobs, me } = await gql<{
      chain: { rpcUrl: string; mint: string };
      jobs: { cost: { reserved: string; charged: string; refunded: string } }[];
      me: { balance: { available: string; reserved: string } };
    }>(
      coordinator.url,
      `{ chain { rpcUrl mint } jobs(limit: 5) { cost { reserved charged refunded } } me { balance { available reserved } } }`,
      {},
      key,
    );
    const { cost } = jobs[0];
    expect(Number(cost.charged)).toBeGreaterThan(0);
    // 5 deposited, the cap reserved, what the verified chunks cost charged, the rest refunded.
    expect(Number(cost.reserved) - Number(cost.charged)).toBeCloseTo(Number(cost.refunded), 6);
    expect(Number(me.balance.available)).toBeCloseTo(5 - Number(cost.charged), 6);
    const connection = new Connection(chain.rpcUrl, 'finalized');
    let paidTotal = 0;
    let checkPayTotal = 0;
    for (const agent of agents) {
      // Settled: nothing pending or in flight, and the chain holds what the record says was paid. A
      // verifier's pay for the last spot-check can land just after the job completes, and then goes
      // out in a later payout: read both again until they agree.
      const { record, onChain } = await eventually(async () => {
        const { provider } = await gql<{
          provider: {
            owner: string;
            earnings: { pending: string; inFlight: string; paid: string; fromChecks: string };
          };
        }>(
          coordinator.url,
          `query($id: ID!) { provider(id: $id) { owner earnings { pending inFlight paid fromChecks } } }`,
          { id: agent.address },
        );
        if (
          provider.earnings.pending !== '0' ||
          provider.earnings.inFlight !== '0' ||
          !(Number(provider.earnings.paid) > 0)
        )
          return false;
        const account = splToken.getAssociatedTokenAddressSync(
          new PublicKey(chain.mint),
          new PublicKey(provider.owner),
        );
        const balance = (await connection.getTokenAccountBalance(account, 'finalized')).value.uiAmountString;
        return balance === provider.earnings.paid && { record: provider, onChain: balance };
      }, 60_000);
      expect({ agent: agent.address, onChain }).toEqual({
        agent: agent.address,
        onChain: record.earnings.paid,
      });
      paidTotal += Number(record.earnings.paid);
      checkPayTotal += Number(record.earnings.fromChecks);
    }
    // What was charged is what the providers got (their verifier pay included) plus their bonds
    // (0.01 each) plus what the platform kept of its 10 % fee after paying the verifiers from it.
    expect(checkPayTotal).toBeLessThanOrEqual(Number(cost.charged) * 0.1 + 1e-6);
    expect(paidTotal + 0.02 + (Number(cost.charged) * 0.1 - checkPayTotal)).toBeCloseTo(
      Number(cost.charged),
      5,
    );
  });

  it('shuts down cleanly on SIGTERM, and the operator finds the books balanced', async () => {
    await Promise.all(agents.map((a) => a.stop()));
    expect(await coordinator.stop('SIGTERM', 20_000)).toBe(0);
    const { stdout } = await run(
      process.execPath,
      [distPath('apps/coordinator/src/main.js'), 'ledger-check'],
      {
        env: { ...process.env, TESSERA_DATA_DIR: join(work, 'coordinator') },
      },
    );
    expect(stdout).toMatch(
      /^ledger OK: \d+ accounts, \d+ journals, \d+ entries; entries sum to 0, balances to 0/,
    );
  });
});
