import { COMPUTE_BUDGET_PROGRAM_ID, LAMPORTS_PER_SIGNATURE, SYSTEM_PROGRAM_ID } from '../constants';

const MAX_COMPUTE_UNIT_LIMIT = 1_400_000;
const DEFAULT_INSTRUCTION_COMPUTE_UNITS = 200_000;
const BUILTIN_INSTRUCTION_COMPUTE_UNITS = 3_000;
const MICRO_LAMPORTS_PER_LAMPORT = 1_000_000n;

/** Programs that run natively; without an explicit limit each reserves 3,000 CUs instead of 200,000. */
const BUILTINS = new Set([
  SYSTEM_PROGRAM_ID,
  COMPUTE_BUDGET_PROGRAM_ID,
  'Vote111111111111111111111111111111111111111',
  'BPFLoader1111111111111111111111111111111111',
  'BPFLoader2111111111111111111111111111111111',
  'BPFLoaderUpgradeab1e11111111111111111111111',
  'LoaderV411111111111111111111111111111111111',
]);

export interface FeeInput {
  numRequiredSignatures: number;
  instructions: ReadonlyArray<{ programId: string; data: Uint8Array }>;
}

/**
 * The fee a cluster charges: 5,000 lamports per signature plus the priority fee,
 * ceil(compute-unit price × compute-unit limit / 10^6). Checked against what LiteSVM deducts.
 */
export function transactionFee({ numRequiredSignatures, instructions }: FeeInput): bigint {
  let price = 0n;
  let limit: number | undefined;
  let reserved = 0;
  for (const { programId, data } of instructions) {
    reserved += BUILTINS.has(programId)
      ? BUILTIN_INSTRUCTION_COMPUTE_UNITS
      : DEFAULT_INSTRUCTION_COMPUTE_UNITS;
    if (programId !== COMPUTE_BUDGET_PROGRAM_ID || data.length === 0) continue;
    const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (data[0] === 2 && data.length >= 5) limit = view.readUInt32LE(1);
    if (data[0] === 3 && data.length >= 9) price = view.readBigUInt64LE(1);
  }
  const units = BigInt(Math.min(limit ?? reserved, MAX_COMPUTE_UNIT_LIMIT));
  const priority = (price * units + MICRO_LAMPORTS_PER_LAMPORT - 1n) / MICRO_LAMPORTS_PER_LAMPORT;
  return BigInt(numRequiredSignatures * LAMPORTS_PER_SIGNATURE) + priority;
}

/** The fee of a compiled transaction or message, from its header and instructions. */
export function feeOf(message: {
  header: { numRequiredSignatures: number };
  accountKeys: readonly string[];
  instructions: ReadonlyArray<{ programIdIndex: number; data: Uint8Array }>;
}): bigint {
  return transactionFee({
    numRequiredSignatures: message.header.numRequiredSignatures,
    instructions: message.instructions.map((ix) => ({
      programId: message.accountKeys[ix.programIdIndex],
      data: ix.data,
    })),
  });
}
