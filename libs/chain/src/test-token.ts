import { Keypair, LAMPORTS_PER_SOL, PublicKey } from '@solana/web3.js';
import { LocalChain } from './local-chain';

export interface TestTokenOptions {
  /** Default 6, like USDC. */
  decimals?: number;
  /** Base units minted to the treasury (default 1,000,000 whole tokens). */
  treasuryTokens?: bigint;
  /** SOL given to the treasury for fees and rent (default 100). */
  treasurySol?: number;
}

/** Everything Tessera needs to pay in a token on the local chain. */
export interface TestToken {
  mint: PublicKey;
  decimals: number;
  mintAuthority: Keypair;
  /** The coordinator's treasury wallet: it receives deposits and signs payouts. */
  treasury: Keypair;
  /** The treasury's associated token account for `mint`. */
  treasuryTokenAccount: PublicKey;
}

/**
 * Creates a token and a funded treasury: a mint, a treasury keypair holding SOL, and its associated
 * token account holding tokens. The quick start, the CLI and tests bootstrap the local chain with it.
 */
export async function createTestToken(chain: LocalChain, options: TestTokenOptions = {}): Promise<TestToken> {
  const decimals = options.decimals ?? 6;
  const treasury = Keypair.generate();
  await chain.airdrop(treasury.publicKey, BigInt(options.treasurySol ?? 100) * BigInt(LAMPORTS_PER_SOL));
  const { mint, authority } = await chain.createMint({ decimals });
  const { tokenAccount } = await chain.mintTo({
    mint,
    owner: treasury.publicKey,
    amount: options.treasuryTokens ?? 1_000_000n * 10n ** BigInt(decimals),
    authority,
  });
  return { mint, decimals, mintAuthority: authority, treasury, treasuryTokenAccount: tokenAccount };
}
