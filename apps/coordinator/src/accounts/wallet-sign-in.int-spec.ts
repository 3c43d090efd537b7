import { getDataSourceToken } from '@nestjs/typeorm';
import { Keypair } from '@solana/web3.js';
import bs58 from 'bs58';
import { DataSource } from 'typeorm';
import { Ed25519Keypair } from '@tessera/crypto';
import { gql, gqlRaw } from '@tessera/testing';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';

// Medium test: sign-in with a Solana wallet through GraphQL on a real coordinator and PostgreSQL,
// with real ed25519 signatures made as a wallet's signMessage makes them: the first sign-in opens
// an account linked to the wallet, later ones reach the same account; every message works once,
// for five minutes, for the wallet it was issued to, signed by that wallet only.

interface Challenge {
  wallet: string;
  message: string;
  nonce: string;
  expiresAt: string;
}
interface SignedIn {
  apiKey: string;
  created: boolean;
  account: { id: string; name: string; wallet: string | null };
}

const CHALLENGE = `mutation($w: String!) { walletChallenge(wallet: $w) { wallet message nonce expiresAt } }`;
const SIGN_IN = `mutation($w: String!, $m: String!, $s: String!) {
  walletSignIn(wallet: $w, message: $m, signature: $s) { apiKey created account { id name wallet } }
}`;

/** signMessage as Phantom does it: ed25519 over the UTF-8 bytes, here encoded base58. */
const sign = (keypair: Keypair, message: string) =>
  bs58.encode(Ed25519Keypair.fromSecretKey(keypair.secretKey).sign(Buffer.from(message, 'utf8')));

