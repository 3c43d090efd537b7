import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSchemaSdl } from './schema-file';

const SCHEMA_PATH = join(__dirname, '../../schema.gql');

describe('schema.gql', () => {
  it('matches the resolvers (after changing the API: UPDATE_SCHEMA=1 npx jest schema-file, or npm run schema)', async () => {
    const sdl = await generateSchemaSdl();
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(SCHEMA_PATH, sdl);
    expect(sdl).toBe(readFileSync(SCHEMA_PATH, 'utf8'));
  });
});
