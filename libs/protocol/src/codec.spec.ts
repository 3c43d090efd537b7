import { decodeAgentMessage, decodeCoordinatorMessage, encode } from './codec';
import { MAX_CLAIM_CACHED_BLOBS, MAX_COMMITMENT_ITEMS, MAX_LOG_CHUNK_CHARS } from './constants';
import { relativePath } from './messages';

const ATTEMPT = '3f2b8a1c-5d4e-4f6a-8b7c-9d0e1f2a3b4c';
const SHA = 'a'.repeat(64);
const NOW = '2026-01-01T00:00:00.000Z';

const capabilities = {
  kinds: ['container'],
  slots: 2,
  cpu: { cores: 8, model: 'test cpu' },
  memoryBytes: 16 * 2 ** 30,
  diskFreeBytes: 100 * 2 ** 30,
  gpus: [{ index: 0, name: 'RTX 4090', vramBytes: 24 * 2 ** 30, driverVersion: '550.54' }],
  docker: { version: '24.0.7', apiVersion: '1.43' },
  images: ['tessera/toolbox:1'],
  os: 'linux',
  arch: 'x64',
};

/** One valid example of every message an agent may send. */
const valid: Record<string, Record<string, unknown>> = {
  auth: {
    type: 'auth',
    id: '1',
    protocol: 1,
    address: '4Nd1mYQzvxV9y5bKk3h1nW8ZsS8m6pWb5t1Vq9yYt7Xa',
    signature: '5'.repeat(88),
    nonce: 'n'.repeat(43),
    agent: { version: '0.1.0', name: 'rig-1' },
    capabilities,
  },
  capabilities: { type: 'capabilities', id: '2', capabilities },
  claim: { type: 'claim', id: '3' },
  'claim with cached blobs': { type: 'claim', id: '3b', cachedBlobs: [SHA, 'b'.repeat(64)] },
  heartbeat: { type: 'heartbeat', id: '4', attempts: [ATTEMPT] },
  'task.started': { type: 'task.started', id: '5', attemptId: ATTEMPT },
  'task.log': { type: 'task.log', attemptId: ATTEMPT, stream: 'stdout', data: 'frame 1 done\n' },
  'task.completed': {
    type: 'task.completed',
    id: '6',
    attemptId: ATTEMPT,
    outputs: [{ path: 'frames/0001.png', sha256: SHA, size: 1234 }],
    startedAt: NOW,
    finishedAt: NOW,
  },
  'task.completed with a commitment': {
    type: 'task.completed',
    id: '6b',
    attemptId: ATTEMPT,
    outputs: [{ path: 'frame-000001.png', sha256: SHA, size: 1234 }],
    startedAt: NOW,
    finishedAt: NOW,
    commitment: { root: 'b'.repeat(64), items: 1 },
  },
  'task.failed': {
    type: 'task.failed',
    id: '7',
    attemptId: ATTEMPT,
    code: 'EXIT_NONZERO',
    message: 'exit 2',
    exitCode: 2,
  },
};

function rejection(raw: string): { error: string; id?: string } {
  const decoded = decodeAgentMessage(raw);
  if (decoded.ok) throw new Error(`expected ${raw} to be rejected`);
  return { error: decoded.error, id: decoded.id };
}

