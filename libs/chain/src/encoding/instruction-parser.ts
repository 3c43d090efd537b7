import bs58 from 'bs58';
import {
  ASSOCIATED_TOKEN_PROGRAM_ID,
  SYSTEM_PROGRAM_ID,
  TOKEN_2022_PROGRAM_ID,
  TOKEN_PROGRAM_ID,
} from '../constants';
import { ParsedInfo } from './byte-reader';
import { isMemoProgram, memoText } from './memo';
import { parseSystemInstruction } from './system-instructions';
import { parseTokenInstruction } from './token-instructions';

export interface UiParsedInstruction {
  program: string;
  programId: string;
  parsed: ParsedInfo | string;
  stackHeight: number | null;
}

export interface UiPartiallyDecodedInstruction {
  programId: string;
  accounts: string[];
  data: string;
  stackHeight: number | null;
}

export type UiInstruction = UiParsedInstruction | UiPartiallyDecodedInstruction;

/**
 * One instruction as devnet's jsonParsed encoding shows it: parsed for the System, SPL Token,
 * Token-2022 (base instructions), Associated Token Account and Memo programs, otherwise the program,
 * its account addresses and base58 data.
 */
export function parseInstruction(
  instruction: { programIdIndex: number; accounts: number[]; data: Buffer },
  accountKeys: readonly string[],
  stackHeight: number | null,
): UiInstruction {
  const programId = accountKeys[instruction.programIdIndex];
  const accounts = instruction.accounts.map((index) => accountKeys[index]);
  const parsed = parseFor(programId, instruction.data, accounts);
  if (parsed) return { ...parsed, programId, stackHeight };
  return { programId, accounts, data: bs58.encode(instruction.data), stackHeight };
}

function parseFor(
  programId: string,
  data: Buffer,
  accounts: string[],
): { program: string; parsed: ParsedInfo | string } | null {
  const named = (program: string, parsed: ParsedInfo | string | null) =>
    parsed === null ? null : { program, parsed };
  if (programId === SYSTEM_PROGRAM_ID) return named('system', parseSystemInstruction(data, accounts));
  if (programId === TOKEN_PROGRAM_ID) return named('spl-token', parseTokenInstruction(data, accounts));
  if (programId === TOKEN_2022_PROGRAM_ID)
    return named('spl-token-2022', parseTokenInstruction(data, accounts));
  if (programId === ASSOCIATED_TOKEN_PROGRAM_ID) {
    return named('spl-associated-token-account', parseAssociatedTokenInstruction(data, accounts));
  }
  if (isMemoProgram(programId)) return named('spl-memo', memoText(data));
  return null;
}

function parseAssociatedTokenInstruction(data: Buffer, accounts: string[]): ParsedInfo | null {
  // An empty instruction is the original `create`; otherwise one byte picks the instruction.
  const kind = data.length === 0 ? 0 : data.length === 1 ? data[0] : -1;
  if (kind === 0 || kind === 1) {
    if (accounts.length < 6) return null;
    const [source, account, wallet, mint, systemProgram, tokenProgram] = accounts;
    return {
      type: kind === 0 ? 'create' : 'createIdempotent',
      info: { source, account, wallet, mint, systemProgram, tokenProgram },
    };
  }
  if (kind === 2) {
    if (accounts.length < 7) return null;
    const [nestedSource, nestedMint, destination, nestedOwner, ownerMint, wallet, tokenProgram] = accounts;
    return {
      type: 'recoverNested',
      info: { nestedSource, nestedMint, destination, nestedOwner, ownerMint, wallet, tokenProgram },
    };
  }
  return null;
}
