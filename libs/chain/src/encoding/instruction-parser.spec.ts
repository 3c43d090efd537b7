import {
  Keypair,
  PublicKey,
  SystemProgram,
  TransactionInstruction,
  TransactionMessage,
} from '@solana/web3.js';
import { MEMO_PROGRAM_ID } from '../constants';
import { splToken } from '../spl-token';
import { ParsedInfo } from './byte-reader';
import { parseInstruction, UiInstruction, UiParsedInstruction } from './instruction-parser';

const key = () => Keypair.generate().publicKey;
const payer = key();

/** Compiles one instruction the way a client would and parses it back as getParsedTransaction does. */
function parse(instruction: TransactionInstruction): UiInstruction {
  const message = new TransactionMessage({
    payerKey: payer,
    recentBlockhash: key().toBase58(),
    instructions: [instruction],
  }).compileToLegacyMessage();
  const [compiled] = message.compiledInstructions;
  const accountKeys = message.accountKeys.map((k) => k.toBase58());
  return parseInstruction(
    {
      programIdIndex: compiled.programIdIndex,
      accounts: compiled.accountKeyIndexes,
      data: Buffer.from(compiled.data),
    },
    accountKeys,
    null,
  );
}

describe('parseInstruction', () => {
  it('parses a system transfer and createAccount', () => {
    const to = key();
    expect(parse(SystemProgram.transfer({ fromPubkey: payer, toPubkey: to, lamports: 5_000n }))).toEqual({
      program: 'system',
      programId: SystemProgram.programId.toBase58(),
      parsed: {
        type: 'transfer',
        info: { source: payer.toBase58(), destination: to.toBase58(), lamports: 5_000n },
      },
      stackHeight: null,
    });
    const owner = key();
    expect(
      parse(
        SystemProgram.createAccount({
          fromPubkey: payer,
          newAccountPubkey: to,
          lamports: 10,
          space: 82,
          programId: owner,
        }),
      ),
    ).toMatchObject({
      program: 'system',
      parsed: {
        type: 'createAccount',
        info: {
          source: payer.toBase58(),
          newAccount: to.toBase58(),
          lamports: 10n,
          space: 82n,
          owner: owner.toBase58(),
        },
      },
    });
  });

  it('parses transferChecked with its token amount and a single authority', () => {
    const [source, mint, destination] = [key(), key(), key()];
    expect(
      parse(splToken.createTransferCheckedInstruction(source, mint, destination, payer, 2_500_000n, 6)),
    ).toEqual({
      program: 'spl-token',
      programId: splToken.TOKEN_PROGRAM_ID.toBase58(),
      parsed: {
        type: 'transferChecked',
        info: {
          source: source.toBase58(),
          mint: mint.toBase58(),
          destination: destination.toBase58(),
          authority: payer.toBase58(),
          tokenAmount: { amount: '2500000', decimals: 6, uiAmount: 2.5, uiAmountString: '2.5' },
        },
      },
      stackHeight: null,
    });
  });

  it('names a multisig authority and its signers', () => {
    const [source, destination, multisig, signerA, signerB] = [key(), key(), key(), key(), key()];
    const instruction = splToken.createTransferInstruction(source, destination, multisig, 7n, [
      signerA,
      signerB,
    ]);
    expect(parse(instruction)).toMatchObject({
      parsed: {
        type: 'transfer',
        info: {
          amount: '7',
          multisigAuthority: multisig.toBase58(),
          signers: [signerA.toBase58(), signerB.toBase58()],
        },
      },
    });
  });

  it('parses mint creation, minting and account initialization', () => {
    const [mint, account, owner, freeze] = [key(), key(), key(), key()];
    expect(parse(splToken.createInitializeMint2Instruction(mint, 6, payer, freeze))).toMatchObject({
      parsed: {
        type: 'initializeMint2',
        info: {
          mint: mint.toBase58(),
          decimals: 6,
          mintAuthority: payer.toBase58(),
          freezeAuthority: freeze.toBase58(),
        },
      },
    });
    // Without a freeze authority the field is absent, not null.
    const withoutFreeze = parse(splToken.createInitializeMint2Instruction(mint, 0, payer, null));
    expect(Object.keys((withoutFreeze as UiParsedInstruction & { parsed: ParsedInfo }).parsed.info)).toEqual([
      'mint',
      'decimals',
      'mintAuthority',
    ]);
    expect(parse(splToken.createMintToInstruction(mint, account, payer, 99n))).toMatchObject({
      parsed: {
        type: 'mintTo',
        info: {
          mint: mint.toBase58(),
          account: account.toBase58(),
          mintAuthority: payer.toBase58(),
          amount: '99',
        },
      },
    });
    expect(parse(splToken.createInitializeAccount3Instruction(account, mint, owner))).toMatchObject({
      parsed: {
        type: 'initializeAccount3',
        info: { account: account.toBase58(), mint: mint.toBase58(), owner: owner.toBase58() },
      },
    });
    expect(parse(splToken.createCloseAccountInstruction(account, payer, owner))).toMatchObject({
      parsed: {
        type: 'closeAccount',
        info: { account: account.toBase58(), destination: payer.toBase58(), owner: owner.toBase58() },
      },
    });
  });

  it('parses associated token account creation, idempotent or not', () => {
    const [wallet, mint] = [key(), key()];
    const ata = splToken.getAssociatedTokenAddressSync(mint, wallet);
    const info = {
      source: payer.toBase58(),
      account: ata.toBase58(),
      wallet: wallet.toBase58(),
      mint: mint.toBase58(),
      systemProgram: SystemProgram.programId.toBase58(),
      tokenProgram: splToken.TOKEN_PROGRAM_ID.toBase58(),
    };
    expect(parse(splToken.createAssociatedTokenAccountInstruction(payer, ata, wallet, mint))).toMatchObject({
      program: 'spl-associated-token-account',
      parsed: { type: 'create', info },
    });
    expect(
      parse(splToken.createAssociatedTokenAccountIdempotentInstruction(payer, ata, wallet, mint)),
    ).toMatchObject({
      parsed: { type: 'createIdempotent', info },
    });
  });

  it('parses a memo as its text', () => {
    const memo = new TransactionInstruction({
      programId: new PublicKey(MEMO_PROGRAM_ID),
      keys: [],
      data: Buffer.from('tessera:deposit:42'),
    });
    expect(parse(memo)).toEqual({
      program: 'spl-memo',
      programId: MEMO_PROGRAM_ID,
      parsed: 'tessera:deposit:42',
      stackHeight: null,
    });
  });

  it('leaves other programs, and instructions that do not decode, as program, accounts and base58 data', () => {
    const programId = key();
    const account = key();
    const other = new TransactionInstruction({
      programId,
      keys: [{ pubkey: account, isSigner: false, isWritable: true }],
      data: Buffer.from([1, 2, 3]),
    });
    expect(parse(other)).toEqual({
      programId: programId.toBase58(),
      accounts: [account.toBase58()],
      data: 'Ldp',
      stackHeight: null,
    });
    // A token transfer cut short: devnet does not parse it either.
    const truncated = new TransactionInstruction({
      programId: splToken.TOKEN_PROGRAM_ID,
      keys: [],
      data: Buffer.from([3, 1]),
    });
    expect(parse(truncated)).toMatchObject({
      programId: splToken.TOKEN_PROGRAM_ID.toBase58(),
      data: expect.any(String),
    });
  });
});
