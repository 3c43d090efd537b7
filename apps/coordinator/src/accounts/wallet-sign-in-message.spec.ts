import { Keypair } from '@solana/web3.js';
import { Ed25519Keypair, verifyEd25519 } from '@tessera/crypto';
import {
  buildSignInMessage,
  parseSignInMessage,
  shortWallet,
  SIGN_IN_STATEMENT,
  SignInMessageFields,
  signInChainId,
} from './wallet-sign-in-message';

const WALLET = Keypair.generate();
const FIELDS: SignInMessageFields = {
  domain: 'tessera.example.com',
  wallet: WALLET.publicKey.toBase58(),
  statement: SIGN_IN_STATEMENT,
  uri: 'https://tessera.example.com',
  chainId: 'devnet',
  nonce: '0123456789abcdef0123456789abcdef',
  issuedAt: new Date('2026-01-01T10:00:00.000Z'),
  expiresAt: new Date('2026-01-01T10:05:00.000Z'),
};

/** What a wallet's signMessage does: ed25519 over the UTF-8 bytes of the text. */
const walletSigns = (message: string, keypair = WALLET) =>
  Ed25519Keypair.fromSecretKey(keypair.secretKey).sign(new TextEncoder().encode(message));

describe('wallet sign-in messages', () => {
  it('reads back every field it wrote', () => {
    expect(parseSignInMessage(buildSignInMessage(FIELDS))).toEqual(FIELDS);
  });

  it('is laid out like Sign-In With Solana: domain and wallet first, then the statement and fields', () => {
    expect(buildSignInMessage(FIELDS)).toBe(
      [
        'tessera.example.com wants you to sign in with your Solana account:',
        FIELDS.wallet,
        '',
        SIGN_IN_STATEMENT,
        '',
        'URI: https://tessera.example.com',
        'Version: 1',
        'Chain ID: devnet',
        'Nonce: 0123456789abcdef0123456789abcdef',
        'Issued At: 2026-01-01T10:00:00.000Z',
        'Expiration Time: 2026-01-01T10:05:00.000Z',
      ].join('\n'),
    );
  });

  it('names the host with its port for a local coordinator', () => {
    const message = buildSignInMessage({ ...FIELDS, domain: '127.0.0.1:8080', uri: 'http://127.0.0.1:8080' });
    expect(parseSignInMessage(message)).toMatchObject({
      domain: '127.0.0.1:8080',
      uri: 'http://127.0.0.1:8080',
    });
  });

  it.each([
    ['an empty text', ''],
    ['a text with a line added', `${buildSignInMessage(FIELDS)}\nResources: x`],
    ['a text with Windows line ends', buildSignInMessage(FIELDS).replace(/\n/g, '\r\n')],
    ['a text whose wallet is not base58', buildSignInMessage({ ...FIELDS, wallet: '0OIl'.repeat(10) })],
    ['a text whose nonce is too short', buildSignInMessage({ ...FIELDS, nonce: 'abc' })],
    [
      'a text whose expiry is not a date',
      buildSignInMessage(FIELDS).replace(/Expiration Time: .*$/, 'Expiration Time: soon'),
    ],
  ])('refuses %s', (_what, text) => {
    expect(parseSignInMessage(text)).toBeNull();
  });

  it('is verified against the wallet that signed its UTF-8 bytes, and no other', () => {
    const message = buildSignInMessage(FIELDS);
    const bytes = Buffer.from(message, 'utf8');
    expect(verifyEd25519(FIELDS.wallet, bytes, walletSigns(message))).toBe(true);
    expect(verifyEd25519(FIELDS.wallet, bytes, walletSigns(message, Keypair.generate()))).toBe(false);
    const other = buildSignInMessage({ ...FIELDS, nonce: 'fedcba9876543210fedcba9876543210' });
    expect(verifyEd25519(FIELDS.wallet, bytes, walletSigns(other))).toBe(false);
  });

  it('names clusters as Sign-In With Solana does', () => {
    expect(signInChainId('mainnet-beta')).toBe('mainnet');
    expect(signInChainId('devnet')).toBe('devnet');
    expect(signInChainId('local')).toBe('localnet');
  });

  it('shortens a wallet to its first and last four characters', () => {
    expect(shortWallet('7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU')).toBe('7xKX…gAsU');
  });
});
