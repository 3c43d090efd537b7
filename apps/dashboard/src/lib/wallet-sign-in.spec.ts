import bs58 from 'bs58';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import {
  findWallet,
  linkWalletToAccount,
  signInWithWallet,
  walletName,
  WalletSignInError,
  type SolanaWallet,
} from './wallet-sign-in';

const ADDRESS = '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU';
const MESSAGE = `127.0.0.1 wants you to sign in with your Solana account:\n${ADDRESS}\n\nSign in…`;
const SIGNATURE = Uint8Array.from({ length: 64 }, (_, i) => i + 1);

function fakeWallet(overrides: Partial<SolanaWallet> = {}): SolanaWallet & { signed: Uint8Array[] } {
  const signed: Uint8Array[] = [];
  return {
    signed,
    isPhantom: true,
    publicKey: null,
    connect: async () => ({ publicKey: { toBase58: () => ADDRESS, toString: () => ADDRESS } }),
    signMessage: async (message: Uint8Array) => {
      signed.push(message);
      return { signature: SIGNATURE };
    },
    ...overrides,
  };
}

function fakeApi(answers: { signIn?: () => unknown } = {}) {
  const calls: { query: string; variables: Record<string, unknown> }[] = [];
  const request = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    calls.push({ query, variables });
    if (query.includes('linkWallet')) return { linkWallet: { id: 'a', wallet: ADDRESS } } as T;
    if (query.includes('walletChallenge')) {
      return { walletChallenge: { wallet: ADDRESS, message: MESSAGE, nonce: 'n', expiresAt: '' } } as T;
    }
    return (answers.signIn?.() ?? {
      walletSignIn: {
        apiKey: 'tsk_new',
        created: true,
        account: { id: 'a', name: '7xKX…gAsU', wallet: ADDRESS },
      },
    }) as T;
  };
  return { calls, request };
}

describe('wallet sign-in', () => {
  it("finds Phantom's provider first, then window.solana, and nothing that cannot sign messages", () => {
    const phantom = fakeWallet();
    const other = fakeWallet({ isPhantom: false });
    expect(findWallet({ phantom: { solana: phantom }, solana: other })).toBe(phantom);
    expect(findWallet({ solana: other })).toBe(other);
    expect(findWallet({ solana: { connect: async () => undefined } })).toBeNull();
    expect(findWallet({})).toBeNull();
    expect(findWallet(undefined)).toBeNull();
    expect(walletName(phantom)).toBe('Phantom');
    expect(walletName(other)).toBe('your Solana wallet');
  });

  it("signs the coordinator's message byte for byte and sends the signature back in base58", async () => {
    const wallet = fakeWallet();
    const api = fakeApi();
    const steps: string[] = [];
    const result = await signInWithWallet(wallet, api.request, (s) => steps.push(s));

    expect(result.apiKey).toBe('tsk_new');
    expect(steps).toEqual(['connecting', 'signing', 'checking']);
    expect(api.calls[0].variables).toEqual({ wallet: ADDRESS });
    expect(new TextDecoder().decode(wallet.signed[0])).toBe(MESSAGE);
    expect(api.calls[1].variables).toEqual({
      wallet: ADDRESS,
      message: MESSAGE,
      signature: bs58.encode(SIGNATURE),
    });
  });

  it('links a wallet with a link message: the same signing, sent to linkWallet', async () => {
    const wallet = fakeWallet();
    const api = fakeApi();
    expect(await linkWalletToAccount(wallet, api.request)).toBe(ADDRESS);
    expect(api.calls[0].variables).toEqual({ wallet: ADDRESS, link: true });
    expect(api.calls[1].query).toContain('linkWallet');
    expect(api.calls[1].variables).toEqual({
      wallet: ADDRESS,
      message: MESSAGE,
      signature: bs58.encode(SIGNATURE),
    });
  });

  it('takes the address from the provider when connect() answers nothing, and a bare signature too', async () => {
    const wallet = fakeWallet({
      connect: async () => undefined,
      publicKey: { toString: () => ADDRESS },
      signMessage: async () => SIGNATURE,
    });
    const api = fakeApi();
    await signInWithWallet(wallet, api.request);
    expect(api.calls[1].variables.signature).toBe(bs58.encode(SIGNATURE));
  });

  it('says so when the user declines in the wallet, and asks the coordinator nothing more', async () => {
    const wallet = fakeWallet({
      signMessage: async () => {
        throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
      },
    });
    const api = fakeApi();
    const failure = signInWithWallet(wallet, api.request);
    await expect(failure).rejects.toBeInstanceOf(WalletSignInError);
    await expect(failure).rejects.toMatchObject({
      reason: 'rejected',
      message: expect.stringMatching(/declined/),
    });
    expect(api.calls).toHaveLength(1);
  });

  it('refuses a wallet that shares no address or returns no signature', async () => {
    const noAddress = fakeWallet({ connect: async () => undefined, publicKey: null });
    await expect(signInWithWallet(noAddress, fakeApi().request)).rejects.toMatchObject({
      reason: 'no-address',
    });
    const noSignature = fakeWallet({ signMessage: async () => new Uint8Array(3) });
    await expect(signInWithWallet(noSignature, fakeApi().request)).rejects.toMatchObject({
      reason: 'bad-signature',
    });
  });

  it("passes the coordinator's refusal through as it worded it", async () => {
    const refusal = new ApiError(
      'WALLET_CHALLENGE_EXPIRED',
      'WALLET_CHALLENGE_EXPIRED: that message expired',
    );
    const api = fakeApi({
      signIn: () => {
        throw refusal;
      },
    });
    await expect(signInWithWallet(fakeWallet(), api.request)).rejects.toBe(refusal);
  });
});
