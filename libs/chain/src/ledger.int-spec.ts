import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Keypair,
  PublicKey,
  sendAndConfirmTransaction,
  Transaction,
  TransactionInstruction,
} from '@solana/web3.js';
import { eventually } from '@tessera/testing';
import { createTestToken, LocalChain, MEMO_PROGRAM_ID, splToken, startLocalChain } from '@tessera/chain';

// Medium test of the ledger directory: what landed before a restart is still there after it.

let ledgerDir: string;
let chain: LocalChain | undefined;

beforeEach(async () => {
  ledgerDir = await mkdtemp(join(tmpdir(), 'tessera-ledger-'));
});

afterEach(async () => {
  await chain?.stop();
  await rm(ledgerDir, { recursive: true, force: true });
});

it('keeps accounts, transactions and recent blockhashes across a restart', async () => {
  chain = await startLocalChain({ slotMs: 50, ledgerDir });
  expect(chain.restored).toBe(false);
  let connection = chain.connection();
  const token = await createTestToken(chain);
  const provider = Keypair.generate().publicKey;
  const providerAta = await chain.createAssociatedTokenAccount(token.mint, provider);
  const payout = new Transaction().add(
    splToken.createTransferCheckedInstruction(
      token.treasuryTokenAccount,
      token.mint,
      providerAta,
      token.treasury.publicKey,
      42n,
      6,
    ),
    new TransactionInstruction({
      programId: new PublicKey(MEMO_PROGRAM_ID),
      keys: [],
      data: Buffer.from('tessera:payout:1'),
    }),
  );
  const signature = await sendAndConfirmTransaction(connection, payout, [token.treasury]);
  const genesis = await connection.getGenesisHash();
  const slotBefore = await connection.getSlot('processed');
  const { blockhash } = await connection.getLatestBlockhash('processed');
  await chain.stop();

  chain = await startLocalChain({ slotMs: 50, ledgerDir });
  expect(chain.restored).toBe(true);
  connection = chain.connection();
  expect(await connection.getGenesisHash()).toBe(genesis);
  expect(await connection.getSlot('processed')).toBeGreaterThanOrEqual(slotBefore);
  expect((await connection.getTokenAccountBalance(providerAta)).value.amount).toBe('42');
  const landed = await connection.getTransaction(signature, {
    commitment: 'confirmed',
    maxSupportedTransactionVersion: 0,
  });
  expect(landed?.meta?.logMessages).toContain('Program log: tessera:payout:1');
  const [latest] = await connection.getSignaturesForAddress(providerAta, { limit: 1 }, 'confirmed');
  expect(latest).toMatchObject({ signature, memo: '[16] tessera:payout:1' });
  await eventually(
    async () => (await connection.getSignatureStatus(signature)).value?.confirmationStatus === 'finalized',
  );

  // The same transaction is still known (refused), and a blockhash issued before the restart still works.
  await expect(connection.sendRawTransaction(payout.serialize())).rejects.toThrow('already been processed');
  const again = new Transaction({
    feePayer: token.treasury.publicKey,
    blockhash,
    lastValidBlockHeight: 0,
  }).add(
    splToken.createTransferCheckedInstruction(
      token.treasuryTokenAccount,
      token.mint,
      providerAta,
      token.treasury.publicKey,
      8n,
      6,
    ),
  );
  again.sign(token.treasury);
  await connection.sendRawTransaction(again.serialize());
  await eventually(
    async () => (await connection.getTokenAccountBalance(providerAta, 'processed')).value.amount === '50',
  );
});
