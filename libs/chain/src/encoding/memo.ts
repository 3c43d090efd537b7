import { MEMO_PROGRAM_ID, MEMO_V1_PROGRAM_ID } from '../constants';

export function isMemoProgram(programId: string): boolean {
  return programId === MEMO_PROGRAM_ID || programId === MEMO_V1_PROGRAM_ID;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The memo text, or null when the bytes are not UTF-8 (the Memo program refuses those too). */
export function memoText(data: Uint8Array): string | null {
  try {
    return utf8.decode(data);
  } catch {
    return null;
  }
}

/** A transaction's top-level memos as getSignaturesForAddress shows them: `[len] text; [len] text`. */
export function formatMemos(
  instructions: ReadonlyArray<{ programIdIndex: number; data: Uint8Array }>,
  accountKeys: readonly string[],
): string | null {
  const memos = instructions
    .filter((ix) => isMemoProgram(accountKeys[ix.programIdIndex]))
    .map((ix) => `[${ix.data.length}] ${memoText(ix.data) ?? '(unparseable)'}`);
  return memos.length > 0 ? memos.join('; ') : null;
}
