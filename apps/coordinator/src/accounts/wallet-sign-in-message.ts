/**
 * The text a wallet signs to sign in, in the shape of Sign-In With Solana (which follows EIP-4361):
 * a wallet shows the domain asking and can warn when it is not the site in front of the user; the
 * nonce makes each message good for one sign-in; the times bound how long it may wait. The
 * coordinator stores every message it issues and accepts only that exact text back, so parsing is
 * needed only to find the nonce (and to test that building and reading agree).
 */
export interface SignInMessageFields {
  /** Host (and port) of the coordinator asking, e.g. `tessera.example.com` or `127.0.0.1:8080`. */
  domain: string;
  /** Base58 address of the wallet that is to sign. */
  wallet: string;
  statement: string;
  /** The coordinator's origin, e.g. `https://tessera.example.com`. */
  uri: string;
  /** `mainnet`, `devnet` or `localnet`, as Sign-In With Solana names clusters. */
  chainId: string;
  nonce: string;
  issuedAt: Date;
  expiresAt: Date;
}

export const SIGN_IN_STATEMENT =
  'Sign in to Tessera. This gives this browser an API key for your account; it moves no tokens.';

/** The statement of a message that links a wallet to an existing account (linkWallet). */
export function linkStatement(accountId: string): string {
  return `Link this wallet to Tessera account ${accountId}: it can then sign in to that account. It moves no tokens.`;
}

export function buildSignInMessage(f: SignInMessageFields): string {
  return [
    `${f.domain} wants you to sign in with your Solana account:`,
    f.wallet,
    '',
    f.statement,
    '',
    `URI: ${f.uri}`,
    'Version: 1',
    `Chain ID: ${f.chainId}`,
    `Nonce: ${f.nonce}`,
    `Issued At: ${f.issuedAt.toISOString()}`,
    `Expiration Time: ${f.expiresAt.toISOString()}`,
  ].join('\n');
}

const MESSAGE =
  /^(?<domain>[^\s/]+) wants you to sign in with your Solana account:\n(?<wallet>[1-9A-HJ-NP-Za-km-z]{32,44})\n\n(?<statement>[^\n]+)\n\nURI: (?<uri>\S+)\nVersion: 1\nChain ID: (?<chainId>[a-z]+)\nNonce: (?<nonce>[A-Za-z0-9]{8,64})\nIssued At: (?<issuedAt>\S+)\nExpiration Time: (?<expiresAt>\S+)$/;

/** The fields of a message in the shape buildSignInMessage writes; null for anything else. */
export function parseSignInMessage(text: string): SignInMessageFields | null {
  const g = MESSAGE.exec(text)?.groups;
  if (!g) return null;
  const issuedAt = new Date(g.issuedAt);
  const expiresAt = new Date(g.expiresAt);
  if (Number.isNaN(issuedAt.getTime()) || Number.isNaN(expiresAt.getTime())) return null;
  return {
    domain: g.domain,
    wallet: g.wallet,
    statement: g.statement,
    uri: g.uri,
    chainId: g.chainId,
    nonce: g.nonce,
    issuedAt,
    expiresAt,
  };
}

/** Sign-In With Solana's names for the clusters the coordinator knows. */
export function signInChainId(cluster: string): string {
  switch (cluster) {
    case 'mainnet-beta':
      return 'mainnet';
    case 'local':
      return 'localnet';
    default:
      return cluster;
  }
}

/** "7xKX…sAsU": how a wallet names an account it opened. */
export function shortWallet(wallet: string): string {
  return wallet.length > 10 ? `${wallet.slice(0, 4)}…${wallet.slice(-4)}` : wallet;
}
