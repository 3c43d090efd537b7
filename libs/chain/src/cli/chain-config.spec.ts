import { resolve } from 'node:path';
import { loadChainConfig } from './chain-config';

describe('loadChainConfig', () => {
  it('defaults to devnet-like slots on port 8899 with a ledger under .tessera/chain', () => {
    expect(loadChainConfig({})).toEqual({
      port: 8899,
      host: '127.0.0.1',
      slotMs: 400,
      finalityDepth: 2,
      outDir: resolve('.tessera/chain'),
      decimals: 6,
      ledgerDir: resolve('.tessera/chain/ledger'),
    });
  });

  it('lets flags override the environment and turns persistence off', () => {
    const config = loadChainConfig(
      { TESSERA_CHAIN_PORT: '9000', TESSERA_CHAIN_OUT: '/tmp/a' },
      { TESSERA_CHAIN_PORT: '9100', TESSERA_CHAIN_PERSIST: 'false' },
    );
    expect(config).toMatchObject({ port: 9100, outDir: '/tmp/a', ledgerDir: null });
  });

  it('names every bad value at once', () => {
    expect(() =>
      loadChainConfig({
        TESSERA_CHAIN_PORT: '70000',
        TESSERA_CHAIN_SLOT_MS: 'fast',
        TESSERA_CHAIN_DECIMALS: '12',
      }),
    ).toThrow(
      /TESSERA_CHAIN_PORT="70000"[\s\S]*TESSERA_CHAIN_SLOT_MS="fast"[\s\S]*TESSERA_CHAIN_DECIMALS="12"/,
    );
  });
});
