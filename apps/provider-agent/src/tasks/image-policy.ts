/**
 * The GPU owner's own allow-list, checked before anything runs, whatever the coordinator says:
 * exact references (`tessera/toolbox:1`) or prefixes ending in `*` (`tessera/*`).
 */
export function imageAllowed(image: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? image.startsWith(p.slice(0, -1)) : image === p));
}
