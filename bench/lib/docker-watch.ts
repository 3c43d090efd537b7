/**
 * Watches containers from the outside while a bench runs: their lifecycle from `docker events`
 * (create, start, die, destroy, with the daemon's timestamps) and, for the containers a predicate
 * picks, their marker lines from `docker logs --follow --timestamps` (each line with the time the
 * daemon received it). Nothing here touches the containers; it only reads.
 */
import { ChildProcess, spawn } from 'node:child_process';

export interface WatchedContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  /** Epoch ms of each lifecycle event, from the daemon. */
  createdAt?: number;
  startedAt?: number;
  diedAt?: number;
  destroyedAt?: number;
  /** Lines the `keepLine` filter kept, with the epoch ms the daemon logged them at. */
  lines: { at: number; line: string }[];
}

interface DockerEvent {
  Type?: string;
  Action?: string;
  id?: string;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

const LIFECYCLE = ['create', 'start', 'die', 'destroy'];

/** RFC 3339 with nanoseconds, as `docker logs --timestamps` prints it, to epoch ms (fraction kept). */
function parseTimestamp(text: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return Number.NaN;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  const fraction = m[2] ? Number(`0.${m[2]}`) * 1000 : 0;
  return whole + fraction;
}

export class ContainerWatch {
  readonly containers = new Map<string, WatchedContainer>();
  private readonly events: ChildProcess;
  private readonly followers = new Set<ChildProcess>();
  private readonly ready: Promise<void>;
  private stopped = false;

  /**
   * @param follow which containers to follow the logs of (by their labels and name)
   * @param keepLine which of their lines to keep (e.g. a tool's own markers; the rest is dropped)
   */
  constructor(
    private readonly follow: (c: WatchedContainer) => boolean,
    private readonly keepLine: (line: string) => boolean,
  ) {
    const since = new Date(Date.now() - 1000).toISOString();
    this.events = spawn(
      'docker',
      [
        'events',
        '--since',
        since,
        '--format',
        '{{json .}}',
        '--filter',
        'type=container',
        ...LIFECYCLE.flatMap((e) => ['--filter', `event=${e}`]),
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let partial = '';
    let resolveReady!: () => void;
    this.ready = new Promise((r) => (resolveReady = r));
    // `docker events` prints nothing until an event comes; the stream is up once the process runs.
    this.events.once('spawn', () => setTimeout(resolveReady, 200));
    this.events.stdout?.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) this.onEvent(JSON.parse(line) as DockerEvent);
    });
  }

  /** Resolves once the events stream is running. */
  started(): Promise<void> {
    return this.ready;
  }

  private onEvent(e: DockerEvent): void {
    const id = e.Actor?.ID ?? e.id;
    if (!id || !e.Action || !e.timeNano) return;
    const at = e.timeNano / 1e6;
    let c = this.containers.get(id);
    if (!c) {
      // An event's attributes are the container's labels plus its name and image (and, on die, its exit code).
      const labels = { ...(e.Actor?.Attributes ?? {}) };
      const name = labels.name ?? '';
      for (const key of ['name', 'image', 'exitCode', 'execDuration']) delete labels[key];
      c = { id, name, labels, lines: [] };
      this.containers.set(id, c);
    }
    if (e.Action === 'create') {
      c.createdAt = at;
      if (!this.stopped && this.follow(c)) this.followLogs(c);
    } else if (e.Action === 'start') c.startedAt = at;
    else if (e.Action === 'die') c.diedAt = at;
    else if (e.Action === 'destroy') c.destroyedAt = at;
  }

  private followLogs(c: WatchedContainer): void {
    const child = spawn('docker', ['logs', '--follow', '--timestamps', c.id], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.followers.add(child);
    child.once('exit', () => this.followers.delete(child));
    const onData = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const parts = (partial + chunk.toString()).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          const space = line.indexOf(' ');
          const text = line.slice(space + 1);
          if (space > 0 && this.keepLine(text))
            c.lines.push({ at: parseTimestamp(line.slice(0, space)), line: text });
        }
      };
    };
    child.stdout?.on('data', onData());
    child.stderr?.on('data', onData());
  }

  /** The watched containers that carry `label=value`. */
  withLabel(label: string, value: string): WatchedContainer[] {
    return [...this.containers.values()].filter((c) => c.labels[label] === value);
  }

  /** Waits (up to `timeoutMs`) for the log followers of containers that are gone to finish. */
  async settle(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.followers.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.settle();
    for (const child of [this.followers, [this.events]].flatMap((s) => [...s])) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
  }
}
