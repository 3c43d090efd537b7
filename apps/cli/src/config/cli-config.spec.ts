import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test/cli-harness';
import { DEFAULT_URL, normalizeUrl, resolveConfig } from './cli-config';

describe('resolveConfig', () => {
  let home: string;
  const writeFile = (content: string) => {
    mkdirSync(join(home, '.config', 'tessera'), { recursive: true });
    writeFileSync(join(home, '.config', 'tessera', 'cli.json'), content, { mode: 0o600 });
  };

  beforeEach(() => (home = tempDir('tessera-home-')));

  it('defaults to the local coordinator and no key', () => {
    expect(resolveConfig({}, {}, home)).toEqual({
      url: DEFAULT_URL,
      apiKey: undefined,
      apiKeySource: undefined,
      configPath: join(home, '.config', 'tessera', 'cli.json'),
      warnings: [],
    });
  });

  it('takes flags over the environment over the file', () => {
    writeFile(JSON.stringify({ url: 'http://file:1', apiKey: 'k-file' }));
    expect(resolveConfig({}, {}, home)).toMatchObject({
      url: 'http://file:1',
      apiKey: 'k-file',
      apiKeySource: '~/.config/tessera/cli.json',
    });
    const env = { TESSERA_URL: 'http://env:2/', TESSERA_API_KEY: 'k-env' };
    expect(resolveConfig({}, env, home)).toMatchObject({ url: 'http://env:2', apiKey: 'k-env' });
    expect(resolveConfig({ url: 'https://flag:3/prefix/', apiKey: 'k-flag' }, env, home)).toMatchObject({
      url: 'https://flag:3/prefix',
      apiKey: 'k-flag',
      apiKeySource: '--api-key',
    });
  });

  it('does not read the file when flags and environment say everything', () => {
    writeFile('{ not json');
    expect(resolveConfig({ url: 'http://a:1', apiKey: 'k' }, {}, home).apiKey).toBe('k');
  });

  it('names the fix for a malformed file', () => {
    writeFile('{ not json');
    expect(() => resolveConfig({}, {}, home)).toThrow(
      `${join(home, '.config', 'tessera', 'cli.json')} is not valid JSON: fix it or delete it and run "tessera signup" again`,
    );
    writeFile('{"apiKey": 42}');
    expect(() => resolveConfig({}, {}, home)).toThrow('"apiKey" must be a string');
  });

  it('refuses URLs that are not http(s)', () => {
    expect(() => normalizeUrl('ftp://x', '--url')).toThrow(
      '--url "ftp://x" must be an http:// or https:// URL',
    );
    expect(() => normalizeUrl('localhost:8080x', 'TESSERA_URL')).toThrow();
    expect(() => normalizeUrl('nonsense', 'TESSERA_URL')).toThrow(
      'TESSERA_URL "nonsense" is not a URL: use e.g. http://127.0.0.1:8080',
    );
  });
});
