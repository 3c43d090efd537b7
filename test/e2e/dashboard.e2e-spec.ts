import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DEFAULT_RENDER_OPTIONS } from '@tessera/workloads';
import {
  AgentProcess,
  CoordinatorProcess,
  createTestDatabase,
  eventually,
  gql,
  sleep,
  spawnAgent,
  spawnCoordinator,
  TestDatabase,
} from '@tessera/testing';
import { openBrowser, screenshots, TestBrowser } from '../support/browser';

/**
 * The web dashboard in a real browser (Debian's Chromium through playwright-core) against a real
 * coordinator serving the built app, two agents rendering in the Blender image (two, so that their
 * results can spot-check each other): an artist signs up, submits a render through the page,
 * watches the frames arrive live, opens one, downloads the archive and cancels another job; someone
 * else cannot see the job; each provider that rendered is paid on the embedded local chain and its
 * page shows the payout. Any console error fails the test. Screenshots of every page at laptop and
 * phone widths land in test/artifacts/dashboard/.
 */

const SCENE_FRAMES = 8;
const RENDER_FRAMES = 6;

describe('the dashboard in a browser', () => {
  let db: TestDatabase;
  let coordinator: CoordinatorProcess;
  let agents: AgentProcess[] = [];
  let browser: TestBrowser;
  let page: Page;
  let work: string;
  let scenePath: string;
  let artistKey: string;
  let jobId: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tessera-dashboard-e2e-'));
    chmodSync(work, 0o777);
    // The scene is made by Blender from a script in the image: nothing is downloaded.
    execFileSync('docker', [
      'run',
      '--rm',
      '--network',
      'none',
      '--read-only',
      '--tmpfs',
      '/tmp:rw,size=512m',
      '--cap-drop',
      'ALL',
      '--user',
      '10001:10001',
      '-e',
      'HOME=/tmp',
      '-v',
      `${work}:/out`,
      DEFAULT_RENDER_OPTIONS.image,
      'blender',
      '-b',
      '--factory-startup',
      '-P',
      '/opt/tessera/demo_scene.py',
      '--',
      '/out/scene.blend',
      '--frames',
      String(SCENE_FRAMES),
      '--resolution',
      '320x240',
      '--samples',
      '8',
    ]);
    scenePath = join(work, 'scene.blend');
    db = await createTestDatabase('dashboard_e2e');
    coordinator = await spawnCoordinator({
      DATABASE_URL: db.url,
      TESSERA_MIGRATE_ON_START: 'true',
      TESSERA_LEASE_TTL_SEC: '10',
      TESSERA_HEARTBEAT_SEC: '2',
      // Prices big enough to see, a small bond, and payouts every 2 s from 0.01 TSR up, on the
      // embedded local chain: the render's earnings reach the agents' wallets while the test runs.
      TESSERA_RENDER_PRICE: '0.05',
      TESSERA_PROVIDER_BOND: '0.01',
      TESSERA_PAYOUT_MIN: '0.01',
      TESSERA_PAYOUT_INTERVAL_SEC: '2',
    });
    agents = await Promise.all(
      ['studio-a', 'studio-b'].map((name) => spawnAgent({ coordinatorUrl: coordinator.url, name })),
    );
    browser = await openBrowser();
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(agents.map((a) => a.stop('SIGTERM', 30_000)));
    await coordinator?.stop();
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  afterEach(() => {
    // Every step of every test: no console errors, no uncaught exceptions.
    const errors = browser.errors.splice(0);
    expect(errors).toEqual([]);
  });

  const url = (path: string) => `${coordinator.url}${path}`;

  async function openAccount(name: string): Promise<string> {
    await page.goto(url('/sign-in'));
    await page.getByLabel('Account name').fill(name);
    await page.getByRole('button', { name: 'Open an account' }).click();
    const key = (await page.getByTestId('new-api-key').textContent())?.trim() ?? '';
    expect(key).toMatch(/^tsk_/);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(url('/jobs'));
    return key;
  }

  async function signIn(apiKey: string): Promise<void> {
    await page.goto(url('/sign-in'));
    await page.getByLabel('API key', { exact: true }).fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(url('/jobs'));
  }

  async function doneFrames(): Promise<number> {
    return page.locator('[data-testid^="frame-"][data-done="true"]').count();
  }

  it('serves the app at / and at client-side routes; the market shows both providers', async () => {
    await page.goto(url('/'));
    await expect(page.getByRole('heading', { name: 'Market' }).isVisible()).resolves.toBe(true);
    await eventually(async () => (await page.getByText('Providers online (2)').count()) === 1, 30_000, 500);
    await page.getByText('No work finished in the last hour').waitFor();
    await screenshots(page, 'market');

    await page.goto(url('/providers'));
    await page.getByRole('link', { name: 'studio-a' }).waitFor();
    await screenshots(page, 'providers');
    await page.getByRole('link', { name: 'studio-a' }).click();
    await page.getByRole('heading', { name: 'studio-a' }).waitFor();
    await page.getByText('Checks passed').waitFor();
    await page.getByText('Idle: no task right now').waitFor();
    await page.getByText('No payouts yet').waitFor();
    await screenshots(page, 'provider');

    // A private page sends a visitor to sign in first.
    await page.goto(url('/jobs'));
    await page.waitForURL(url('/sign-in?next=%2Fjobs'));
    await screenshots(page, 'sign-in');
  });

  it('an artist submits a render through the page, watches frames arrive live, opens one and downloads the archive', async () => {
    artistKey = await openAccount('Ada');
    await page.getByText('No jobs yet').waitFor();
    await screenshots(page, 'jobs-empty');

    await page.getByRole('link', { name: 'Submit', exact: true }).click();
    await page.waitForURL(url('/submit'));
    await page.setInputFiles('#render-blend', scenePath);
    await page.getByTestId('upload-done').waitFor();

    // A frame range outside the scene: the coordinator says so, next to the Frames field.
    await page.getByLabel('Name (optional)').fill('Dashboard e2e');
    await page.getByLabel('Frames', { exact: true }).fill(`1-${SCENE_FRAMES + 4}`);
    await page.getByLabel('Resolution').fill('200x150');
    await page.getByLabel('Samples').fill('8');
    await page.getByLabel('Frames per task (optional)').fill('2');
    await page.getByRole('button', { name: 'Submit render' }).click();
    const fieldError = page.locator('#render-frames-error');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toBe(
      `frames ${SCENE_FRAMES + 1}-${SCENE_FRAMES + 4} are outside the scene's range 1-${SCENE_FRAMES}`,
    );
    expect(await page.locator('#render-frames').getAttribute('aria-invalid')).toBe('true');
    await screenshots(page, 'submit-field-error');

    await page.getByLabel('Frames', { exact: true }).fill(`1-${RENDER_FRAMES}`);
    await page.getByTestId('estimate').waitFor();
    await page.getByRole('button', { name: 'Submit render' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/, { timeout: 120_000 });
    jobId = page.url().split('/').pop() as string;
    await page.getByRole('heading', { name: 'Dashboard e2e' }).waitFor();
    expect(await page.locator('[data-testid^="frame-"]').count()).toBe(RENDER_FRAMES);

    // Frames appear as chunks are accepted, pushed over the subscription: the page is never reloaded.
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    const seen = new Set<number>();
    let shotWhileRunning = false;
    const deadline = Date.now() + 300_000;
    for (;;) {
      const done = await doneFrames();
      seen.add(done);
      if (done > 0 && done < RENDER_FRAMES && !shotWhileRunning) {
        await page.locator('[data-done="true"] img').first().waitFor();
        await screenshots(page, 'job-running');
        shotWhileRunning = true;
      }
      if (done === RENDER_FRAMES && (await page.getByText('completed', { exact: true }).count()) > 0) break;
      if (Date.now() > deadline) throw new Error(`the render did not finish; frames seen: ${[...seen]}`);
      await sleep(200);
    }
    expect(navigations).toBe(0);
    expect([...seen].some((n) => n > 0 && n < RENDER_FRAMES)).toBe(true);
    // Every thumbnail is an image the page fetched with the API key (object URLs).
    await eventually(async () => (await page.locator('.frames img').count()) === RENDER_FRAMES, 30_000, 250);
    for (const src of await page
      .locator('.frames img')
      .evaluateAll((imgs) => imgs.map((i) => (i as unknown as { src: string }).src)))
      expect(src).toMatch(/^blob:/);
    expect(await page.getByTestId('job-progress').textContent()).toContain(
      `${RENDER_FRAMES} of ${RENDER_FRAMES} frames done`,
    );

    // Tasks, their attempts by both providers and the spot-checks that let them through.
    const firstTask = page.getByTestId('task-work-0');
    expect(await firstTask.textContent()).toMatch(/spot-check: (passed|unresolved)/);
    await firstTask.locator('summary').first().click();
    await firstTask.getByText('Attempts').waitFor();
    await firstTask.getByTestId('verification').first().waitFor();
    await screenshots(page, 'job-completed');

    // One frame at full size.
    await page.getByRole('button', { name: 'Open frame 3' }).click();
    const viewer = page.getByRole('dialog', { name: 'Frame 3' });
    await viewer.waitFor();
    await eventually(
      () =>
        viewer
          .getByTestId('frame-full')
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      30_000,
      250,
    ).then((width) => expect(width).toBe(200));
    await screenshots(page, 'frame-viewer');
    await page.keyboard.press('ArrowRight');
    await page.getByRole('dialog', { name: 'Frame 4' }).waitFor();
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });

    // The archive, fetched with the key and handed to the browser as a download.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download all (.zip)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('Dashboard-e2e.zip');
    const zipPath = join(work, 'download.zip');
    await download.saveAs(zipPath);
    const listing = execFileSync(
      'python3',
      [
        '-c',
        'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); z.testzip(); print("\\n".join(z.namelist()))',
        zipPath,
      ],
      { encoding: 'utf8' },
    );
    expect(listing.trim().split('\n')).toEqual(
      Array.from({ length: RENDER_FRAMES }, (_, i) => `frame-${String(i + 1).padStart(6, '0')}.png`),
    );

    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const row = page.getByTestId('job-row').filter({ hasText: 'Dashboard e2e' });
    await row.getByText('completed').waitFor();
    await screenshots(page, 'jobs');

    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await page.getByRole('heading', { name: 'Ada' }).waitFor();
    await page.getByText('Available').waitFor();
    await screenshots(page, 'account');
  });

  it("a provider's page shows the payout after the job", async () => {
    // Each accepted chunk earned its renderer 0.0216 TSR (0.024 less the 10 % fee), the first 0.01
    // held as its bond; the payout worker sends what is over 0.01. Which agent rendered how many
    // chunks is the scheduler's choice: take one the API says was paid.
    const paid = await eventually(
      async () => {
        for (const agent of agents) {
          const { provider } = await gql<{
            provider: { earnings: { paid: string }; payouts: { state: string }[] };
          }>(
            coordinator.url,
            `query($id: ID!) { provider(id: $id) { earnings { paid } payouts { state } } }`,
            { id: agent.address },
          );
          if (Number(provider.earnings.paid) > 0 && provider.payouts.some((p) => p.state === 'PAID'))
            return agent;
        }
        return undefined;
      },
      120_000,
      1000,
    );
    await page.goto(url(`/providers/${paid.address}`));
    await page.getByRole('heading', { name: paid.name }).waitFor();
    const payout = page.getByTestId('payout').filter({ hasText: 'paid' }).first();
    await payout.waitFor();
    // The local chain has no explorer: the transaction's signature is shown as such.
    const signature = await payout.getByTestId('payout-signature').getAttribute('title');
    expect(signature).toMatch(/^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
    expect(await payout.locator('a').count()).toBe(0);
    const paidStat = page
      .locator('#earnings .stat')
      .filter({ has: page.locator('.stat-label', { hasText: /^Paid$/ }) });
    expect(
      Number((await paidStat.locator('.stat-value').textContent())?.replace(/ TSR$/, '')),
    ).toBeGreaterThan(0);
    // Its work: nothing held now the job is done, and the chunks it rendered among its last attempts.
    await page.getByText('Idle: no task right now').waitFor();
    expect(
      await page
        .getByTestId('recent-attempt')
        .filter({ hasText: /frames? \d/ })
        .count(),
    ).toBeGreaterThan(0);
    await screenshots(page, 'provider-paid');

    // The market counts the render: 6 frames in 3 chunks, each accepted after its spot-check.
    await page.getByRole('link', { name: 'Market', exact: true }).click();
    const render = page.getByTestId('throughput-render');
    await render.waitFor();
    expect(await render.textContent()).toContain(`${RENDER_FRAMES} frames in 3 tasks`);
    expect(await render.textContent()).toMatch(/TSR per frame/);
    await screenshots(page, 'market-throughput');
  });

  it('cancels a running job from its page', async () => {
    await page.goto(url('/submit'));
    await page.setInputFiles('#render-blend', scenePath);
    await page.getByTestId('upload-done').waitFor();
    await page.getByLabel('Name (optional)').fill('To be cancelled');
    await page.getByLabel('Samples').fill('256');
    await page.getByLabel('Frames per task (optional)').fill('1');
    await page.getByRole('button', { name: 'Submit render' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/, { timeout: 120_000 });
    await page.getByRole('heading', { name: 'To be cancelled' }).waitFor();
    const jobUrl = page.url();

    // Eight slow one-frame tasks for two one-slot agents: each holds one while the job runs, and its
    // public page says which frame, not whose job.
    await page.goto(url(`/providers/${agents[0].address}`));
    const held = page.getByTestId('current-task').first();
    await held.waitFor();
    expect(await held.textContent()).toMatch(/frame \d+render(leased|running)/);
    expect(await page.locator('#current-tasks').textContent()).not.toContain('To be cancelled');
    await screenshots(page, 'provider-working');
    await page.goto(jobUrl);
    await page.getByRole('heading', { name: 'To be cancelled' }).waitFor();

    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.getByRole('button', { name: 'Yes, cancel the job' }).click();
    await page.getByText('cancelled', { exact: true }).first().waitFor();
    expect(await page.getByRole('button', { name: 'Cancel job' }).count()).toBe(0);
    await screenshots(page, 'job-cancelled');
  });

  it("shows someone else's job as not found, and none of their jobs", async () => {
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(url('/sign-in'));
    await openAccount('Eve');
    await page.getByText('No jobs yet').waitFor();

    await page.goto(url(`/jobs/${jobId}`));
    await page.getByText('No such job in your account').waitFor();
    expect(await page.locator('.frames').count()).toBe(0);
    await screenshots(page, 'job-not-found');

    // Back as the artist, the job is there again.
    await signIn(artistKey);
    await page.goto(url(`/jobs/${jobId}`));
    await page.getByRole('heading', { name: 'Dashboard e2e' }).waitFor();
  });

  it('answers unknown paths with a readable page', async () => {
    await page.goto(url('/no/such/page'));
    await page.getByText('Nothing lives at /no/such/page').waitFor();
    await screenshots(page, 'not-found');
  });
});
