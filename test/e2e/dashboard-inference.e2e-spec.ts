import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  AgentProcess,
  CoordinatorProcess,
  createTestDatabase,
  generateTextLines,
  registerOcrModel,
  sleep,
  spawnAgent,
  spawnCoordinator,
  TestDatabase,
  TextLine,
  uploadBlob,
} from '@tessera/testing';
import { openBrowser, screenshots, TestBrowser } from '../support/browser';

/**
 * Inference batches through the web dashboard in a real browser: an ML team opens an account,
 * finds how to register a model (none yet), registers PaddleOCR PP-OCRv4 through the API, then on
 * the Submit page pastes rows naming uploaded text-line images: a line that is not JSON is named by
 * the form, a row the model cannot take by the coordinator, each next to the rows field. The batch
 * then runs on two agents (spot-checking each other) while the page counts rows done without a
 * reload; the first outputs show in a preview, each shard says which rows it covers, attempts show
 * their logs, and the downloaded JSONL has one line per row. Then the team does it all from the
 * browser: picks images, and rows name them by file name (a file left unpicked is named by its line);
 * the page uploads each image and sends the rows with their SHA-256. Any console error fails the
 * test.
 * Screenshots land in test/artifacts/dashboard/.
 */

const ROWS = 16;
const SHARD_ROWS = 8;
/** Images picked in the browser (never uploaded before the form does it). */
const PICKED = 6;

