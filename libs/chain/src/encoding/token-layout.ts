import bs58 from 'bs58';
import { TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID } from '../constants';

// Byte layouts of SPL Token accounts (Token and the base of Token-2022). Token-2022 accounts with
// extensions are longer and carry an account-type byte at offset 165 (1 = mint, 2 = account).
const ACCOUNT_SIZE = 165;
const MINT_SIZE = 82;
const MULTISIG_SIZE = 355;
const ACCOUNT_TYPE_OFFSET = 165;

export type TokenAccountState = 'uninitialized' | 'initialized' | 'frozen';

export interface TokenAccountData {
  mint: string;
  owner: string;
  amount: bigint;
  delegate: string | null;
  state: TokenAccountState;
  /** The rent-exempt reserve of a wrapped-SOL account, null for other mints. */
  isNative: bigint | null;
  delegatedAmount: bigint;
  closeAuthority: string | null;
}

export interface MintData {
  mintAuthority: string | null;
  supply: bigint;
  decimals: number;
  isInitialized: boolean;
  freezeAuthority: string | null;
}

export interface MultisigData {
  numRequiredSigners: number;
  numValidSigners: number;
  isInitialized: boolean;
  signers: string[];
}

export function isTokenProgram(programId: string): boolean {
  return programId === TOKEN_PROGRAM_ID || programId === TOKEN_2022_PROGRAM_ID;
}

export function tokenAccountKind(data: Buffer): 'account' | 'mint' | 'multisig' | null {
  if (data.length === ACCOUNT_SIZE) return 'account';
  if (data.length === MINT_SIZE) return 'mint';
  if (data.length === MULTISIG_SIZE) return 'multisig';
  if (data.length > ACCOUNT_SIZE) {
    if (data[ACCOUNT_TYPE_OFFSET] === 2) return 'account';
    if (data[ACCOUNT_TYPE_OFFSET] === 1) return 'mint';
  }
  return null;
}

/** An initialized-or-frozen token account, or null when `data` is not one. */
export function decodeTokenAccount(data: Buffer): TokenAccountData | null {
  if (tokenAccountKind(data) !== 'account') return null;
  const state = (['uninitialized', 'initialized', 'frozen'] as const)[data[108]];
  if (!state || state === 'uninitialized') return null;
  return {
    mint: key(data, 0),
    owner: key(data, 32),
    amount: data.readBigUInt64LE(64),
    delegate: optionalKey(data, 72),
    state,
    isNative: data.readUInt32LE(109) === 1 ? data.readBigUInt64LE(113) : null,
    delegatedAmount: data.readBigUInt64LE(121),
    closeAuthority: optionalKey(data, 129),
  };
}

/** An initialized mint, or null. */
export function decodeMint(data: Buffer): MintData | null {
  if (tokenAccountKind(data) !== 'mint' || data[45] !== 1) return null;
  return {
    mintAuthority: optionalKey(data, 0),
    supply: data.readBigUInt64LE(36),
    decimals: data[44],
    isInitialized: true,
    freezeAuthority: optionalKey(data, 46),
  };
}

export function decodeMultisig(data: Buffer): MultisigData | null {
  if (tokenAccountKind(data) !== 'multisig' || data[2] !== 1) return null;
  const numValidSigners = data[1];
  const signers: string[] = [];
  for (let i = 0; i < numValidSigners; i++) signers.push(key(data, 3 + 32 * i));
  return { numRequiredSigners: data[0], numValidSigners, isInitialized: true, signers };
}

function key(data: Buffer, offset: number): string {
  return bs58.encode(data.subarray(offset, offset + 32));
}

/** A COption<Pubkey>: a u32 tag, then the key. */
function optionalKey(data: Buffer, offset: number): string | null {
  return data.readUInt32LE(offset) === 1 ? key(data, offset + 4) : null;
}
