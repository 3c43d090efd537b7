import bs58 from 'bs58';

/** Little-endian reads over instruction data; any read past the end throws, so a parser gives up. */
export class ByteReader {
  private offset = 0;

  constructor(private readonly data: Buffer) {}

  get remaining(): number {
    return this.data.length - this.offset;
  }

  u8(): number {
    return this.take(1).readUInt8(0);
  }

  u32(): number {
    return this.take(4).readUInt32LE(0);
  }

  u64(): bigint {
    return this.take(8).readBigUInt64LE(0);
  }

  pubkey(): string {
    return bs58.encode(this.take(32));
  }

  /** SPL Token's COption<Pubkey> in instruction data: a one-byte tag, then the key when set. */
  optionalPubkey(): string | null {
    return this.u8() === 1 ? this.pubkey() : null;
  }

  /** Bincode's String: a u64 length, then UTF-8. */
  string(): string {
    return this.take(Number(this.u64())).toString('utf8');
  }

  rest(): Buffer {
    return this.take(this.remaining);
  }

  private take(length: number): Buffer {
    if (length < 0 || this.offset + length > this.data.length)
      throw new RangeError('instruction data too short');
    const slice = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}

/** What a program parser returns: devnet's `{type, info}`. */
export interface ParsedInfo {
  type: string;
  info: Record<string, unknown>;
}
