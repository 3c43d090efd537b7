import { Keypair } from '@solana/web3.js';
import type { Page } from 'playwright-core';
import { Ed25519Keypair } from '@tessera/crypto';
import { CoordinatorProcess, createTestDatabase, spawnCoordinator, TestDatabase } from '@tessera/testing';
import { openBrowser, screenshots, TestBrowser } from '../support/browser';

/**
 * The dashboard's account and sign-in pages in a real browser (Debian's Chromium) against a real
 * coordinator on PostgreSQL; no agents are needed. A Solana wallet is injected into the page in
 * Phantom's shape, holding a real ed25519 keypair on the test's side, so the signature the
 * coordinator verifies is real: the wallet signs in (opening an account with the signup credit),
 * makes an API key, signs in with it, revokes it (signing in with it then fails readably), and
 * someone else sees none of it. Any console error fails the test, except the 401 the revoked key
 * earns, which is checked for. Screenshots land in test/artifacts/dashboard/.
 */

describe('the dashboard account pages in a browser', () => {
  let db: TestDatabase;
  let coordinator: CoordinatorProcess;
  let browser: TestBrowser;
  let page: Page;
  const wallet = Keypair.generate();
  const address = wallet.publicKey.toBase58();
  /** The key the injected wallet holds now: the first user's, until a test hands it another. */
  let walletKey = wallet;
  const shortName = `${address.slice(0, 4)}…${address.slice(-4)}`;
  const signed: string[] = [];
  let scriptKey = '';

  beforeAll(async () => {
    db = await createTestDatabase('dashboard_account_e2e');
    coordinator = await spawnCoordinator({ DATABASE_URL: db.url, TESSERA_MIGRATE_ON_START: 'true' });
    browser = await openBrowser();
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await coordinator?.stop();
    await db?.drop();
  });

  afterEach(() => {
    const errors = browser.errors.splice(0);
    expect(errors).toEqual([]);
  });

  const url = (path: string) => `${coordinator.url}${path}`;

  /** Phantom's injected API, signing on the test's side with the wallet's real key. */
  async function injectWallet(): Promise<void> {
    await page.exposeFunction('tesseraTestWalletSign', (bytes: number[]) => {
      const message = Buffer.from(bytes);
      signed.push(message.toString('utf8'));
      return [...Ed25519Keypair.fromSecretKey(walletKey.secretKey).sign(message)];
    });
    await page.exposeFunction('tesseraTestWalletAddress', () => walletKey.publicKey.toBase58());
    await page.addInitScript(() => {
      const g = globalThis as unknown as Record<string, unknown>;
      type Key = { toBase58(): string; toString(): string };
      const provider = {
        isPhantom: true,
        publicKey: null as Key | null,
        async connect() {
          const walletAddress = await (g.tesseraTestWalletAddress as () => Promise<string>)();
          const publicKey = { toBase58: () => walletAddress, toString: () => walletAddress };
          provider.publicKey = publicKey;
          return { publicKey };
        },
        async signMessage(message: Uint8Array) {
          const sign = g.tesseraTestWalletSign as (bytes: number[]) => Promise<number[]>;
          return {
            signature: Uint8Array.from(await sign(Array.from(message))),
            publicKey: provider.publicKey,
          };
        },
      };
      g.phantom = { solana: provider };
      g.solana = provider;
    });
  }

  async function openAccountPage(heading: string): Promise<void> {
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await page.getByRole('heading', { name: heading }).waitFor();
  }

  async function signOut(): Promise<void> {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(url('/sign-in'));
  }

  async function signInWithKey(apiKey: string): Promise<void> {
    await page.getByLabel('API key', { exact: true }).fill(apiKey);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  const keyRow = (label: string) => page.getByTestId('api-key-row').filter({ hasText: label });

  it('says plainly that no wallet is installed, beside the other ways in', async () => {
    await page.goto(url('/sign-in'));
    await page.getByText('No Solana wallet found in this browser').waitFor();
    expect(await page.getByRole('button', { name: 'Connect wallet' }).count()).toBe(0);
    await screenshots(page, 'sign-in-no-wallet');
  });

  it("signs in with the wallet's signature: an account opens with its signup credit in the ledger", async () => {
    await injectWallet();
    await page.goto(url('/sign-in'));
    await page.getByText('Phantom signs a one-time message from this coordinator').waitFor();
    await screenshots(page, 'sign-in-wallet');
    await page.getByRole('button', { name: 'Connect wallet' }).click();
    await page.waitForURL(url('/jobs'));

    expect(signed).toHaveLength(1);
    const lines = signed[0].split('\n');
    expect(lines[0]).toBe(`${new URL(coordinator.url).host} wants you to sign in with your Solana account:`);
    expect(lines[1]).toBe(address);

    await openAccountPage(shortName);
    await page.getByText(`wallet ${address.slice(0, 6)}…${address.slice(-6)}`).waitFor();
    const credit = page.getByTestId('ledger-row').filter({ hasText: 'Signup credit' });
    await credit.waitFor();
    expect(await credit.textContent()).toContain('+100 TSR');
    await page.getByText('No deposits yet').waitFor();
    const walletKey = page.getByTestId('api-key-row');
    expect(await walletKey.count()).toBe(1);
    expect(await walletKey.getAttribute('data-status')).toBe('in use');
    expect(await walletKey.textContent()).toContain('wallet sign-in');
    // The sign-in's key lasts until signing out; even as the only key it may be revoked, since the
    // wallet signs in again.
    expect(await walletKey.textContent()).toContain('ends when you sign out');
    expect(await walletKey.getByRole('button', { name: /Revoke/ }).isDisabled()).toBe(false);
    await screenshots(page, 'account-wallet');
  });

  it('makes an API key whose secret is shown once, and signs in with it', async () => {
    await page.getByLabel('New key label').fill('   ');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByText('Give the key a label').waitFor();

    await page.getByLabel('New key label').fill('render script');
    await page.getByRole('button', { name: 'Create key' }).click();
    scriptKey = (await page.getByTestId('created-api-key').textContent())?.trim() ?? '';
    expect(scriptKey).toMatch(/^tsk_/);
    await keyRow('render script').waitFor();
    expect(await keyRow('render script').getAttribute('data-status')).toBe('live');
    await screenshots(page, 'account-new-key');
    await page.getByRole('button', { name: 'I saved it' }).click();
    expect(await page.getByTestId('created-api-key').count()).toBe(0);
    expect(await page.getByText(scriptKey).count()).toBe(0);

    await signOut();
    await signInWithKey(scriptKey);
    await page.waitForURL(url('/jobs'));
    await openAccountPage(shortName);
    await keyRow('render script').waitFor();
    expect(await keyRow('render script').getAttribute('data-status')).toBe('in use');
    // Signing out ended the wallet sign-in's key; the key made for scripts lives on.
    expect(await keyRow('wallet sign-in').getAttribute('data-status')).toBe('revoked');
  });

  it('revokes the key after a confirmation; signing in with it then fails readably', async () => {
    await keyRow('render script').getByRole('button', { name: 'Revoke render script' }).click();
    await page.getByText('This browser uses this key: you will be signed out.').waitFor();
    await page.getByRole('button', { name: 'Keep it' }).click();
    await keyRow('render script').getByRole('button', { name: 'Revoke render script' }).click();
    await page.getByRole('button', { name: 'Yes, revoke' }).click();
    await page.waitForURL(url('/sign-in'));

    await signInWithKey(scriptKey);
    await page
      .getByText(
        'The coordinator does not know this key: it may be mistyped, revoked or from another coordinator.',
      )
      .waitFor();
    expect(page.url()).toBe(url('/sign-in'));
    // The browser reports the refused request itself; nothing else may have gone wrong.
    const errors = browser.errors.splice(0);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => /status of 401/.test(e))).toBe(true);

    // The wallet still gets in, to the same account, where the key shows as revoked.
    await page.getByRole('button', { name: 'Connect wallet' }).click();
    await page.waitForURL(url('/jobs'));
    await openAccountPage(shortName);
    await keyRow('render script').waitFor();
    expect(await keyRow('render script').getAttribute('data-status')).toBe('revoked');
    expect(await page.getByTestId('ledger-row').filter({ hasText: 'Signup credit' }).count()).toBe(1);
  });

  it("shows another account none of the first one's keys or ledger entries", async () => {
    await signOut();
    await page.getByLabel('Account name').fill('Eve');
    await page.getByRole('button', { name: 'Open an account' }).click();
    await page.getByTestId('new-api-key').waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(url('/jobs'));
    await openAccountPage('Eve');

    await page.getByTestId('ledger-row').first().waitFor();
    expect(await page.getByTestId('ledger-row').count()).toBe(1);
    const keys = page.getByTestId('api-key-row');
    await keys.first().waitFor();
    expect(await keys.count()).toBe(1);
    expect(await keys.textContent()).toContain('default');
    expect(await page.getByText('render script').count()).toBe(0);
    expect(await page.getByText('wallet sign-in').count()).toBe(0);
    await page.getByText('The last live key cannot be revoked').waitFor();
    await screenshots(page, 'account-other');
  });
  it('links a wallet to an account opened by name, which then signs in with it; a wallet serves one account', async () => {
    // Eve's account has no wallet: the first user's wallet is taken, and the page says so.
    await page.getByRole('button', { name: 'Link wallet' }).click();
    const taken = page.getByRole('alert').filter({ hasText: 'already signs in to another account' });
    await taken.waitFor();
    expect(await taken.textContent()).toContain(`${address.slice(0, 4)}…${address.slice(-4)}`);

    walletKey = Keypair.generate();
    const eveWallet = walletKey.publicKey.toBase58();
    await page.getByRole('button', { name: 'Link wallet' }).click();
    await page.getByText(`wallet ${eveWallet.slice(0, 6)}…${eveWallet.slice(-6)}`).waitFor();
    expect(await page.getByRole('button', { name: 'Link wallet' }).count()).toBe(0);
    expect(signed[signed.length - 1]).toContain('Link this wallet to Tessera account');
    await screenshots(page, 'account-linked-wallet');

    await signOut();
    await page.getByRole('button', { name: 'Connect wallet' }).click();
    await page.waitForURL(url('/jobs'));
    await openAccountPage('Eve');
  });
});
