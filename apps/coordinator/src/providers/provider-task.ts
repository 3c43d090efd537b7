/**
 * What a provider's task is, in terms anyone may read: the kind of work and which of its items
 * (frames, rows), never whose. Task parameters are the workload plugins' own JSON
 * (libs/workloads); this reads only the fields that say which items a task covers, and anything
 * it does not recognise comes out as a count of tasks.
 */
export interface TaskItems {
  /** frames, rows or regions (a render spot-check re-renders regions); tasks for kinds without items. */
  itemUnit: string;
  items: number;
  /** The lowest and highest item the task covers (work tasks of kinds with numbered items). */
  firstItem: number | null;
  lastItem: number | null;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export function taskItemsOf(
  kind: string,
  role: string,
  params: Record<string, unknown>,
  items: number,
): TaskItems {
  const check = params.check as { regions?: unknown; rows?: unknown } | undefined;
  if (kind === 'render') {
    if (role === 'check' && Array.isArray(check?.regions))
      return { itemUnit: 'regions', items: check.regions.length, firstItem: null, lastItem: null };
    const frames = Array.isArray(params.frames) ? params.frames.filter(isInt) : [];
    if (frames.length)
      return {
        itemUnit: 'frames',
        items: frames.length,
        firstItem: Math.min(...frames),
        lastItem: Math.max(...frames),
      };
  }
  if (kind === 'inference') {
    if (role === 'check' && Array.isArray(check?.rows))
      return { itemUnit: 'rows', items: check.rows.length, firstItem: null, lastItem: null };
    if (isInt(params.firstRow) && isInt(params.rows) && params.rows > 0)
      return {
        itemUnit: 'rows',
        items: params.rows,
        firstItem: params.firstRow,
        lastItem: params.firstRow + params.rows - 1,
      };
  }
  return { itemUnit: 'tasks', items: Math.max(1, items), firstItem: null, lastItem: null };
}
