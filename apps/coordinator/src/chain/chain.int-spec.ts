import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCoordinator } from '../../test/coordinator-harness';
import { ChainService } from './chain.service';

// Medium test of the embedded local chain: the coordinator runs it in-process, makes the mint and a
// funded treasury on first start, finds them again after a restart, and stops it on shutdown.

describe('the embedded local chain', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-embedded-chain-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps its mint, treasury and balances across coordinator restarts, and stops with the coordinator', async () => {
    const first = await startTestCoordinator({ TESSERA_DATA_DIR: dataDir, TESSERA_CHAIN_SLOT_MS: '50' });
    const chain = first.get<ChainService>(ChainService);
    const before = {
      mint: chain.mint.toBase58(),
      treasury: chain.treasury.toBase58(),
      treasuryTokenAccount: chain.treasuryTokenAccount.toBase58(),
      balance: await chain.tokenBalance(chain.treasuryTokenAccount),
    };
    expect(before.balance).toBe(1_000_000n * 1_000_000n);
    expect(chain.embedded?.restored).toBe(false);
    const rpcUrl = chain.rpcUrl;
    await first.stop();
    expect(
      await fetch(`${rpcUrl}/health`).then(
        () => 'up',
        () => 'down',
      ),
    ).toBe('down');

    const second = await startTestCoordinator({ TESSERA_DATA_DIR: dataDir, TESSERA_CHAIN_SLOT_MS: '50' });
    try {
      const again = second.get<ChainService>(ChainService);
      expect(again.embedded?.restored).toBe(true);
      expect({
        mint: again.mint.toBase58(),
        treasury: again.treasury.toBase58(),
        treasuryTokenAccount: again.treasuryTokenAccount.toBase58(),
        balance: await again.tokenBalance(again.treasuryTokenAccount),
      }).toEqual(before);
    } finally {
      await second.stop();
    }
  });
});