describe('wallet sign-in', () => {
  let env: TestCoordinator;
  let db: DataSource;

  beforeAll(async () => {
    env = await startTestCoordinator({ TESSERA_SIGNUP_CREDIT: '25' });
    db = env.get(getDataSourceToken());
  });
  afterAll(() => env.stop());

  const challenge = async (keypair: Keypair) =>
    (await gql<{ walletChallenge: Challenge }>(env.url, CHALLENGE, { w: keypair.publicKey.toBase58() }))
      .walletChallenge;
  const signIn = (wallet: string, message: string, signature: string) =>
    gqlRaw<{ walletSignIn: SignedIn }>(env.url, SIGN_IN, { w: wallet, m: message, s: signature });
  const signedIn = async (keypair: Keypair) => {
    const { message } = await challenge(keypair);
    const result = await signIn(keypair.publicKey.toBase58(), message, sign(keypair, message));
    expect(result.errors).toBeUndefined();
    return result.data!.walletSignIn;
  };
  const codeOf = (result: { errors?: { extensions?: { code?: string; field?: string } }[] }) =>
    result.errors?.[0]?.extensions;

  it('issues a message naming this coordinator, the wallet, the cluster, a nonce and a five-minute expiry', async () => {
    const wallet = Keypair.generate();
    const before = Date.now();
    const c = await challenge(wallet);
    const host = new URL(env.url).host;
    expect(c.message.split('\n')).toEqual([
      `${host} wants you to sign in with your Solana account:`,
      wallet.publicKey.toBase58(),
      '',
      expect.stringMatching(/^Sign in to Tessera\./),
      '',
      `URI: http://${host}`,
      'Version: 1',
      'Chain ID: localnet',
      `Nonce: ${c.nonce}`,
      expect.stringMatching(/^Issued At: \d{4}-/),
      `Expiration Time: ${c.expiresAt}`,
    ]);
    expect(c.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(new Date(c.expiresAt).getTime() - before).toBeGreaterThan(4.9 * 60_000);
    expect(new Date(c.expiresAt).getTime() - before).toBeLessThanOrEqual(5 * 60_000 + 5_000);
    expect((await challenge(wallet)).nonce).not.toBe(c.nonce);
  });

  it("opens an account on a wallet's first sign-in, with the signup credit, and reaches it again later", async () => {
    const wallet = Keypair.generate();
    const address = wallet.publicKey.toBase58();
    const first = await signedIn(wallet);
    expect(first.created).toBe(true);
    expect(first.apiKey).toMatch(/^tsk_/);
    expect(first.account).toMatchObject({
      wallet: address,
      name: `${address.slice(0, 4)}…${address.slice(-4)}`,
    });

    const me = await gql<{ me: { id: string; wallet: string; balance: { available: string } } }>(
      env.url,
      `{ me { id wallet balance { available } } }`,
      {},
      first.apiKey,
    );
    expect(me.me).toEqual({ id: first.account.id, wallet: address, balance: { available: '25' } });

    const second = await signedIn(wallet);
    expect(second).toMatchObject({ created: false, account: { id: first.account.id } });
    expect(second.apiKey).not.toBe(first.apiKey);
    const keys = await gql<{ apiKeys: { label: string; current: boolean }[] }>(
      env.url,
      `{ apiKeys { label current } }`,
      {},
      second.apiKey,
    );
    const today = new Date().toISOString().slice(0, 10);
    expect(keys.apiKeys).toEqual([
      { label: `wallet sign-in ${today}`, current: true },
      { label: `wallet sign-in ${today}`, current: false },
    ]);
    // Signed in once more, no second signup credit.
    expect(
      (
        await gql<{ me: { balance: { available: string } } }>(
          env.url,
          `{ me { balance { available } } }`,
          {},
          second.apiKey,
        )
      ).me.balance.available,
    ).toBe('25');
  });

  it('signs out by revoking the key the sign-in handed out, keeping keys the customer made', async () => {
    const wallet = Keypair.generate();
    const session = await signedIn(wallet);
    const SIGN_OUT = `mutation { signOut }`;
    const made = await gql<{ createApiKey: { apiKey: string; key: { session: boolean } } }>(
      env.url,
      `mutation { createApiKey(label: "script") { apiKey key { session } } }`,
      {},
      session.apiKey,
    );
    expect(made.createApiKey.key.session).toBe(false);
    const keys = await gql<{ apiKeys: { label: string; session: boolean }[] }>(
      env.url,
      `{ apiKeys { label session } }`,
      {},
      session.apiKey,
    );
    expect(keys.apiKeys.map((k) => [k.label.replace(/\d{4}-\d\d-\d\d/, 'DATE'), k.session])).toEqual([
      ['script', false],
      ['wallet sign-in DATE', true],
    ]);

    // A key the customer made is kept: scripts may use it.
    expect(await gql(env.url, SIGN_OUT, {}, made.createApiKey.apiKey)).toEqual({ signOut: false });
    expect((await gqlRaw(env.url, `{ me { id } }`, {}, made.createApiKey.apiKey)).errors).toBeUndefined();
    // The sign-in's key ends.
    expect(await gql(env.url, SIGN_OUT, {}, session.apiKey)).toEqual({ signOut: true });
    expect(codeOf(await gqlRaw(env.url, `{ me { id } }`, {}, session.apiKey))?.code).toBe('UNAUTHENTICATED');

    // A wallet's account may revoke its last key too: the wallet signs in again.
    const lastId = (
      await gql<{ apiKeys: { id: string; revokedAt: string | null }[] }>(
        env.url,
        `{ apiKeys { id revokedAt } }`,
        {},
        made.createApiKey.apiKey,
      )
    ).apiKeys.find((k) => k.revokedAt === null)!.id;
    const revoked = await gqlRaw(
      env.url,
      `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`,
      { id: lastId },
      made.createApiKey.apiKey,
    );
    expect(revoked.errors).toBeUndefined();
    expect((await signedIn(wallet)).account.id).toBe(session.account.id);
  });

  it('links a wallet to an account opened by name, which then signs in with it; each message for its purpose only', async () => {
    const LINK_CHALLENGE = `mutation($w: String!) { walletChallenge(wallet: $w, link: true) { message } }`;
    const LINK = `mutation($w: String!, $m: String!, $s: String!) { linkWallet(wallet: $w, message: $m, signature: $s) { id wallet } }`;
    const { createAccount: opened } = await gql<{
      createAccount: { apiKey: string; account: { id: string } };
    }>(env.url, `mutation { createAccount(input: { name: "by name" }) { apiKey account { id } } }`);
    const wallet = Keypair.generate();
    const address = wallet.publicKey.toBase58();
    const linkMessage = async (apiKey: string, w = wallet) =>
      (
        await gql<{ walletChallenge: { message: string } }>(
          env.url,
          LINK_CHALLENGE,
          { w: w.publicKey.toBase58() },
          apiKey,
        )
      ).walletChallenge.message;
    const link = (apiKey: string, m: string, w = wallet) =>
      gqlRaw<{ linkWallet: { id: string; wallet: string } }>(
        env.url,
        LINK,
        { w: w.publicKey.toBase58(), m, s: sign(w, m) },
        apiKey,
      );

    // Linking needs a signed-in account; the message names it.
    expect(codeOf(await gqlRaw(env.url, LINK_CHALLENGE, { w: address }))?.code).toBe('UNAUTHENTICATED');
    const message = await linkMessage(opened.apiKey);
    expect(message).toContain(`Link this wallet to Tessera account ${opened.account.id}`);
    // A link message does not sign in, and a sign-in message does not link.
    expect(codeOf(await signIn(address, message, sign(wallet, message)))?.code).toBe(
      'WALLET_CHALLENGE_MISMATCH',
    );
    const signInMessage = (await challenge(wallet)).message;
    expect(codeOf(await link(opened.apiKey, signInMessage))?.code).toBe('WALLET_CHALLENGE_MISMATCH');

    expect((await link(opened.apiKey, message)).data?.linkWallet).toEqual({
      id: opened.account.id,
      wallet: address,
    });
    expect((await signedIn(wallet)).account.id).toBe(opened.account.id);

    // One wallet per account, one account per wallet.
    expect(
      codeOf(
        await gqlRaw(env.url, LINK_CHALLENGE, { w: Keypair.generate().publicKey.toBase58() }, opened.apiKey),
      )?.code,
    ).toBe('ACCOUNT_HAS_WALLET');
    const { createAccount: other } = await gql<{ createAccount: { apiKey: string } }>(
      env.url,
      `mutation { createAccount(input: { name: "other" }) { apiKey } }`,
    );
    expect(codeOf(await gqlRaw(env.url, LINK_CHALLENGE, { w: address }, other.apiKey))?.code).toBe(
      'WALLET_TAKEN',
    );
  });

  it('refuses a replayed signature, even when both copies arrive at once', async () => {
    const wallet = Keypair.generate();
    const { message } = await challenge(wallet);
    const signature = sign(wallet, message);
    const both = await Promise.all([1, 2].map(() => signIn(wallet.publicKey.toBase58(), message, signature)));
    expect(both.filter((r) => r.data?.walletSignIn).length).toBe(1);
    expect(codeOf(both.find((r) => r.errors)!)).toMatchObject({ code: 'WALLET_CHALLENGE_USED' });

    const later = await signIn(wallet.publicKey.toBase58(), message, signature);
    expect(codeOf(later)).toMatchObject({ code: 'WALLET_CHALLENGE_USED' });
    expect(later.errors?.[0].message).toMatch(/used to sign in already/);
  });

  it('refuses an expired message', async () => {
    const wallet = Keypair.generate();
    const { message, nonce } = await challenge(wallet);
    await db.query(`UPDATE wallet_challenge SET expires_at = now() - interval '1 second' WHERE nonce = $1`, [
      nonce,
    ]);
    const result = await signIn(wallet.publicKey.toBase58(), message, sign(wallet, message));
    expect(codeOf(result)).toMatchObject({ code: 'WALLET_CHALLENGE_EXPIRED' });
    expect(result.errors?.[0].message).toMatch(/expired at .*ask for a new one/);
  });

  it('refuses a signature by another wallet, and the right one still works afterwards', async () => {
    const wallet = Keypair.generate();
    const thief = Keypair.generate();
    const { message } = await challenge(wallet);
    const wrong = await signIn(wallet.publicKey.toBase58(), message, sign(thief, message));
    expect(codeOf(wrong)).toEqual({ code: 'WALLET_SIGNATURE_INVALID', field: 'signature' });

    const right = await signIn(wallet.publicKey.toBase58(), message, sign(wallet, message));
    expect(right.data?.walletSignIn.account.wallet).toBe(wallet.publicKey.toBase58());
  });

  it("refuses a message issued to another wallet, even signed by the sender's own", async () => {
    const victim = Keypair.generate();
    const thief = Keypair.generate();
    const { message } = await challenge(victim);
    const result = await signIn(thief.publicKey.toBase58(), message, sign(thief, message));
    expect(codeOf(result)).toEqual({ code: 'WALLET_CHALLENGE_MISMATCH', field: 'message' });
  });

  it('refuses a message that differs from the one issued, and one never issued', async () => {
    const wallet = Keypair.generate();
    const { message } = await challenge(wallet);
    const edited = message.replace(/Expiration Time: .*$/, 'Expiration Time: 2099-01-01T00:00:00.000Z');
    expect(codeOf(await signIn(wallet.publicKey.toBase58(), edited, sign(wallet, edited)))).toEqual({
      code: 'WALLET_CHALLENGE_MISMATCH',
      field: 'message',
    });

    const forged = message.replace(/Nonce: \w+/, `Nonce: ${'a'.repeat(32)}`);
    expect(codeOf(await signIn(wallet.publicKey.toBase58(), forged, sign(wallet, forged)))).toEqual({
      code: 'WALLET_CHALLENGE_NOT_FOUND',
      field: 'message',
    });
    const prose = 'please let me in';
    expect(codeOf(await signIn(wallet.publicKey.toBase58(), prose, sign(wallet, prose)))).toMatchObject({
      code: 'WALLET_CHALLENGE_NOT_FOUND',
    });
  });

  it.each([
    ['not base58', '0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl'],
    ['too short to be a key', '3yZe7d'],
    ['empty', ''],
  ])('refuses a wallet that is %s, naming the field', async (_what, wallet) => {
    const result = await gqlRaw(env.url, CHALLENGE, { w: wallet });
    expect(codeOf(result)).toEqual({ code: 'BAD_INPUT', field: 'wallet' });
    expect(result.errors?.[0].message).toMatch(/base58 ed25519 public key \(32 bytes\)/);
  });

  it('refuses a signature that is not 64 base58-encoded bytes, naming the field', async () => {
    const wallet = Keypair.generate();
    const { message } = await challenge(wallet);
    for (const signature of ['', 'not base58 at all!', bs58.encode(Buffer.alloc(32, 1))]) {
      expect(codeOf(await signIn(wallet.publicKey.toBase58(), message, signature))).toEqual({
        code: 'BAD_INPUT',
        field: 'signature',
      });
    }
  });
});
