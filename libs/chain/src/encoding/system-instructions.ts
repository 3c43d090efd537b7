import { ByteReader, ParsedInfo } from './byte-reader';

type Accounts = (position: number) => string;

/** System program instructions in devnet's jsonParsed shape, or null when they do not decode. */
export function parseSystemInstruction(data: Buffer, accounts: string[]): ParsedInfo | null {
  const read = new ByteReader(data);
  const at: Accounts = (position) => {
    const key = accounts[position];
    if (key === undefined) throw new RangeError('not enough accounts');
    return key;
  };
  try {
    return decode(read, at);
  } catch {
    return null;
  }
}

function decode(read: ByteReader, at: Accounts): ParsedInfo | null {
  switch (read.u32()) {
    case 0: {
      const [lamports, space, owner] = [read.u64(), read.u64(), read.pubkey()];
      return { type: 'createAccount', info: { source: at(0), newAccount: at(1), lamports, space, owner } };
    }
    case 1:
      return { type: 'assign', info: { account: at(0), owner: read.pubkey() } };
    case 2:
      return { type: 'transfer', info: { source: at(0), destination: at(1), lamports: read.u64() } };
    case 3: {
      const [base, seed, lamports, space, owner] = [
        read.pubkey(),
        read.string(),
        read.u64(),
        read.u64(),
        read.pubkey(),
      ];
      return {
        type: 'createAccountWithSeed',
        info: { source: at(0), newAccount: at(1), base, seed, lamports, space, owner },
      };
    }
    case 4:
      return {
        type: 'advanceNonce',
        info: { nonceAccount: at(0), recentBlockhashesSysvar: at(1), nonceAuthority: at(2) },
      };
    case 5:
      return {
        type: 'withdrawFromNonce',
        info: {
          nonceAccount: at(0),
          destination: at(1),
          recentBlockhashesSysvar: at(2),
          rentSysvar: at(3),
          nonceAuthority: at(4),
          lamports: read.u64(),
        },
      };
    case 6:
      return {
        type: 'initializeNonce',
        info: {
          nonceAccount: at(0),
          recentBlockhashesSysvar: at(1),
          rentSysvar: at(2),
          nonceAuthority: read.pubkey(),
        },
      };
    case 7:
      return {
        type: 'authorizeNonce',
        info: { nonceAccount: at(0), nonceAuthority: at(1), newAuthorized: read.pubkey() },
      };
    case 8:
      return { type: 'allocate', info: { account: at(0), space: read.u64() } };
    case 9: {
      const [base, seed, space, owner] = [read.pubkey(), read.string(), read.u64(), read.pubkey()];
      return { type: 'allocateWithSeed', info: { account: at(0), base, seed, space, owner } };
    }
    case 10: {
      const [base, seed, owner] = [read.pubkey(), read.string(), read.pubkey()];
      return { type: 'assignWithSeed', info: { account: at(0), base, seed, owner } };
    }
    case 11: {
      const [lamports, sourceSeed, sourceOwner] = [read.u64(), read.string(), read.pubkey()];
      return {
        type: 'transferWithSeed',
        info: { source: at(0), sourceBase: at(1), destination: at(2), lamports, sourceSeed, sourceOwner },
      };
    }
    case 12:
      return { type: 'upgradeNonce', info: { nonceAccount: at(0) } };
    default:
      return null;
  }
}
