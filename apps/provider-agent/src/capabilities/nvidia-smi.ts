import { execFile } from 'node:child_process';
import { GpuInfo } from '@tessera/protocol';

const MIB = 1024 * 1024;
const FIELDS = 'index,name,uuid,memory.total,driver_version,compute_cap';
const FIELDS_WITHOUT_CC = 'index,name,uuid,memory.total,driver_version';

/** Runs a program without a shell; rejects with the error (its `code` is 'ENOENT' when it is missing). */
export type CommandRunner = (file: string, args: string[], timeoutMs: number) => Promise<string>;

export interface GpuQuery {
  /** Whether nvidia-smi exists on this host at all. */
  found: boolean;
  gpus: GpuInfo[];
  /** Why nvidia-smi, although present, could not list the GPUs (driver not loaded, …). */
  error?: string;
  /** Lines of nvidia-smi output that could not be understood, for diagnostics. */
  skipped: string[];
}

export const execCommand: CommandRunner = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        const detail = (stderr || stdout).trim();
        reject(Object.assign(error, { detail: detail || error.message }));
      } else {
        resolve(stdout);
      }
    });
  });

/**
 * Lists NVIDIA GPUs with nvidia-smi. Never throws: a host without nvidia-smi gets `found: false`
 * and no GPUs; one where it fails (driver not loaded) gets the reason in `error`. Drivers older than
 * 510 do not know `compute_cap`; the query is then repeated without it.
 */
export async function queryNvidiaGpus(run: CommandRunner = execCommand): Promise<GpuQuery> {
  const query = async (fields: string) =>
    run('nvidia-smi', [`--query-gpu=${fields}`, '--format=csv,noheader,nounits'], 15_000);
  let output: string;
  try {
    output = await query(FIELDS);
  } catch (first) {
    if ((first as NodeJS.ErrnoException).code === 'ENOENT') return { found: false, gpus: [], skipped: [] };
    try {
      if (!/compute_cap/.test(describe(first))) throw first;
      output = await query(FIELDS_WITHOUT_CC);
    } catch (error) {
      return { found: true, gpus: [], error: describe(error), skipped: [] };
    }
  }
  return { found: true, ...parseNvidiaSmiCsv(output) };
}

/**
 * Parses `nvidia-smi --query-gpu=index,name,uuid,memory.total,driver_version[,compute_cap]
 * --format=csv,noheader,nounits`. Memory is in MiB (nounits). `[N/A]` and similar placeholders
 * become absent optional fields; lines that do not parse are returned in `skipped`, never guessed at.
 */
export function parseNvidiaSmiCsv(output: string): { gpus: GpuInfo[]; skipped: string[] } {
  const gpus: GpuInfo[] = [];
  const skipped: string[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const gpu = parseLine(line);
    if (gpu) gpus.push(gpu);
    else skipped.push(line);
  }
  return { gpus, skipped };
}

function parseLine(line: string): GpuInfo | null {
  const fields = line.split(',').map((f) => f.trim());
  if (fields.length !== 5 && fields.length !== 6) return null;
  const [index, name, uuid, memoryMib, driverVersion, computeCap] = fields;
  if (!/^\d+$/.test(index) || !/^\d+$/.test(memoryMib)) return null;
  if (!name || notAvailable(name) || !driverVersion || notAvailable(driverVersion)) return null;
  const gpu: GpuInfo = {
    index: Number(index),
    name: name.slice(0, 200),
    vramBytes: Number(memoryMib) * MIB,
    driverVersion: driverVersion.slice(0, 50),
  };
  if (uuid && !notAvailable(uuid)) gpu.uuid = uuid.slice(0, 100);
  if (computeCap && /^\d+\.\d+$/.test(computeCap)) gpu.computeCapability = computeCap;
  return gpu;
}

function notAvailable(value: string): boolean {
  return /^\[?(N\/A|Not Supported|Unknown Error|Insufficient Permissions)\]?$/i.test(value);
}

function describe(error: unknown): string {
  const detail = (error as { detail?: unknown } | null)?.detail;
  if (typeof detail === 'string') return detail;
  return error instanceof Error ? error.message : String(error);
}
