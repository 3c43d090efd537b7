import { runTessera } from '../test/cli-harness';

describe('tessera command line', () => {
  it('prints help with exit 0', async () => {
    const run = await runTessera(['--help']);
    expect(run.code).toBe(0);
    for (const command of [
      'signup',
      'whoami',
      'render',
      'infer',
      'models',
      'watch',
      'download',
      'jobs',
      'cancel',
    ])
      expect(run.stdout).toContain(command);
  });

  it('documents infer and models register', async () => {
    const infer = await runTessera(['infer', '--help']);
    expect(infer.code).toBe(0);
    for (const option of [
      '--model',
      '--input',
      '--out',
      '--config',
      '--shard-rows',
      '--device',
      '--max-price',
      '--no-wait',
      '--json',
    ])
      expect(infer.stdout).toContain(option);
    const register = await runTessera(['models', 'register', '--help']);
    expect(register.stdout).toContain('Usage: tessera models register [options] <model.onnx>');
    const missing = await runTessera(['infer', '--input', 'rows.jsonl']);
    expect(missing.stderr).toMatch(/^error: required option '--model <model>' not specified\n/);
  });

  it('refuses unknown commands and options, and missing arguments, in one line each', async () => {
    const unknown = await runTessera(['rnder', 'x.blend']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: unknown command 'rnder'\n\(Did you mean render\?\)/);

    const option = await runTessera(['render', 'x.blend', '--sample', '3']);
    expect(option.code).toBe(1);
    expect(option.stderr).toMatch(/^error: unknown option '--sample'\n\(Did you mean --samples\?\)/);

    const missing = await runTessera(['watch']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: missing required argument 'job'\n/);

    const name = await runTessera(['signup']);
    expect(name.stderr).toMatch(/^error: required option '--name <name>' not specified\n/);
  });

  it('never prints a stack trace', async () => {
    const run = await runTessera(['whoami', '--url', 'not a url']);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: --url "not a url" is not a URL: use e.g. http://127.0.0.1:8080\n',
    });
  });
});
