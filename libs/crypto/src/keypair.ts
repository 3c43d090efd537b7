import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import bs58 from 'bs58';

// DER prefixes that wrap raw ed25519 key bytes so node:crypto can use them (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * An ed25519 keypair in Solana's layout: the 64-byte secret key is seed (32) followed by public key
 * (32), which is exactly what `solana-keygen` writes as a JSON array. Providers use it to
 * authenticate to the coordinator and, later, to receive SPL-token payouts at the same address.
 */
export class Ed25519Keypair {
  private constructor(
    private readonly seed: Buffer,
    readonly publicKey: Buffer,
    private readonly privateKey: KeyObject,
  ) {}

  static generate(): Ed25519Keypair {
    const { privateKey } = generateKeyPairSync('ed25519');
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    return Ed25519Keypair.fromSeed(der.subarray(der.length - 32));
  }

  static fromSeed(seed: Uint8Array): Ed25519Keypair {
    if (seed.length !== 32) throw new Error(`an ed25519 seed is 32 bytes, got ${seed.length}`);
    const privateKey = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    return new Ed25519Keypair(Buffer.from(seed), spki.subarray(spki.length - 32), privateKey);
  }

  /** Accepts Solana's 64-byte secret key; rejects it when the public half does not match the seed. */
  static fromSecretKey(secretKey: Uint8Array): Ed25519Keypair {
    if (secretKey.length !== 64) throw new Error(`a Solana secret key is 64 bytes, got ${secretKey.length}`);
    const keypair = Ed25519Keypair.fromSeed(secretKey.subarray(0, 32));
    if (!keypair.publicKey.equals(Buffer.from(secretKey.subarray(32)))) {
      throw new Error('the secret key is corrupt: its public half does not match its seed');
    }
    return keypair;
  }

  /** The address, base58 as Solana prints it. */
  get address(): string {
    return bs58.encode(this.publicKey);
  }

  get secretKey(): Uint8Array {
    return Buffer.concat([this.seed, this.publicKey]);
  }

  sign(message: Uint8Array): Buffer {
    return sign(null, message, this.privateKey);
  }
}

/** Verifies an ed25519 signature by a base58 address; false (never a throw) for malformed input. */
export function verifyEd25519(address: string, message: Uint8Array, signature: Uint8Array): boolean {
  let publicKey: Uint8Array;
  try {
    publicKey = bs58.decode(address);
  } catch {
    return false;
  }
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

export function isAddress(value: string): boolean {
  try {
    return bs58.decode(value).length === 32;
  } catch {
    return false;
  }
}
