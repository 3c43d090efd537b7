import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { REPO_ROOT } from '@tessera/testing';

/** Debian's Chromium (scripts/lib/setup.sh ensure_chromium installs it); browsers are never downloaded. */
export const CHROMIUM = process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots go during runs (gitignored). */
export const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts', 'dashboard');

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen so far, as text. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * A fresh Chromium profile (its own user-data-dir, so no state leaks between tests) with one page
 * whose console errors and uncaught exceptions are collected for the test to fail on.
 */
export async function openBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: apt-get install -y chromium (npm test installs it), or set TESSERA_CHROMIUM`,
    );
  const profile = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
  // Playwright passes the profile as --user-data-dir itself.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    viewport: LAPTOP,
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
  const errors: string[] = [];
  const onConsole = (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
  };
  page.on('console', onConsole);
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Full-page screenshots at laptop and phone widths: test/artifacts/dashboard/<name>-{laptop,phone}.png. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const before = page.viewportSize() ?? LAPTOP;
  for (const [label, size] of [
    ['laptop', LAPTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(size);
    // From the top: a full-page shot taken scrolled down draws the sticky top bar mid-page.
    await page.evaluate('window.scrollTo(0, 0)');
    // Let layout (and images already fetched) settle at the new width.
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(before);
}
