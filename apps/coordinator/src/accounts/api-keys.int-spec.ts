import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { createAccount, gql, gqlRaw } from '@tessera/testing';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';
import { MAX_LIVE_API_KEYS } from './api-keys.service';

// Medium test: customers manage their API keys through GraphQL on a real coordinator and
// PostgreSQL: list (the key in use marked), create (secret once, label checked, a cap), revoke (own
// keys only, never the last one), and a revoked key stops working with the very next request.

interface KeyView {
  id: string;
  label: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  current: boolean;
}
const KEY = 'id label prefix createdAt lastUsedAt revokedAt current';

describe('API keys', () => {
  let env: TestCoordinator;
  let db: DataSource;

  beforeAll(async () => {
    env = await startTestCoordinator();
    db = env.get(getDataSourceToken());
  });
  afterAll(() => env.stop());

  const list = async (apiKey: string) =>
    (await gql<{ apiKeys: KeyView[] }>(env.url, `{ apiKeys { ${KEY} } }`, {}, apiKey)).apiKeys;
  const create = (apiKey: string, label: string) =>
    gqlRaw<{ createApiKey: { apiKey: string; key: KeyView } }>(
      env.url,
      `mutation($label: String!) { createApiKey(label: $label) { apiKey key { ${KEY} } } }`,
      { label },
      apiKey,
    );
  const revoke = (apiKey: string, id: string) =>
    gqlRaw<{ revokeApiKey: KeyView }>(
      env.url,
      `mutation($id: ID!) { revokeApiKey(id: $id) { ${KEY} } }`,
      { id },
      apiKey,
    );
  const me = (apiKey: string) => gqlRaw<{ me: { id: string } }>(env.url, `{ me { id } }`, {}, apiKey);
  const created = async (apiKey: string, label: string) => {
    const result = await create(apiKey, label);
    expect(result.errors).toBeUndefined();
    return result.data!.createApiKey;
  };

  it('lists the key an account was opened with, marked as the one in use', async () => {
    const { apiKey } = await createAccount(env.url, 'lister');
    const keys = await list(apiKey);
    expect(keys).toEqual([
      expect.objectContaining({
        label: 'default',
        prefix: apiKey.slice(0, 10),
        revokedAt: null,
        current: true,
      }),
    ]);
    // This very request used the key.
    expect(keys[0].lastUsedAt).not.toBeNull();
  });

  it('makes a key whose secret is shown once and works at once; the list marks whichever key asks', async () => {
    const { apiKey, accountId } = await createAccount(env.url, 'maker');
    const made = await created(apiKey, '  CI runner  ');
    expect(made.apiKey).toMatch(/^tsk_/);
    expect(made.key).toMatchObject({ label: 'CI runner', prefix: made.apiKey.slice(0, 10), current: false });
    expect((await me(made.apiKey)).data?.me.id).toBe(accountId);

    const seenByFirst = await list(apiKey);
    const seenBySecond = await list(made.apiKey);
    expect(seenByFirst.map((k) => [k.label, k.current])).toEqual([
      ['CI runner', false],
      ['default', true],
    ]);
    expect(seenBySecond.map((k) => [k.label, k.current])).toEqual([
      ['CI runner', true],
      ['default', false],
    ]);
    // The secret is in no listing.
    expect(JSON.stringify(seenByFirst)).not.toContain(made.apiKey);
  });

  it.each([
    ['empty', '', /give the key a label/],
    ['only spaces', '   ', /give the key a label/],
    ['101 characters', 'x'.repeat(101), /101 characters; at most 100/],
  ])('refuses a label that is %s, naming the field', async (_what, label, message) => {
    const { apiKey } = await createAccount(env.url, 'labels');
    const result = await create(apiKey, label);
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_INPUT', field: 'label' } });
    expect(result.errors?.[0].message).toMatch(message);
    expect(await list(apiKey)).toHaveLength(1);
  });

  it(`holds an account to ${MAX_LIVE_API_KEYS} live keys; revoking one makes room`, async () => {
    const { apiKey } = await createAccount(env.url, 'hoarder');
    const made = [];
    for (let i = 1; i < MAX_LIVE_API_KEYS; i++) made.push(await created(apiKey, `key ${i}`));
    const refused = await create(apiKey, 'one too many');
    expect(refused.errors?.[0].extensions?.code).toBe('TOO_MANY_API_KEYS');
    expect(refused.errors?.[0].message).toMatch(/already has 20 live API keys.*revoke one/);

    expect((await revoke(apiKey, made[0].key.id)).errors).toBeUndefined();
    await created(apiKey, 'now it fits');
    expect((await list(apiKey)).filter((k) => !k.revokedAt)).toHaveLength(MAX_LIVE_API_KEYS);
  });

  it('revokes a key: it stops authenticating with the next request, and stays listed as revoked', async () => {
    const { apiKey } = await createAccount(env.url, 'revoker');
    const spare = await created(apiKey, 'laptop');
    expect((await me(spare.apiKey)).status).toBe(200);

    const revoked = await revoke(apiKey, spare.key.id);
    expect(revoked.data?.revokeApiKey).toMatchObject({ id: spare.key.id, label: 'laptop' });
    expect(revoked.data?.revokeApiKey.revokedAt).not.toBeNull();

    const refused = await me(spare.apiKey);
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await list(apiKey)).find((k) => k.id === spare.key.id)?.revokedAt).toBe(
      revoked.data?.revokeApiKey.revokedAt,
    );
    // Revoking it again changes nothing.
    expect((await revoke(apiKey, spare.key.id)).data?.revokeApiKey.revokedAt).toBe(
      revoked.data?.revokeApiKey.revokedAt,
    );
  });

  it('lets the key in use revoke itself, but never the last live key of the account', async () => {
    const { apiKey } = await createAccount(env.url, 'careful');
    const [first] = await list(apiKey);
    const last = await revoke(apiKey, first.id);
    expect(last.errors?.[0].extensions?.code).toBe('LAST_API_KEY');
    expect(last.errors?.[0].message).toMatch(/last live API key.*no wallet.*make another key first/);
    expect((await me(apiKey)).status).toBe(200);

    const other = await created(apiKey, 'replacement');
    const self = await revoke(apiKey, first.id);
    expect(self.data?.revokeApiKey).toMatchObject({ id: first.id, current: true });
    expect((await me(apiKey)).status).toBe(401);
    expect((await revoke(other.apiKey, other.key.id)).errors?.[0].extensions?.code).toBe('LAST_API_KEY');
  });

  it("answers 'not found' for another account's key and for ids that are no key at all", async () => {
    const alice = await createAccount(env.url, 'alice');
    const mallory = await createAccount(env.url, 'mallory');
    const [aliceKey] = await list(alice.apiKey);
    await created(mallory.apiKey, 'spare');

    for (const id of [aliceKey.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const result = await revoke(mallory.apiKey, id);
      expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'API_KEY_NOT_FOUND' } });
    }
    expect((await list(mallory.apiKey)).map((k) => k.label)).toEqual(['spare', 'default']);
    expect((await me(alice.apiKey)).status).toBe(200);
  });

  it('asks anonymous callers to sign in', async () => {
    const result = await gqlRaw(env.url, `{ apiKeys { id } }`);
    expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('writes when a key was last used at most once a minute', async () => {
    const { apiKey } = await createAccount(env.url, 'busy');
    const [key] = await list(apiKey);
    const lastUsed = async () =>
      (
        (await db.query(`SELECT last_used_at FROM api_key WHERE id = $1`, [key.id])) as {
          last_used_at: Date;
        }[]
      )[0].last_used_at;
    const first = await lastUsed();
    await me(apiKey);
    expect(await lastUsed()).toEqual(first);

    await db.query(`UPDATE api_key SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, [key.id]);
    const stale = await lastUsed();
    await me(apiKey);
    expect((await lastUsed()).getTime()).toBeGreaterThan(stale.getTime() + 60_000);
  });
});
