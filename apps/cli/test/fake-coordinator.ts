/**
 * An in-process fake of the coordinator's public API for CLI tests (fake the server, not the
 * client): GraphQL over HTTP and graphql-ws on /graphql, validated against the real
 * apps/coordinator/schema.gql, and the blob and archive HTTP endpoints, with the coordinator's error
 * shapes (`CODE: what to fix`, `{"error": {code, message}}`, 401 for a bad key, 4403 on the socket).
 * Tests drive jobs by hand (acceptTask, rejectTask, finish) or let them render on their own.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildSchema, graphql, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import {
  checkFakeRows,
  FakeInspection,
  FakeModel,
  FakeRow,
  OCR_INSPECTION,
  outputLine,
  registerFakeModel,
} from './fake-inference';

const SCHEMA = buildSchema(readFileSync(join(__dirname, '../../coordinator/schema.gql'), 'utf8'));

export interface FakeAccount {
  id: string;
  name: string;
  createdAt: string;
}

interface FakeAttempt {
  state: string;
  provider: { id: string; name: string | null; address: string };
}

interface FakeTask {
  index: number;
  frames: number[];
  /** Inference: the row indices of the shard; its outputs.jsonl once accepted. */
  rows?: number[];
  output?: { sha256: string; size: number };
  state: string;
  error: { code: string; message: string } | null;
  attempts: FakeAttempt[];
}

export interface FakeFrame {
  number: number;
  path: string;
  sha256: string;
  size: number;
}

export interface FakeJob {
  id: string;
  owner: string;
  name: string | null;
  kind: string;
  state: string;
  input: Record<string, unknown>;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: { code: string; message: string } | null;
  tasks: FakeTask[];
  frames: FakeFrame[];
  frameList: number[];
  /** Inference: the submitted rows, and the params the coordinator computed. */
  rows?: FakeRow[];
  params?: Record<string, unknown>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  operation?: string;
}

function fail(code: string, message: string): never {
  throw new GraphQLError(`${code}: ${message}`, { extensions: { code } });
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The frames of a spec like `1-4`, `1-9x2`, `1,3`; the fake's scenes span frames 1-250. */
function framesOf(spec: string | undefined): number[] {
  if (!spec) return [1, 2, 3, 4];
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const [range, step = '1'] = part.split('x');
    const [a, b = a] = range.split('-').map(Number);
    for (let f = a; f <= b; f += Number(step)) out.push(f);
  }
  if (out.some((f) => f < 1 || f > 250))
    fail('FRAMES_OUT_OF_RANGE', `frames ${spec} are outside the scene's range 1-250`);
  return out;
}

