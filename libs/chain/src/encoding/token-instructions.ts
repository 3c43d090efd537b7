import { ByteReader, ParsedInfo } from './byte-reader';
import { uiTokenAmount } from './token-amount';

const AUTHORITY_TYPES = ['mintTokens', 'freezeAccount', 'accountOwner', 'closeAccount'];

/**
 * SPL Token instructions (and the same base instructions of Token-2022) in devnet's jsonParsed shape;
 * null when the data or the accounts do not fit, and for Token-2022 extension instructions.
 */
export function parseTokenInstruction(data: Buffer, accounts: string[]): ParsedInfo | null {
  try {
    return decode(new ByteReader(data), accounts);
  } catch {
    return null;
  }
}

function decode(read: ByteReader, accounts: string[]): ParsedInfo | null {
  const at = (position: number) => {
    const key = accounts[position];
    if (key === undefined) throw new RangeError('not enough accounts');
    return key;
  };
  /** Devnet refuses to parse an instruction with fewer accounts than it needs. */
  const need = (count: number) => at(count - 1);
  /** The authority, or a multisig and its signers when more accounts follow it. */
  const authority = (position: number, single: string, multisig: string) =>
    accounts.length > position + 1
      ? { [multisig]: at(position), signers: accounts.slice(position + 1) }
      : { [single]: at(position) };
  const amount = () => read.u64().toString();
  const checkedAmount = () => {
    const raw = read.u64();
    return uiTokenAmount(raw, read.u8());
  };
  const parsed = (type: string, info: Record<string, unknown>): ParsedInfo => ({ type, info });

  switch (read.u8()) {
    case 0: {
      need(2);
      const [decimals, mintAuthority, freezeAuthority] = [read.u8(), read.pubkey(), read.optionalPubkey()];
      return parsed('initializeMint', {
        mint: at(0),
        decimals,
        mintAuthority,
        rentSysvar: at(1),
        ...(freezeAuthority ? { freezeAuthority } : {}),
      });
    }
    case 1:
      need(4);
      return parsed('initializeAccount', { account: at(0), mint: at(1), owner: at(2), rentSysvar: at(3) });
    case 2:
      need(3);
      return parsed('initializeMultisig', {
        multisig: at(0),
        rentSysvar: at(1),
        signers: accounts.slice(2),
        m: read.u8(),
      });
    case 3:
      need(3);
      return parsed('transfer', {
        source: at(0),
        destination: at(1),
        amount: amount(),
        ...authority(2, 'authority', 'multisigAuthority'),
      });
    case 4:
      need(3);
      return parsed('approve', {
        source: at(0),
        delegate: at(1),
        amount: amount(),
        ...authority(2, 'owner', 'multisigOwner'),
      });
    case 5:
      need(2);
      return parsed('revoke', { source: at(0), ...authority(1, 'owner', 'multisigOwner') });
    case 6: {
      need(2);
      const authorityType = AUTHORITY_TYPES[read.u8()];
      if (!authorityType) return null;
      const owned = authorityType === 'mintTokens' || authorityType === 'freezeAccount' ? 'mint' : 'account';
      return parsed('setAuthority', {
        [owned]: at(0),
        authorityType,
        newAuthority: read.optionalPubkey(),
        ...authority(1, 'authority', 'multisigAuthority'),
      });
    }
    case 7:
      need(3);
      return parsed('mintTo', {
        mint: at(0),
        account: at(1),
        amount: amount(),
        ...authority(2, 'mintAuthority', 'multisigMintAuthority'),
      });
    case 8:
      need(3);
      return parsed('burn', {
        account: at(0),
        mint: at(1),
        amount: amount(),
        ...authority(2, 'authority', 'multisigAuthority'),
      });
    case 9:
      need(3);
      return parsed('closeAccount', {
        account: at(0),
        destination: at(1),
        ...authority(2, 'owner', 'multisigOwner'),
      });
    case 10:
      need(3);
      return parsed('freezeAccount', {
        account: at(0),
        mint: at(1),
        ...authority(2, 'freezeAuthority', 'multisigFreezeAuthority'),
      });
    case 11:
      need(3);
      return parsed('thawAccount', {
        account: at(0),
        mint: at(1),
        ...authority(2, 'freezeAuthority', 'multisigFreezeAuthority'),
      });
    case 12:
      need(4);
      return parsed('transferChecked', {
        source: at(0),
        mint: at(1),
        destination: at(2),
        tokenAmount: checkedAmount(),
        ...authority(3, 'authority', 'multisigAuthority'),
      });
    case 13:
      need(4);
      return parsed('approveChecked', {
        source: at(0),
        mint: at(1),
        delegate: at(2),
        tokenAmount: checkedAmount(),
        ...authority(3, 'owner', 'multisigOwner'),
      });
    case 14:
      need(3);
      return parsed('mintToChecked', {
        mint: at(0),
        account: at(1),
        tokenAmount: checkedAmount(),
        ...authority(2, 'mintAuthority', 'multisigMintAuthority'),
      });
    case 15:
      need(3);
      return parsed('burnChecked', {
        account: at(0),
        mint: at(1),
        tokenAmount: checkedAmount(),
        ...authority(2, 'authority', 'multisigAuthority'),
      });
    case 16:
      need(3);
      return parsed('initializeAccount2', {
        account: at(0),
        mint: at(1),
        owner: read.pubkey(),
        rentSysvar: at(2),
      });
    case 17:
      need(1);
      return parsed('syncNative', { account: at(0) });
    case 18:
      need(2);
      return parsed('initializeAccount3', { account: at(0), mint: at(1), owner: read.pubkey() });
    case 19:
      need(2);
      return parsed('initializeMultisig2', { multisig: at(0), signers: accounts.slice(1), m: read.u8() });
    case 20: {
      need(1);
      const [decimals, mintAuthority, freezeAuthority] = [read.u8(), read.pubkey(), read.optionalPubkey()];
      return parsed('initializeMint2', {
        mint: at(0),
        decimals,
        mintAuthority,
        ...(freezeAuthority ? { freezeAuthority } : {}),
      });
    }
    case 21:
      need(1);
      return parsed('getAccountDataSize', { mint: at(0) });
    case 22:
      need(1);
      return parsed('initializeImmutableOwner', { account: at(0) });
    case 23:
      need(1);
      return parsed('amountToUiAmount', { mint: at(0), amount: read.u64() });
    case 24:
      need(1);
      return parsed('uiAmountToAmount', { mint: at(0), uiAmount: read.rest().toString('utf8') });
    default:
      return null;
  }
}
