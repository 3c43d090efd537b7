/** Field names of the API types that optional sections depend on (see UPCOMING in operations.ts). */
export interface Capabilities {
  query: ReadonlySet<string>;
  provider: ReadonlySet<string>;
  account: ReadonlySet<string>;
}

export type Requirements = Partial<Record<keyof Capabilities, readonly string[]>>;

type TypeFields = { fields: { name: string }[] | null } | null;

export function parseCapabilities(data: {
  query: TypeFields;
  provider: TypeFields;
  account: TypeFields;
}): Capabilities {
  const names = (t: TypeFields) => new Set((t?.fields ?? []).map((f) => f.name));
  return { query: names(data.query), provider: names(data.provider), account: names(data.account) };
}

/** True when the coordinator has every field a document needs. */
export function supports(capabilities: Capabilities | null, requires: Requirements): boolean {
  if (!capabilities) return false;
  return (Object.keys(requires) as (keyof Capabilities)[]).every((type) =>
    (requires[type] ?? []).every((field) => capabilities[type].has(field)),
  );
}