/** An async iterator fed by push(): one subscriber's events. */
class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private readonly waiting: ((r: IteratorResult<T>) => void)[] = [];
  private done = false;
  constructor(private readonly onClose: () => void) {}
  push(item: T): void {
    const next = this.waiting.shift();
    if (next) next({ value: item, done: false });
    else this.items.push(item);
  }
  next(): Promise<IteratorResult<T>> {
    if (this.items.length) return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  return(): Promise<IteratorResult<T>> {
    this.done = true;
    this.onClose();
    for (const w of this.waiting.splice(0)) w({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }
  [Symbol.asyncIterator](): this {
    return this;
  }
}

export class FakeCoordinator {
  url = '';
  readonly accounts = new Map<string, FakeAccount>();
  readonly blobs = new Map<string, { bytes: Buffer; owners: Set<string> }>();
  readonly jobs = new Map<string, FakeJob>();
  readonly requests: RecordedRequest[] = [];
  /** Deposits per account id, newest first, as `deposits` lists them. */
  readonly deposits = new Map<string, Record<string, unknown>[]>();
  maxBlobBytes = 10 * 1024 * 1024;
  /** Serve wrong bytes for a blob this many more times. */
  readonly corruptDownloads = new Map<string, number>();
  /** When set, submitRenderJob refuses with this error. */
  refuseSubmit?: { code: string; message: string };
  /** Jobs render by themselves, one task every `autoRenderMs`, when set. */
  autoRenderMs?: number;
  /** Frames per task when the submission gives no chunkSize. */
  defaultChunk = 2;
  readonly models = new Map<string, FakeModel>();
  /** Every RegisterModelInput received, as sent. */
  readonly registrations: Record<string, unknown>[] = [];
  /** When set, registerModel refuses with this error (after its own checks). */
  refuseRegister?: { code: string; message: string };
  /** What registerModel "finds" in a .onnx. */
  inspection: FakeInspection = OCR_INSPECTION;
  /** Rows (by index) that fail while running, with their error. */
  readonly failingRows = new Map<number, string>();
  /** Rows per task when the submission gives no shardRows. */
  defaultShardRows = 2;
  /** Tokens per CPU-second of inference. */
  inferencePerCpuSecond = 0.01;

  private server?: http.Server;
  private wss?: WebSocketServer;
  private readonly subscribers = new Map<string, Set<EventQueue<unknown>>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextJob = 1;

  /** Listens on `port` (0: any free one). */
  static async start(port = 0): Promise<FakeCoordinator> {
    const fake = new FakeCoordinator();
    await fake.listen(port);
    return fake;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await this.close();
  }

  /** Goes away for `downMs` (connections refused), then comes back on the same port with the same state. */
  async restart(downMs: number): Promise<void> {
    const port = Number(new URL(this.url).port);
    await this.close();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.listen(port);
  }

  /** Cuts every WebSocket connection, as a network failure would. */
  dropConnections(): void {
    for (const client of this.wss?.clients ?? []) client.terminate();
  }

  private async listen(port: number): Promise<void> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    const wss = new WebSocketServer({ server, path: '/graphql' });
    const authOf = (params: unknown) => (params as { authorization?: string } | undefined)?.authorization;
    useServer(
      {
        schema: SCHEMA,
        roots: { subscription: { jobEvents: this.jobEventsRoot } },
        onConnect: (ctx) => {
          const auth = authOf(ctx.connectionParams);
          this.requests.push({ method: 'WS', path: '/graphql', authorization: auth });
          return auth === undefined || this.accountFor(auth) !== undefined;
        },
        context: (ctx) => ({ account: this.accountFor(authOf(ctx.connectionParams)) }),
      },
      wss,
    );
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.wss = wss;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private async close(): Promise<void> {
    const { server, wss } = this;
    if (!server || !wss) return;
    this.dropConnections();
    await new Promise((resolve) => wss.close(resolve));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  addAccount(name = 'artist'): string {
    const apiKey = `tsk_${randomUUID().replace(/-/g, '')}`;
    this.accounts.set(apiKey, { id: randomUUID(), name, createdAt: new Date().toISOString() });
    return apiKey;
  }

  /** Stores a blob readable by the account behind `apiKey`. */
  addBlob(bytes: Buffer, apiKey: string): string {
    const digest = sha256(bytes);
    const blob = this.blobs.get(digest) ?? { bytes, owners: new Set<string>() };
    blob.owners.add(this.accounts.get(apiKey)!.id);
    this.blobs.set(digest, blob);
    return digest;
  }

  /** The bytes the fake "renders" for a frame: distinct per job and frame. */
  static frameBytes(jobId: string, frame: number): Buffer {
    return Buffer.from(`\x89PNG fake frame ${frame} of job ${jobId} `.repeat(50));
  }

  /** Marks a task accepted on `provider`, adding its frames, and pushes the event (and completion). */
  acceptTask(jobId: string, index: number, provider = 'gpu-box-1'): void {
    const job = this.jobs.get(jobId)!;
    const task = job.tasks[index];
    job.state = 'RUNNING';
    job.startedAt ??= new Date().toISOString();
    task.attempts.push({
      state: 'SUCCEEDED',
      provider: { id: 'p1', name: provider, address: 'So1anaAddr3ss1111' },
    });
    task.state = 'ACCEPTED';
    if (task.rows) this.runShard(job, task);
    for (const number of task.frames) {
      const bytes = FakeCoordinator.frameBytes(jobId, number);
      const digest = sha256(bytes);
      const blob = this.blobs.get(digest) ?? { bytes, owners: new Set<string>() };
      blob.owners.add(job.owner);
      this.blobs.set(digest, blob);
      job.frames.push({
        number,
        path: `frame-${String(number).padStart(6, '0')}.png`,
        sha256: digest,
        size: bytes.length,
      });
    }
    job.frames.sort((a, b) => a.number - b.number);
    this.publish(job, task);
    if (job.tasks.every((t) => t.state === 'ACCEPTED')) this.finish(jobId, 'COMPLETED');
  }

  /** The shard's outputs.jsonl: one line per row, a failing row carrying its error. */
  private runShard(job: FakeJob, task: FakeTask): void {
    const text = task.rows!.map((i) => outputLine(i, job.rows![i], this.failingRows.get(i))).join('');
    const bytes = Buffer.from(text);
    const digest = sha256(bytes);
    const blob = this.blobs.get(digest) ?? { bytes, owners: new Set<string>() };
    blob.owners.add(job.owner);
    this.blobs.set(digest, blob);
    task.output = { sha256: digest, size: bytes.length };
  }

  rejectTask(
    jobId: string,
    index: number,
    error: { code: string; message: string },
    provider = 'flaky-box',
  ): void {
    const job = this.jobs.get(jobId)!;
    const task = job.tasks[index];
    task.attempts.push({
      state: 'FAILED',
      provider: { id: 'p2', name: provider, address: 'So1anaAddr3ss2222' },
    });
    task.state = 'REJECTED';
    task.error = error;
    this.publish(job, task);
    task.state = 'QUEUED';
  }

  finish(
    jobId: string,
    state: 'COMPLETED' | 'FAILED' | 'CANCELLED',
    error?: { code: string; message: string },
  ): void {
    const job = this.jobs.get(jobId)!;
    job.state = state;
    job.error = error ?? null;
    job.finishedAt = new Date().toISOString();
    this.publish(job, null);
  }

  /** Connected graphql-ws subscribers of a job. */
  subscriberCount(jobId: string): number {
    return this.subscribers.get(jobId)?.size ?? 0;
  }

  /** The job as the API shows it. */
  view(job: FakeJob): Record<string, unknown> {
    if (job.rows) return this.inferenceView(job);
    const itemsTotal = job.frameList.length;
    const tasksDone = job.tasks.filter((t) => t.state === 'ACCEPTED').length;
    return {
      outputsUrl: null,
      id: job.id,
      name: job.name,
      kind: job.kind,
      state: job.state,
      params: { ...job.input, frames: job.frameList },
      priority: 0,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      error: job.error,
      progress: {
        tasksDone,
        tasksTotal: job.tasks.length,
        itemsDone: job.frames.length,
        itemsTotal,
        itemUnit: 'frames',
        fraction: itemsTotal ? job.frames.length / itemsTotal : 0,
        etaSeconds: job.frames.length ? (itemsTotal - job.frames.length) * 3 : null,
      },
      frames: job.frames.map((f) => ({ ...f, thumbnail: null })),
      outputs: job.frames.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })),
      archiveUrl: job.frames.length ? `/v1/jobs/${job.id}/archive.zip` : null,
      tasks: job.tasks.map((t) => this.taskView(job, t)),
    };
  }

  /** An inference job as the API shows it: progress in rows, outputsUrl once COMPLETED. */
  private inferenceView(job: FakeJob): Record<string, unknown> {
    const accepted = job.tasks.filter((t) => t.state === 'ACCEPTED');
    const itemsTotal = job.rows!.length;
    const itemsDone = accepted.reduce((sum, t) => sum + t.rows!.length, 0);
    return {
      id: job.id,
      name: job.name,
      kind: job.kind,
      state: job.state,
      params: job.params,
      priority: 0,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      error: job.error,
      progress: {
        tasksDone: accepted.length,
        tasksTotal: job.tasks.length,
        itemsDone,
        itemsTotal,
        itemUnit: 'rows',
        fraction: itemsDone / itemsTotal,
        etaSeconds: itemsDone ? itemsTotal - itemsDone : null,
      },
      frames: [],
      outputs: accepted.map((t) => ({
        path: `outputs-${String(t.index).padStart(5, '0')}.jsonl`,
        ...t.output,
      })),
      archiveUrl: accepted.length ? `/v1/jobs/${job.id}/archive.zip` : null,
      outputsUrl: job.state === 'COMPLETED' ? `/v1/jobs/${job.id}/outputs.jsonl` : null,
      tasks: job.tasks.map((t) => this.taskView(job, t)),
    };
  }

  private taskView(job: FakeJob, t: FakeTask): Record<string, unknown> {
    return {
      id: `${job.id}-t${t.index}`,
      jobId: job.id,
      index: t.index,
      state: t.state,
      error: t.error,
      outputs:
        t.state === 'ACCEPTED' && t.output
          ? [{ path: 'outputs.jsonl', ...t.output }]
          : t.state === 'ACCEPTED'
            ? job.frames
                .filter((f) => t.frames.includes(f.number))
                .map(({ path, sha256, size }) => ({ path, sha256, size }))
            : null,
      attempts: t.attempts.map((a, i) => ({ ...a, id: `a${i}`, number: i + 1, providerId: a.provider.id })),
      role: 'work',
      verifications: [],
    };
  }

  private publish(job: FakeJob, task: FakeTask | null): void {
    const event = { jobEvents: { job: this.view(job), task: task ? this.taskView(job, task) : null } };
    for (const queue of this.subscribers.get(job.id) ?? []) queue.push(event);
  }

  private accountFor(authorization: string | undefined): FakeAccount | undefined {
    const m = /^Bearer (\S+)$/.exec(authorization ?? '');
    return m ? this.accounts.get(m[1]) : undefined;
  }

  private ownedJob(account: FakeAccount | undefined, id: string): FakeJob {
    if (!account) fail('UNAUTHENTICATED', 'this needs an API key');
    const job = this.jobs.get(id);
    if (!job || job.owner !== account.id) fail('JOB_NOT_FOUND', `no job ${id} is yours`);
    return job;
  }

  private readonly jobEventsRoot = (args: { jobId: string }, ctx: { account?: FakeAccount }) => {
    const job = this.ownedJob(ctx.account, args.jobId);
    const set = this.subscribers.get(job.id) ?? new Set();
    this.subscribers.set(job.id, set);
    const queue: EventQueue<unknown> = new EventQueue(() => set.delete(queue));
    set.add(queue);
    queue.push({ jobEvents: { job: this.view(job), task: null } });
    return queue;
  };

  private readonly root = {
    me: (_: unknown, ctx: { account?: FakeAccount }) =>
      ctx.account
        ? { ...ctx.account, balance: { available: '32.5', reserved: '0', currency: 'TSR' } }
        : fail('UNAUTHENTICATED', 'this needs an API key'),
    deposits: ({ limit }: { limit: number }, ctx: { account?: FakeAccount }) => {
      if (!ctx.account) fail('UNAUTHENTICATED', 'this needs an API key');
      return (this.deposits.get(ctx.account.id) ?? []).slice(0, limit);
    },
    createAccount: ({ input }: { input: { name: string } }) => {
      const apiKey = this.addAccount(input.name);
      return { apiKey, account: this.accounts.get(apiKey) };
    },
    job: ({ id }: { id: string }, ctx: { account?: FakeAccount }) =>
      this.view(this.ownedJob(ctx.account, id)),
    jobs: ({ states, limit }: { states?: string[]; limit: number }, ctx: { account?: FakeAccount }) => {
      if (!ctx.account) fail('UNAUTHENTICATED', 'this needs an API key');
      return [...this.jobs.values()]
        .filter((j) => j.owner === ctx.account!.id && (!states || states.includes(j.state)))
        .reverse()
        .slice(0, limit)
        .map((j) => this.view(j));
    },
    cancelJob: ({ id }: { id: string }, ctx: { account?: FakeAccount }) => {
      const job = this.ownedJob(ctx.account, id);
      if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.state))
        fail('JOB_ALREADY_FINISHED', `job ${id} already finished (${job.state})`);
      this.finish(id, 'CANCELLED');
      return this.view(job);
    },
    models: (_: unknown, ctx: { account?: FakeAccount }) => {
      if (!ctx.account) fail('UNAUTHENTICATED', 'this needs an API key');
      return [...this.models.values()].filter((m) => m.owner === ctx.account!.id).reverse();
    },
    model: ({ id }: { id: string }, ctx: { account?: FakeAccount }) => {
      const model = this.models.get(id);
      if (!ctx.account || !model || model.owner !== ctx.account.id)
        fail('MODEL_NOT_FOUND', `no model ${id} in your account`);
      return model;
    },
    registerModel: ({ input }: { input: Record<string, unknown> }, ctx: { account?: FakeAccount }) => {
      if (!ctx.account) fail('UNAUTHENTICATED', 'this needs an API key');
      this.registrations.push(JSON.parse(JSON.stringify(input)) as Record<string, unknown>);
      const owner = ctx.account.id;
      const onnx = this.blobs.get(input.onnx as string);
      if (!onnx?.owners.has(owner))
        fail(
          'INPUT_NOT_FOUND',
          `no uploaded file ${input.onnx as string} in this account (upload the .onnx first)`,
        );
      if (input.labels && !this.blobs.get(input.labels as string)?.owners.has(owner))
        fail('INPUT_NOT_FOUND', `no uploaded labels file ${input.labels as string} in this account`);
      if (this.refuseRegister) fail(this.refuseRegister.code, this.refuseRegister.message);
      const mine = [...this.models.values()].filter((m) => m.owner === owner);
      const model = registerFakeModel(input, owner, onnx.bytes, this.inspection, mine);
      this.models.set(model.id, model);
      return model;
    },
    submitInferenceBatch: ({ input }: { input: Record<string, unknown> }, ctx: { account?: FakeAccount }) => {
      if (!ctx.account) fail('UNAUTHENTICATED', 'this needs an API key');
      const owner = ctx.account.id;
      const model = this.models.get(input.model as string);
      if (!model || model.owner !== owner)
        fail('INPUT_NOT_FOUND', `no model ${input.model as string} in this account (register it first)`);
      const blob = this.blobs.get(input.rows as string);
      if (!blob?.owners.has(owner))
        fail(
          'INPUT_NOT_FOUND',
          `no uploaded batch ${input.rows as string} in this account (upload it first)`,
        );
      if (this.refuseSubmit) fail(this.refuseSubmit.code, this.refuseSubmit.message);
      const rows = checkFakeRows(
        blob.bytes.toString('utf8'),
        model,
        (d) => !!this.blobs.get(d)?.owners.has(owner),
      );
      const estimatedCost = ((rows.length * (model.msPerRow ?? 20)) / 1000) * this.inferencePerCpuSecond;
      if (input.maxPrice && Number(input.maxPrice) < estimatedCost)
        fail(
          'PRICE_TOO_LOW',
          `maxPrice ${input.maxPrice as string} TSR is below what providers charge for this batch at the current market price: ${estimatedCost.toPrecision(3)} TSR`,
        );
      const shard = (input.shardRows as number | null) ?? this.defaultShardRows;
      const tasks: FakeTask[] = [];
      for (let first = 0; first < rows.length; first += shard)
        tasks.push({
          index: tasks.length,
          frames: [],
          rows: rows.slice(first, first + shard).map((_, i) => first + i),
          state: 'QUEUED',
          error: null,
          attempts: [],
        });
      const job: FakeJob = {
        id: `job-${this.nextJob++}`,
        owner,
        name: (input.name as string | null) ?? null,
        kind: 'inference',
        state: 'QUEUED',
        input: JSON.parse(JSON.stringify(input)) as Record<string, unknown>,
        createdAt: new Date().toISOString(),
        startedAt: null,
        finishedAt: null,
        error: null,
        tasks,
        frames: [],
        frameList: [],
        rows,
        params: {
          model: { id: model.id, name: model.name, batchSize: model.batchSize },
          rows: { sha256: input.rows, size: blob.bytes.length, count: rows.length },
          shards: tasks.map((t) => ({ firstRow: t.rows![0], rows: t.rows!.length })),
          device: (input.device as string | null) ?? 'ANY',
          estimatedCost,
          currency: 'TSR',
        },
      };
      this.jobs.set(job.id, job);
      if (this.autoRenderMs !== undefined) this.autoRender(job);
      return this.view(job);
    },
    submitRenderJob: ({ input }: { input: Record<string, unknown> }, ctx: { account?: FakeAccount }) => {
      if (!ctx.account) fail('UNAUTHENTICATED', 'this needs an API key');
      const blob = this.blobs.get(input.blend as string);
      if (!blob || !blob.owners.has(ctx.account.id))
        fail('INPUT_NOT_FOUND', `no blob ${input.blend as string} is available to you: upload it first`);
      if (this.refuseSubmit) fail(this.refuseSubmit.code, this.refuseSubmit.message);
      const frameList = framesOf(input.frames as string | undefined);
      const chunk = (input.chunkSize as number | undefined) ?? this.defaultChunk;
      const tasks: FakeTask[] = [];
      for (let i = 0; i < frameList.length; i += chunk)
        tasks.push({
          index: tasks.length,
          frames: frameList.slice(i, i + chunk),
          state: 'QUEUED',
          error: null,
          attempts: [],
        });
      const job: FakeJob = {
        id: `job-${this.nextJob++}`,
        owner: ctx.account.id,
        name: (input.name as string | undefined) ?? null,
        kind: 'render',
        state: 'QUEUED',
        input,
        createdAt: new Date().toISOString(),
        startedAt: null,
        finishedAt: null,
        error: null,
        tasks,
        frames: [],
        frameList,
      };
      this.jobs.set(job.id, job);
      if (this.autoRenderMs !== undefined) this.autoRender(job);
      return this.view(job);
    },
  };

  private autoRender(job: FakeJob): void {
    const step = (index: number) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (job.state === 'CANCELLED') return;
        this.acceptTask(job.id, index, `box-${(index % 2) + 1}`);
        if (index + 1 < job.tasks.length) step(index + 1);
      }, this.autoRenderMs);
      this.timers.add(timer);
    };
    step(0);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      authorization: req.headers.authorization,
    };
    this.requests.push(record);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const account = this.accountFor(req.headers.authorization);
    if (req.headers.authorization && !account) {
      const message = 'the API key is not valid (revoked, mistyped or from another coordinator)';
      return url.pathname === '/graphql'
        ? json(401, {
            errors: [{ message: `UNAUTHENTICATED: ${message}`, extensions: { code: 'UNAUTHENTICATED' } }],
          })
        : json(401, { error: { code: 'UNAUTHENTICATED', message } });
    }
    if (url.pathname === '/graphql' && req.method === 'POST') {
      const body = JSON.parse((await readBody(req)).toString('utf8')) as {
        query: string;
        variables?: Record<string, unknown>;
      };
      record.operation = /(?:query|mutation)\s+(\w+)/.exec(body.query)?.[1];
      const result = await graphql({
        schema: SCHEMA,
        source: body.query,
        variableValues: body.variables,
        rootValue: this.root,
        contextValue: { account },
      });
      return json(200, result);
    }
    const blob = /^\/v1\/blobs\/([^/]+)$/.exec(url.pathname);
    if (blob) {
      if (!account)
        return json(401, { error: { code: 'UNAUTHENTICATED', message: 'blobs need an API key' } });
      const digest = blob[1];
      const stored = this.blobs.get(digest);
      const mine = stored?.owners.has(account.id);
      if (req.method === 'HEAD')
        return void res
          .writeHead(mine ? 200 : 404, mine ? { 'content-length': stored!.bytes.length } : {})
          .end();
      if (req.method === 'PUT') return this.put(req, digest, account, json);
      if (req.method === 'GET') {
        if (!mine)
          return json(404, {
            error: { code: 'BLOB_NOT_FOUND', message: `no blob ${digest} is available to you` },
          });
        let bytes = stored!.bytes;
        const corrupt = this.corruptDownloads.get(digest) ?? 0;
        if (corrupt > 0) {
          this.corruptDownloads.set(digest, corrupt - 1);
          bytes = Buffer.from(bytes);
          bytes[0] ^= 0xff;
        }
        return void res
          .writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length })
          .end(bytes);
      }
    }
    const outputs = /^\/v1\/jobs\/([^/]+)\/outputs\.jsonl$/.exec(url.pathname);
    if (outputs && req.method === 'GET') {
      const job = this.jobs.get(outputs[1]);
      if (!account || !job || job.owner !== account.id)
        return json(404, { error: { code: 'JOB_NOT_FOUND', message: `no job ${outputs[1]} is yours` } });
      if (!job.rows)
        return json(400, {
          error: {
            code: 'BAD_INPUT',
            message: `job ${job.id} is a ${job.kind} job; only inference jobs have row outputs`,
          },
        });
      if (job.state !== 'COMPLETED')
        return json(409, {
          error: { code: 'JOB_NOT_FINISHED', message: `job ${job.id} is ${job.state.toLowerCase()}` },
        });
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      return void res.end(Buffer.concat(job.tasks.map((t) => this.blobs.get(t.output!.sha256)!.bytes)));
    }
    const archive = /^\/v1\/jobs\/([^/]+)\/archive\.zip$/.exec(url.pathname);
    if (archive && req.method === 'GET') {
      const job = this.jobs.get(archive[1]);
      if (!account || !job || job.owner !== account.id)
        return json(404, { error: { code: 'JOB_NOT_FOUND', message: `no job ${archive[1]} is yours` } });
      res.writeHead(200, {
        'content-type': 'application/zip',
        'content-disposition': `attachment; filename="${job.id}.zip"`,
      });
      return void res.end(
        Buffer.concat([Buffer.from('PK\x03\x04'), ...job.frames.map((f) => this.blobs.get(f.sha256)!.bytes)]),
      );
    }
    json(404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${url.pathname}` } });
  }

  /** Like the coordinator: refuses an oversized Content-Length before reading, checks the digest after. */
  private async put(
    req: http.IncomingMessage,
    digest: string,
    account: FakeAccount,
    json: (status: number, body: unknown) => void,
  ): Promise<void> {
    const declared = Number(req.headers['content-length']);
    if (declared > this.maxBlobBytes)
      return json(413, {
        error: {
          code: 'BLOB_TOO_LARGE',
          message: `the upload (${declared} B) exceeds the ${this.maxBlobBytes} B limit; nothing was stored`,
        },
      });
    const bytes = await readBody(req);
    const actual = sha256(bytes);
    if (actual !== digest)
      return json(400, {
        error: {
          code: 'BLOB_HASH_MISMATCH',
          message: `the upload's SHA-256 is ${actual}, not ${digest}: it was corrupted or truncated in transit; nothing was stored`,
        },
      });
    const blob = this.blobs.get(digest) ?? { bytes, owners: new Set<string>() };
    blob.owners.add(account.id);
    this.blobs.set(digest, blob);
    json(201, { sha256: digest, size: bytes.length });
  }
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
