import type { CommandContext } from '../cli-context';
import { CliError } from '../cli-error';
import { requireApiKey } from '../config/cli-config';
import { JOB_STATES, JobState } from '../api/operations';
import { TesseraApi } from '../api/tessera-api';
import { formatAge } from '../ui/format';
import { formatItems } from '../ui/progress-bar';
import { renderTable } from '../ui/table';

/** `--state running,queued` → the API's enum values; unknown names are an error listing the valid ones. */
export function parseStates(text: string | undefined): JobState[] | undefined {
  if (text === undefined) return undefined;
  const states = text.split(',').map((s) => s.trim().toUpperCase());
  const bad = states.filter((s) => !JOB_STATES.includes(s as JobState));
  if (bad.length)
    throw new CliError(`--state: "${bad.join(', ')}" is not a job state (${JOB_STATES.join(', ')})`);
  return states as JobState[];
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function parseLimit(text: string | undefined): number {
  if (text === undefined) return 20;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1000)
    throw new CliError(`--limit: "${text}" is not a number of jobs from 1 to 1000`);
  return Number(text);
}

/** `tessera jobs`: your newest jobs as a table, or as the API's JSON with `--json`. */
export async function jobs(
  ctx: CommandContext,
  opts: { state?: string; limit?: string; json?: boolean },
): Promise<number> {
  const states = parseStates(opts.state);
  const limit = parseLimit(opts.limit);
  requireApiKey(ctx.config);
  const list = await new TesseraApi(ctx.config).jobs(states, limit);
  if (opts.json) {
    ctx.io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    ctx.io.stdout.write(
      states ? `no ${states.join(' or ')} jobs\n` : 'no jobs yet: tessera render scene.blend\n',
    );
    return 0;
  }
  const now = ctx.io.now();
  const table = renderTable(
    [
      { header: 'ID' },
      { header: 'NAME' },
      { header: 'KIND' },
      { header: 'STATE' },
      { header: 'PROGRESS', align: 'right' },
      { header: 'CREATED' },
    ],
    list.map((j) => [
      j.id,
      truncate(j.name ?? '', 40),
      j.kind,
      j.state,
      formatItems(j.progress),
      formatAge(j.createdAt, now),
    ]),
  );
  ctx.io.stdout.write(`${table}\n`);
  return 0;
}