describe('decodeAgentMessage', () => {
  it.each(Object.entries(valid))('accepts a valid %s message unchanged', (_type, message) => {
    expect(decodeAgentMessage(JSON.stringify(message))).toEqual({ ok: true, message });
  });

  it('round-trips what encode produced', () => {
    const message = valid['task.completed'];
    expect(decodeAgentMessage(encode(message as never))).toEqual({ ok: true, message });
  });

  it('says a frame that is not JSON is not valid JSON', () => {
    expect(rejection('{"type": "claim", ')).toEqual({ error: 'not valid JSON', id: undefined });
  });

  it('lists the known types when the type is unknown, and echoes the id', () => {
    const { error, id } = rejection(JSON.stringify({ type: 'task.explode', id: 'r-1' }));
    expect(error).toMatch(/^type: /);
    expect(error).toContain("'claim'");
    expect(error).toContain("'task.completed'");
    expect(id).toBe('r-1');
  });

  it('names a missing field', () => {
    const { error, id } = rejection(JSON.stringify({ type: 'heartbeat', id: 'h-1' }));
    expect(error).toMatch(/^attempts: .*expected array/);
    expect(id).toBe('h-1');
  });

  it('names an unknown extra field (messages are strict)', () => {
    const { error, id } = rejection(JSON.stringify({ type: 'claim', id: 'c-1', slots: 2 }));
    expect(error).toContain('Unrecognized key: "slots"');
    expect(id).toBe('c-1');
  });

  it('names the nested field at fault with its path', () => {
    const bad = { ...valid.capabilities, capabilities: { ...capabilities, slots: 0 } };
    expect(rejection(JSON.stringify(bad)).error).toMatch(/^capabilities\.slots: /);
  });

  it('refuses an attempt id that is not a uuid', () => {
    expect(
      rejection(JSON.stringify({ type: 'task.started', id: 's', attemptId: 'attempt-1' })).error,
    ).toMatch(/^attemptId: .*UUID/i);
  });

  it('refuses cached blobs that are not lowercase hex SHA-256 digests, or more than 256 of them', () => {
    const claim = (cachedBlobs: string[]) => JSON.stringify({ type: 'claim', id: 'c', cachedBlobs });
    expect(rejection(claim(['A'.repeat(64)])).error).toMatch(/^cachedBlobs\.0: .*SHA-256/);
    expect(rejection(claim([SHA.slice(1)])).error).toMatch(/^cachedBlobs\.0: /);
    expect(rejection(claim(Array(MAX_CLAIM_CACHED_BLOBS + 1).fill(SHA))).error).toMatch(/^cachedBlobs: /);
    expect(decodeAgentMessage(claim(Array(MAX_CLAIM_CACHED_BLOBS).fill(SHA))).ok).toBe(true);
    expect(decodeAgentMessage(claim([])).ok).toBe(true);
  });

  it('refuses a commitment whose root is not lowercase hex SHA-256 or whose count is out of range', () => {
    const completed = (commitment: unknown) => JSON.stringify({ ...valid['task.completed'], commitment });
    expect(rejection(completed({ root: 'B'.repeat(64), items: 1 })).error).toMatch(/^commitment\.root: /);
    expect(rejection(completed({ root: SHA.slice(1), items: 1 })).error).toMatch(/^commitment\.root: /);
    expect(rejection(completed({ root: SHA, items: -1 })).error).toMatch(/^commitment\.items: /);
    expect(rejection(completed({ root: SHA, items: 1.5 })).error).toMatch(/^commitment\.items: /);
    expect(rejection(completed({ root: SHA, items: MAX_COMMITMENT_ITEMS + 1 })).error).toMatch(
      /^commitment\.items: /,
    );
    expect(rejection(completed({ root: SHA })).error).toMatch(/^commitment\.items: /);
    expect(rejection(completed({ root: SHA, items: 1, proof: [] })).error).toMatch(/^commitment: /);
    expect(decodeAgentMessage(completed({ root: SHA, items: 0 })).ok).toBe(true);
    expect(decodeAgentMessage(completed({ root: SHA, items: MAX_COMMITMENT_ITEMS })).ok).toBe(true);
  });

  it('refuses an unknown failure code', () => {
    const bad = { ...valid['task.failed'], code: 'GAVE_UP' };
    expect(rejection(JSON.stringify(bad)).error).toMatch(/^code: /);
  });

  it('refuses a log chunk over the size limit', () => {
    const bad = { ...valid['task.log'], data: 'x'.repeat(MAX_LOG_CHUNK_CHARS + 1) };
    expect(rejection(JSON.stringify(bad)).error).toMatch(/^data: /);
  });

  it('refuses an output path that escapes the output directory', () => {
    const bad = {
      ...valid['task.completed'],
      outputs: [{ path: '../../etc/passwd', sha256: SHA, size: 1 }],
    };
    expect(rejection(JSON.stringify(bad)).error).toMatch(/^outputs\.0\.path: /);
  });

  it('refuses JSON that is not an object', () => {
    expect(rejection('[1, 2]').error).toMatch(/expected object/);
    expect(rejection('null').error).toMatch(/expected object/);
    expect(rejection('"claim"').error).toMatch(/expected object/);
  });

  it('does not echo an id that is not a short string', () => {
    expect(rejection(JSON.stringify({ type: 'nope', id: 42 })).id).toBeUndefined();
    expect(rejection(JSON.stringify({ type: 'nope', id: 'x'.repeat(65) })).id).toBeUndefined();
  });

  it('never throws, whatever the input', () => {
    for (const raw of ['', ' ', '{}', '[]', '0', 'true', '{"type":null}', '\u0000', '{"__proto__":{}}']) {
      expect(() => decodeAgentMessage(raw)).not.toThrow();
      expect(decodeAgentMessage(raw).ok).toBe(false);
    }
  });
});

describe('decodeCoordinatorMessage', () => {
  it('tolerates fields it does not know (a newer coordinator may add some)', () => {
    const decoded = decodeCoordinatorMessage(JSON.stringify({ type: 'ok', re: '1', later: true }));
    expect(decoded.ok).toBe(true);
  });
});

describe('relativePath', () => {
  it.each(['out.png', 'frames/0001.png', 'a/b/c/d.txt', 'with space.txt', '.hidden', 'a..b'])(
    'accepts %p',
    (path) => {
      expect(relativePath.safeParse(path).success).toBe(true);
    },
  );

  it.each([
    ['a parent segment: ../secret', '../secret'],
    ['a parent segment in the middle: a/../../b', 'a/../../b'],
    ['a trailing parent segment: a/..', 'a/..'],
    ['an absolute path: /etc/passwd', '/etc/passwd'],
    ['an empty segment: a//b', 'a//b'],
    ['a trailing slash: a/', 'a/'],
    ['a current-directory segment: ./a', './a'],
    ['a backslash: a\\b', 'a\\b'],
    ['a Windows-style parent: ..\\secret', '..\\secret'],
    ['a NUL byte', 'a\u0000b'],
    ['the empty string', ''],
    ['a path over 255 characters', 'x'.repeat(256)],
  ])('refuses %s', (_what, path) => {
    expect(relativePath.safeParse(path).success).toBe(false);
  });
});
