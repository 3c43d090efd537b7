import { Ed25519Keypair, isAddress, verifyEd25519 } from './keypair';

describe('Ed25519Keypair', () => {
  it('signs messages that verify against its base58 address', () => {
    const sut = Ed25519Keypair.generate();
    const message = Buffer.from('tessera-auth:v1:nonce');
    expect(verifyEd25519(sut.address, message, sut.sign(message))).toBe(true);
  });

  it('rejects a signature over another message or by another key', () => {
    const sut = Ed25519Keypair.generate();
    const other = Ed25519Keypair.generate();
    const signature = sut.sign(Buffer.from('a'));
    expect(verifyEd25519(sut.address, Buffer.from('b'), signature)).toBe(false);
    expect(verifyEd25519(other.address, Buffer.from('a'), signature)).toBe(false);
  });

  it('round-trips through the 64-byte Solana secret key layout', () => {
    const sut = Ed25519Keypair.generate();
    const restored = Ed25519Keypair.fromSecretKey(sut.secretKey);
    expect(restored.address).toBe(sut.address);
    expect(sut.secretKey).toHaveLength(64);
  });

  it('derives the RFC 8032 test vector public key from its seed', () => {
    // RFC 8032 section 7.1, TEST 1.
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
    const sut = Ed25519Keypair.fromSeed(seed);
    expect(sut.publicKey.toString('hex')).toBe(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    );
    expect(sut.sign(Buffer.alloc(0)).toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
  });

  it('refuses a secret key whose public half does not match', () => {
    const secret = Buffer.from(Ed25519Keypair.generate().secretKey);
    secret[40] ^= 0xff;
    expect(() => Ed25519Keypair.fromSecretKey(secret)).toThrow(/corrupt/);
  });

  it('treats malformed addresses and signatures as invalid, not as errors', () => {
    expect(verifyEd25519('not-base58-0OIl', Buffer.from('a'), Buffer.alloc(64))).toBe(false);
    expect(verifyEd25519(Ed25519Keypair.generate().address, Buffer.from('a'), Buffer.alloc(3))).toBe(false);
    expect(isAddress('11111111111111111111111111111111')).toBe(true);
    expect(isAddress('abc')).toBe(false);
  });
});
