import { readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FakeCoordinator } from '../../test/fake-coordinator';
import { runTessera, tempDir } from '../../test/cli-harness';

describe('tessera signup and whoami', () => {
  let fake: FakeCoordinator;
  let homeDir: string;
  const configFile = () => join(homeDir, '.config', 'tessera', 'cli.json');

  beforeEach(async () => {
    fake = await FakeCoordinator.start();
    homeDir = tempDir('tessera-home-');
  });
  afterEach(() => fake.stop());

  it('creates an account, saves URL and key readable by the owner only, and whoami then uses them', async () => {
    const signup = await runTessera(['signup', '--name', 'Ada', '--url', fake.url], { homeDir });

    expect(signup.code).toBe(0);
    const saved = JSON.parse(readFileSync(configFile(), 'utf8')) as { url: string; apiKey: string };
    expect(saved.url).toBe(fake.url);
    expect(fake.accounts.get(saved.apiKey)?.name).toBe('Ada');
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(homeDir, '.config', 'tessera')).mode & 0o777).toBe(0o700);
    expect(signup.stdout).toContain('API key saved to ~/.config/tessera/cli.json (readable by you only)\n');

    const whoami = await runTessera(['whoami'], { homeDir });
    const id = fake.accounts.get(saved.apiKey)!.id;
    expect(whoami).toEqual({
      code: 0,
      stdout: `Ada (account ${id}) on ${fake.url}, key from ~/.config/tessera/cli.json\n`,
      stderr: '',
    });
  });

  it('refuses to overwrite a saved key without --force, before creating an account', async () => {
    mkdirSync(join(homeDir, '.config', 'tessera'), { recursive: true });
    writeFileSync(configFile(), JSON.stringify({ url: fake.url, apiKey: 'tsk_old' }), { mode: 0o600 });
    const run = await runTessera(['signup', '--name', 'Ada'], { homeDir });

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: ~/.config/tessera/cli.json already holds an API key; run "tessera whoami" to see whose, or pass --force to replace it\n',
    );
    expect(fake.accounts.size).toBe(0);
    expect((await runTessera(['signup', '--name', 'Ada', '--force'], { homeDir })).code).toBe(0);
    expect(fake.accounts.size).toBe(1);
  });

  it('prefers --api-key over TESSERA_API_KEY over the config file', async () => {
    const fromFile = fake.addAccount('file');
    const fromEnv = fake.addAccount('env');
    const fromFlag = fake.addAccount('flag');
    mkdirSync(join(homeDir, '.config', 'tessera'), { recursive: true });
    writeFileSync(configFile(), JSON.stringify({ url: fake.url, apiKey: fromFile }), { mode: 0o600 });
    const env = { TESSERA_API_KEY: fromEnv };

    expect((await runTessera(['whoami'], { homeDir })).stdout).toMatch(/^file /);
    expect((await runTessera(['whoami'], { homeDir, env })).stdout).toMatch(
      /^env .*key from TESSERA_API_KEY\n$/,
    );
    expect((await runTessera(['whoami', '--api-key', fromFlag], { homeDir, env })).stdout).toMatch(
      /^flag .*key from --api-key\n$/,
    );
  });

  it('warns when the config file is readable by others', async () => {
    mkdirSync(join(homeDir, '.config', 'tessera'), { recursive: true });
    writeFileSync(configFile(), JSON.stringify({ url: fake.url, apiKey: fake.addAccount() }), {
      mode: 0o644,
    });
    const run = await runTessera(['whoami'], { homeDir });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'warning: ~/.config/tessera/cli.json is readable by other users; run: chmod 600 ~/.config/tessera/cli.json\n',
    );
  });

  it('explains how to get a key when there is none', async () => {
    const run = await runTessera(['whoami'], { homeDir, env: { TESSERA_URL: fake.url } });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: no API key: run "tessera signup --name <your name>", or pass --api-key or set TESSERA_API_KEY\n',
    });
    expect(fake.requests).toEqual([]);
  });

  it('prints a rejected key as the coordinator says it, naming where the key came from', async () => {
    const run = await runTessera(['whoami'], {
      homeDir,
      env: { TESSERA_URL: fake.url, TESSERA_API_KEY: 'tsk_typo' },
    });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: UNAUTHENTICATED: the API key is not valid (revoked, mistyped or from another coordinator) (API key from TESSERA_API_KEY)\n',
    });
  });
});
