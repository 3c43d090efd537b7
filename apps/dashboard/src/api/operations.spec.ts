import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import * as operations from './operations';

/** The coordinator's committed schema: the dashboard may use nothing else. */
const schema = buildSchema(
  readFileSync(fileURLToPath(new URL('../../../coordinator/schema.gql', import.meta.url)), 'utf8'),
);

const documents: [string, string][] = Object.entries(operations as Record<string, unknown>).flatMap(
  ([name, value]) =>
    typeof value === 'string' && /^(query|mutation|subscription)\b/.test(value) ? [[name, value]] : [],
);

describe('the GraphQL documents the dashboard sends', () => {
  it('are all found', () => {
    expect(documents.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'ME',
        'JOBS',
        'JOB',
        'JOB_EVENTS',
        'CANCEL_JOB',
        'SUBMIT_RENDER_JOB',
        'SUBMIT_INFERENCE_BATCH',
        'MODELS',
        'MARKET',
        'PROVIDER',
        'PROVIDER_WORK',
        'PROVIDER_EARNINGS',
        'DEPOSITS',
        'LEDGER_ENTRIES',
      ]),
    );
  });

  it.each(documents)('%s is valid against apps/coordinator/schema.gql', (_name, document) => {
    expect(validate(schema, parse(document)).map((e) => e.message)).toEqual([]);
  });
});
