import bs58 from 'bs58';
import {
  LINK_WALLET,
  WALLET_CHALLENGE,
  WALLET_SIGN_IN,
  type WalletChallengeView,
  type WalletSignInView,
} from '../api/operations';

/**
 * The injected Solana wallet API (Phantom's, which Solflare, Backpack and others copy):
 * `connect()` asks the user to share the address, `signMessage(bytes)` to sign bytes with it.
 */
export interface SolanaWallet {
  isPhantom?: boolean;
  publicKey?: PublicKeyLike | null;
  connect(): Promise<{ publicKey?: PublicKeyLike | null } | void>;
  signMessage(message: Uint8Array, display?: 'utf8' | 'hex'): Promise<{ signature: Uint8Array } | Uint8Array>;
}

interface PublicKeyLike {
  toBase58?: () => string;
  toString(): string;
}

export interface WalletHost {
  phantom?: { solana?: unknown };
  solana?: unknown;
}

function isWallet(candidate: unknown): candidate is SolanaWallet {
  const w = candidate as Partial<SolanaWallet> | null | undefined;
  return typeof w?.connect === 'function' && typeof w.signMessage === 'function';
}

/** The browser's Solana wallet: Phantom's own name for it first, then the common `window.solana`. */
export function findWallet(host: WalletHost | undefined): SolanaWallet | null {
  if (!host) return null;
  if (isWallet(host.phantom?.solana)) return host.phantom.solana;
  if (isWallet(host.solana)) return host.solana;
  return null;
}

export function walletName(wallet: SolanaWallet): string {
  return wallet.isPhantom ? 'Phantom' : 'your Solana wallet';
}

/** What a sign-in needs of the API: the dashboard passes an anonymous GraphQLClient's request. */
export type Request = <T>(query: string, variables: Record<string, unknown>) => Promise<T>;

export type WalletStep = 'connecting' | 'signing' | 'checking';

/** Why a wallet sign-in stopped, in words the user can act on. */
export class WalletSignInError extends Error {
  constructor(
    readonly reason: 'rejected' | 'no-address' | 'bad-signature' | 'wallet',
    message: string,
  ) {
    super(message);
    this.name = 'WalletSignInError';
  }
}

/**
 * Connect → ask the coordinator for a one-time message → have the wallet sign its UTF-8 bytes →
 * hand the base58 signature back for a new API key. Errors of the coordinator's (ApiError) pass
 * through unchanged; the wallet's own become a WalletSignInError.
 */
export async function signInWithWallet(
  wallet: SolanaWallet,
  request: Request,
  onStep: (step: WalletStep) => void = () => {},
): Promise<WalletSignInView> {
  const signed = await connectAndSign(wallet, request, onStep, false);
  const { walletSignIn } = await request<{ walletSignIn: WalletSignInView }>(WALLET_SIGN_IN, signed);
  return walletSignIn;
}

/**
 * The same steps with a link message, signed in (`request` sends the account's key): the wallet is
 * linked to the account, which can then sign in with it. Returns the wallet's address.
 */
export async function linkWalletToAccount(
  wallet: SolanaWallet,
  request: Request,
  onStep: (step: WalletStep) => void = () => {},
): Promise<string> {
  const signed = await connectAndSign(wallet, request, onStep, true);
  const { linkWallet } = await request<{ linkWallet: { wallet: string } }>(LINK_WALLET, signed);
  return linkWallet.wallet;
}

async function connectAndSign(
  wallet: SolanaWallet,
  request: Request,
  onStep: (step: WalletStep) => void,
  link: boolean,
): Promise<{ wallet: string; message: string; signature: string }> {
  onStep('connecting');
  const connected = await fromWallet(() => wallet.connect());
  const publicKey = (connected && connected.publicKey) || wallet.publicKey;
  const address = publicKey ? (publicKey.toBase58?.() ?? publicKey.toString()) : '';
  if (!address) {
    throw new WalletSignInError(
      'no-address',
      'The wallet did not share an address; unlock it and try again.',
    );
  }
  const { walletChallenge } = await request<{ walletChallenge: WalletChallengeView }>(
    WALLET_CHALLENGE,
    link ? { wallet: address, link: true } : { wallet: address },
  );
  onStep('signing');
  const signed = await fromWallet(() =>
    wallet.signMessage(new TextEncoder().encode(walletChallenge.message), 'utf8'),
  );
  const bytes = signed instanceof Uint8Array ? signed : signed?.signature;
  if (!(bytes instanceof Uint8Array) || bytes.length !== 64) {
    throw new WalletSignInError('bad-signature', 'The wallet returned something that is not a signature.');
  }
  onStep('checking');
  return { wallet: address, message: walletChallenge.message, signature: bs58.encode(bytes) };
}

/** Runs a wallet call; a refusal by the user (EIP-1193 code 4001) reads as such. */
async function fromWallet<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown } | null;
    if (e?.code === 4001 || (typeof e?.message === 'string' && /reject|denied|cancel/i.test(e.message))) {
      throw new WalletSignInError('rejected', 'You declined in the wallet; nothing was signed.');
    }
    const detail = typeof e?.message === 'string' && e.message ? `: ${e.message}` : '';
    throw new WalletSignInError('wallet', `The wallet reported an error${detail}`);
  }
}
