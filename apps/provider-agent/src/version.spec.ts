import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_VERSION } from './version';

it('reports the version package.json declares', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
    version: string;
  };
  expect(AGENT_VERSION).toBe(pkg.version);
});