describe('inference batches in the dashboard', () => {
  let db: TestDatabase;
  let coordinator: CoordinatorProcess;
  let agents: AgentProcess[] = [];
  let browser: TestBrowser;
  let page: Page;
  let work: string;
  let lines: TextLine[];
  let pickedLines: TextLine[];
  let apiKey: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tessera-dashboard-inference-e2e-'));
    chmodSync(work, 0o777);
    lines = generateTextLines(join(work, 'lines'), ROWS, 23);
    pickedLines = generateTextLines(join(work, 'picked'), PICKED, 41);
    db = await createTestDatabase('dashboard_inference_e2e');
    coordinator = await spawnCoordinator({
      DATABASE_URL: db.url,
      TESSERA_MIGRATE_ON_START: 'true',
      TESSERA_LEASE_TTL_SEC: '10',
      TESSERA_HEARTBEAT_SEC: '2',
    });
    agents = await Promise.all(
      ['ocr-a', 'ocr-b'].map((name) => spawnAgent({ coordinatorUrl: coordinator.url, name })),
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
    const errors = browser.errors.splice(0);
    expect(errors).toEqual([]);
  });

  const url = (path: string) => `${coordinator.url}${path}`;
  const rowsField = () => page.locator('#inference-rows');
  const rowsError = () => page.locator('#inference-rows-error');
  const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n');

  it('says how to register a model while there is none', async () => {
    await page.goto(url('/sign-in'));
    await page.getByLabel('Account name').fill('ML team');
    await page.getByRole('button', { name: 'Open an account' }).click();
    apiKey = (await page.getByTestId('new-api-key').textContent())?.trim() ?? '';
    expect(apiKey).toMatch(/^tsk_/);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(url('/jobs'));

    await page.getByRole('link', { name: 'Submit', exact: true }).click();
    await page.getByRole('link', { name: 'Inference batch' }).click();
    await page.waitForURL(url('/submit?kind=inference'));
    await page.getByText('No models registered yet').waitFor();
    expect(await page.getByTestId('register-command').textContent()).toMatch(/^tessera models register /);
    await screenshots(page, 'submit-inference-no-model');
  });

  it('names bad lines next to the rows, runs the batch live, previews and downloads its outputs', async () => {
    // What the CLI does for a team: the model and the images go up through the public API.
    await registerOcrModel(coordinator.url, apiKey, 'ppocr-v4-rec');
    for (const line of lines) await uploadBlob(coordinator.url, line.png, apiKey, line.sha256);
    const rows = lines.map((l, i) => ({ id: `line-${i}`, image: l.sha256 }));

    await page.reload();
    await page.getByTestId('model-details').waitFor();
    await page.getByLabel('Model', { exact: true }).selectOption({ label: 'ppocr-v4-rec — image 320×48' });
    expect(await page.getByTestId('example-row').textContent()).toContain('"image"');

    // Not JSON on line 2: the form says so before anything is sent.
    await rowsField().fill(
      `${JSON.stringify(rows[0])}\n{"id": "line-1", "image": \n${JSON.stringify(rows[2])}`,
    );
    await page.getByRole('button', { name: 'Submit batch' }).click();
    await rowsError().waitFor();
    expect(await rowsError().textContent()).toBe('line 2: not JSON: "{\\"id\\": \\"line-1\\", \\"image\\":"');
    expect(await rowsField().getAttribute('aria-invalid')).toBe('true');

    // JSON, but a row the model cannot take (no image) on line 3: the coordinator names the line.
    await rowsField().fill(jsonl([rows[0], rows[1], { id: 'line-2' }, ...rows.slice(3)]));
    expect(await rowsError().count()).toBe(0);
    await page.getByLabel('Name (optional)').fill('OCR e2e');
    await page.getByLabel('Rows per task (optional)').fill(String(SHARD_ROWS));
    await page.getByRole('button', { name: 'Submit batch' }).click();
    await rowsError().waitFor();
    expect(await rowsError().textContent()).toBe(
      'The model cannot take these rows; nothing was queued:\n' +
        'line 3: missing "image" (the SHA-256 of an uploaded PNG or JPEG)',
    );
    await screenshots(page, 'submit-inference');

    // The same rows as a .jsonl file: uploaded when chosen, refused the same way, next to the file.
    const badFile = join(work, 'bad-rows.jsonl');
    writeFileSync(badFile, `${jsonl([rows[0], rows[1], { id: 'line-2', image: 'cat.png' }])}\n`);
    await page.getByRole('radio', { name: 'Upload a .jsonl file' }).click();
    await page.setInputFiles('#inference-rows-file', badFile);
    await page.getByTestId('upload-done').waitFor();
    await page.getByRole('button', { name: 'Submit batch' }).click();
    const fileError = page.locator('#inference-rows-file-error');
    await fileError.waitFor();
    expect(await fileError.textContent()).toMatch(
      /^The model cannot take these rows; nothing was queued:\nline 3: "image" must be/,
    );
    await page.getByRole('radio', { name: 'Paste rows' }).click();

    await rowsField().fill(jsonl(rows));
    await page.getByTestId('estimate').waitFor();
    await page.getByRole('button', { name: 'Submit batch' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/, { timeout: 60_000 });
    await page.getByRole('heading', { name: 'OCR e2e' }).waitFor();

    // Rows done climb as shards are accepted, pushed over the subscription: no reload.
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    const seen = new Set<string>();
    const deadline = Date.now() + 240_000;
    for (;;) {
      const done = (await page.getByTestId('rows-done').textContent()) ?? '';
      seen.add(done.split('.')[0]);
      if (
        done.startsWith(`${ROWS} of ${ROWS} rows done`) &&
        (await page.getByText('completed', { exact: true }).count()) > 0
      )
        break;
      if (Date.now() > deadline) throw new Error(`the batch did not finish; seen: ${[...seen].join(' | ')}`);
      await sleep(200);
    }
    expect(navigations).toBe(0);
    expect([...seen].some((s) => !s.startsWith(`${ROWS} of`))).toBe(true);

    // Each shard says which rows it covers; its attempts show who ran them and the container's log.
    expect(await page.getByTestId('task-items').allTextContents()).toEqual(
      expect.arrayContaining(['rows 0–7', 'rows 8–15']),
    );
    const firstTask = page.getByTestId('task-work-0');
    await firstTask.locator('summary').first().click();
    await firstTask
      .getByText(/^Log of attempt \d+$/)
      .first()
      .click();
    expect((await firstTask.locator('.log pre').first().textContent())?.length).toBeGreaterThan(0);

    // The first outputs, read from the first accepted shard: text read off each line image.
    const preview = page.getByTestId('rows-preview');
    await preview.waitFor();
    const cells = await preview
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) =>
          [...(tr as unknown as { cells: { textContent: string }[] }).cells].map((c) => c.textContent),
        ),
      );
    expect(cells).toHaveLength(SHARD_ROWS);
    expect(cells.map((c) => c.slice(0, 2))).toEqual(
      Array.from({ length: SHARD_ROWS }, (_, i) => [String(i), `line-${i}`]),
    );
    for (const c of cells) expect(c[2]).toMatch(/^\{"text": ".*", "confidence": [\d.]+\}$/);
    await screenshots(page, 'job-inference');

    // All rows as one JSONL file, fetched with the key and handed to the browser.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download rows (.jsonl)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('OCR-e2e.jsonl');
    const saved = join(work, 'outputs.jsonl');
    await download.saveAs(saved);
    const outputs = readFileSync(saved, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { row: number; id: string; outputs?: { text: string } });
    expect(outputs).toHaveLength(ROWS);
    expect(outputs.map((o) => [o.row, o.id])).toEqual(rows.map((r, i) => [i, r.id]));
    // PP-OCRv4 reads most of the drawn lines exactly (the inference e2e compares every row).
    const exact = outputs.filter((o, i) => o.outputs?.text === lines[i].text).length;
    expect(exact).toBeGreaterThanOrEqual(ROWS / 2);
  });

  it('uploads picked images that rows name by file name, naming a row whose file was not picked', async () => {
    const files = pickedLines.map((l) => join(work, 'picked', l.file));
    const blobStatus = async (sha256: string) =>
      (
        await fetch(url(`/v1/blobs/${sha256}`), {
          method: 'HEAD',
          headers: { authorization: `Bearer ${apiKey}` },
        })
      ).status;
    for (const l of pickedLines) expect(await blobStatus(l.sha256)).toBe(404);
    // Rows name the picked images by file name; one names an image uploaded earlier, by its SHA-256.
    const rows = [
      ...pickedLines.map((l, i) => ({ id: `picked-${i}`, image: l.file })),
      { id: 'by-digest', image: lines[0].sha256 },
    ];
    const texts = [...pickedLines.map((l) => l.text), lines[0].text];

    await page.goto(url('/submit?kind=inference'));
    await page.getByTestId('model-details').waitFor();
    await rowsField().fill(jsonl(rows));
    // The fourth image was left out of the pick: its line is named next to the images, nothing sent.
    await page.setInputFiles(
      '#inference-images',
      files.filter((_, i) => i !== 3),
    );
    expect(await page.getByTestId('images-picked').textContent()).toMatch(
      new RegExp(`^${PICKED - 1} files picked \\(`),
    );
    await page.getByRole('button', { name: 'Submit batch' }).click();
    const imagesError = page.locator('#inference-images-error');
    await imagesError.waitFor();
    expect(await imagesError.textContent()).toBe(
      `line 4: image "${pickedLines[3].file}" is not among the ${PICKED - 1} picked files`,
    );
    expect(await page.locator('#inference-images').getAttribute('aria-invalid')).toBe('true');
    expect(page.url()).toBe(url('/submit?kind=inference'));
    await screenshots(page, 'submit-inference-images');
    for (const l of pickedLines) expect(await blobStatus(l.sha256)).toBe(404);

    // Picking all of them clears the error. The third image's upload is cut off (the connection
    // resets): its line is named, the others are stored, and nothing is queued until a retry.
    await page.setInputFiles('#inference-images', files);
    expect(await imagesError.count()).toBe(0);
    await page.getByLabel('Name (optional)').fill('OCR picked');
    const cut = url(`/v1/blobs/${pickedLines[2].sha256}`);
    await page.route(cut, (route) =>
      route.request().method() === 'PUT' ? route.abort('connectionreset') : route.continue(),
    );
    await page.getByRole('button', { name: 'Submit batch' }).click();
    await imagesError.waitFor();
    expect(await imagesError.textContent()).toBe(
      `line 3: image "${pickedLines[2].file}" did not upload: NETWORK: cannot reach the coordinator (the upload was interrupted); check your connection and retry`,
    );
    expect(await Promise.all(pickedLines.map((l) => blobStatus(l.sha256)))).toEqual(
      pickedLines.map((_, i) => (i === 2 ? 404 : 200)),
    );
    await page.unroute(cut);
    await page.getByRole('button', { name: 'Retry the images' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/, { timeout: 60_000 });
    await page.getByRole('heading', { name: 'OCR picked' }).waitFor();
    for (const l of pickedLines) expect(await blobStatus(l.sha256)).toBe(200);

    // The page asks the coordinator which images it lacks through GraphQL (no failed load per
    // missing image); the one failed load the browser logs is the connection this test cut.
    const cutLoads = browser.errors.filter((e) => e.endsWith(`net::ERR_CONNECTION_RESET (${cut})`));
    expect(cutLoads).toHaveLength(1);
    browser.errors.splice(0, browser.errors.length, ...browser.errors.filter((e) => !cutLoads.includes(e)));

    const total = rows.length;
    const deadline = Date.now() + 240_000;
    for (;;) {
      const done = (await page.getByTestId('rows-done').textContent()) ?? '';
      if (
        done.startsWith(`${total} of ${total} rows done`) &&
        (await page.getByText('completed', { exact: true }).count()) > 0
      )
        break;
      if (Date.now() > deadline) throw new Error(`the batch did not finish: ${done}`);
      await sleep(200);
    }
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download rows (.jsonl)' }).click(),
    ]);
    const saved = join(work, 'picked-outputs.jsonl');
    await download.saveAs(saved);
    const outputs = readFileSync(saved, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { row: number; id: string; outputs?: { text: string } });
    expect(outputs).toHaveLength(total);
    expect(outputs.map((o) => [o.row, o.id])).toEqual(rows.map((r, i) => [i, r.id]));
    const exact = outputs.filter((o, i) => o.outputs?.text === texts[i]).length;
    expect(exact).toBeGreaterThanOrEqual(total / 2);
  });
});
