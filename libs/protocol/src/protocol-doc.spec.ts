import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentMessageSchema, CoordinatorMessageSchema } from './messages';
import { describeIssues } from './codec';

const doc = readFileSync(join(__dirname, '../../../docs/protocol.md'), 'utf8');
const blocks = [...doc.matchAll(/```json (agent|coordinator)-message\n([\s\S]*?)```/g)].map((m) => ({
  side: m[1] as 'agent' | 'coordinator',
  json: m[2],
}));

describe('docs/protocol.md', () => {
  it('has examples to check', () => {
    expect(blocks.length).toBeGreaterThan(10);
  });

  it.each(blocks.map((b, i) => [i, b.side, b.json] as const))(
    'example %i (%s) is a valid message',
    (_i, side, json) => {
      const schema = side === 'agent' ? AgentMessageSchema : CoordinatorMessageSchema;
      const parsed = schema.safeParse(JSON.parse(json));
      expect(parsed.success ? 'valid' : describeIssues(parsed.error)).toBe('valid');
    },
  );

  it('shows an example of every message type', () => {
    const types = (schema: { options: readonly { shape: { type: { value: string } } }[] }) =>
      schema.options.map((o) => o.shape.type.value);
    const documented = new Set(blocks.map((b) => (JSON.parse(b.json) as { type: string }).type));
    const all = [...types(AgentMessageSchema as never), ...types(CoordinatorMessageSchema as never)];
    expect(all.filter((t) => !documented.has(t))).toEqual([]);
  });
});
