import { Keypair } from '@solana/web3.js';
import { loadConfig } from '../config/config';
import type { ChainService } from './chain.service';
import { TestTokensService } from './test-tokens.service';

describe('TestTokensService', () => {
  const config = loadConfig({ TESSERA_DATA_DIR: '/tmp/tessera-test-tokens-spec' });
  const actor = { kind: 'account' as const, accountId: 'a1' };
  const wallet = Keypair.generate().publicKey.toBase58();
  const mocks = {
    chain: (cluster: string, canMint: boolean) =>
      ({
        cluster,
        canMintTestTokens: canMint,
        airdrop: jest.fn(),
        mintTestTokens: jest.fn(),
      }) as unknown as ChainService,
  };

  it('refuses on devnet and mainnet, where tokens are real, and mints nothing', async () => {
    for (const cluster of ['devnet', 'mainnet-beta']) {
      const chain = mocks.chain(cluster, false);
      const sut = new TestTokensService(chain, config);
      await expect(sut.request(actor, wallet, '10')).rejects.toMatchObject({
        code: 'TEST_TOKENS_UNAVAILABLE',
        message: `test tokens exist on the local cluster only; on ${cluster} send real TSR from your wallet (tessera deposit --wallet)`,
      });
      expect(chain.mintTestTokens).not.toHaveBeenCalled();
    }
  });

  it('refuses anonymous callers, bad wallets and amounts before touching the chain', async () => {
    const chain = mocks.chain('local', true);
    const sut = new TestTokensService(chain, config);
    await expect(sut.request({ kind: 'anonymous' }, wallet, '10')).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expect(sut.request(actor, 'not-an-address', '10')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      field: 'wallet',
    });
    await expect(sut.request(actor, wallet, '0')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      field: 'amount',
    });
    await expect(sut.request(actor, wallet, '1000001')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      field: 'amount',
    });
    expect(chain.airdrop).not.toHaveBeenCalled();
  });
});
