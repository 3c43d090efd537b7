/**
 * CPU time spent by each party during a measurement, from /proc (Linux; elsewhere the figures are
 * null). On a small, shared machine CPU milliseconds per task are steadier than tasks per second:
 * they do not move when another process takes a core for a moment.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';

const TICK_MS = 10; // USER_HZ is 100 on every Linux build Node supports

/** CPU ms (user + system) a process has used, or undefined when it is gone or /proc is absent. */
function procMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, 11 and 12 after the command name.
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

function machineBusyMs(): number | undefined {
  try {
    const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return (total - v[3] - v[4]) * TICK_MS;
  } catch {
    return undefined;
  }
}

/**
 * CPU ms the hypervisor gave to others while this VM wanted them (steal), all cores; undefined
 * without /proc. On a shared VM it explains why the same work takes longer from one run to the next.
 */
function machineStealMs(): number | undefined {
  try {
    const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return v[7] * TICK_MS;
  } catch {
    return undefined;
  }
}

interface Snapshot {
  at: number;
  selfUs: number;
  machine?: number;
  steal?: number;
  groups: Record<string, Map<number, number>>;
}

export interface CpuUsage {
  wallMs: number;
  /** This (client) process. */
  clientMs: number;
  /** Per named group of processes (e.g. the coordinator, one database's backends). */
  groups: Record<string, number | null>;
  /** All cores of the machine, busy; includes processes outside this bench. */
  machineBusyMs: number | null;
  /** All cores, stolen by the hypervisor (a shared VM's neighbours). */
  machineStealMs: number | null;
}

/**
 * Watches the client, some fixed processes and the PostgreSQL backends serving some databases (found
 * afresh in pg_stat_activity at each snapshot, so pool connections opened meanwhile count too).
 */
export class CpuMeter {
  constructor(
    private readonly admin: Client,
    private readonly pids: Record<string, number>,
    private readonly databases: Record<string, string>,
  ) {}

  private async snapshot(): Promise<Snapshot> {
    const groups: Record<string, Map<number, number>> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const ms = procMs(pid);
      groups[name] = new Map(ms === undefined ? [] : [[pid, ms]]);
    }
    const { rows } = await this.admin.query<{ pid: number; datname: string }>(
      `SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY($1::text[])`,
      [Object.values(this.databases)],
    );
    for (const [name, db] of Object.entries(this.databases)) {
      groups[name] = new Map();
      for (const r of rows.filter((r) => r.datname === db)) {
        const ms = procMs(r.pid);
        if (ms !== undefined) groups[name].set(r.pid, ms);
      }
    }
    const u = process.cpuUsage();
    return {
      at: performance.now(),
      selfUs: u.user + u.system,
      machine: machineBusyMs(),
      steal: machineStealMs(),
      groups,
    };
  }

  /** Runs `work` and reports the CPU each party used meanwhile. */
  async measure<T>(work: () => Promise<T>): Promise<{ result: T; cpu: CpuUsage }> {
    const before = await this.snapshot();
    const result = await work();
    const after = await this.snapshot();
    const groups: Record<string, number | null> = {};
    for (const name of Object.keys(after.groups)) {
      const a = after.groups[name];
      if (a.size === 0) {
        groups[name] = null;
        continue;
      }
      let ms = 0;
      // A backend that started during the measurement counts from zero.
      for (const [pid, t] of a) ms += t - (before.groups[name]?.get(pid) ?? 0);
      groups[name] = ms;
    }
    return {
      result,
      cpu: {
        wallMs: after.at - before.at,
        clientMs: (after.selfUs - before.selfUs) / 1000,
        groups,
        machineBusyMs:
          after.machine === undefined || before.machine === undefined ? null : after.machine - before.machine,
        machineStealMs:
          after.steal === undefined || before.steal === undefined ? null : after.steal - before.steal,
      },
    };
  }
}
