import DataLoader from 'dataloader';

/** Per-request loaders, kept beside the request's context, so a list of providers costs one query per field. */
const loaders = new WeakMap<object, Map<string, DataLoader<string, unknown>>>();

/**
 * The request's loader named `key` (one per distinct set of field arguments), created on first use:
 * resolve fields that take arguments cannot live in the fixed set of GqlContext.loaders.
 */
export function loaderFor<V>(
  context: object,
  key: string,
  batch: (ids: readonly string[]) => Promise<V[]>,
): DataLoader<string, V> {
  let byKey = loaders.get(context);
  if (!byKey) loaders.set(context, (byKey = new Map()));
  let loader = byKey.get(key) as DataLoader<string, V> | undefined;
  if (!loader) byKey.set(key, (loader = new DataLoader<string, V>(batch)));
  return loader;
}
