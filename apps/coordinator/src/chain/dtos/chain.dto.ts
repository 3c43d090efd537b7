import { Field, Float, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('Chain', {
  description:
    'Where payments happen: the Solana cluster, the token and the treasury. A deposit is a transferChecked of `mint` to `treasuryTokenAccount` with the memo `depositMemo`, confirmed with confirmDeposit once finalized.',
})
export class ChainDto {
  @Field({ description: '`local`, `devnet` or `mainnet-beta`.' })
  cluster: string;
  @Field({ description: 'The JSON-RPC endpoint this coordinator uses; send transactions there.' })
  rpcUrl: string;
  @Field({ description: "The SPL token's mint address." })
  mint: string;
  @Field(() => Int)
  decimals: number;
  @Field({ description: 'The token symbol used in messages.' })
  currency: string;
  @Field({ description: 'The treasury wallet: receives deposits, signs payouts.' })
  treasury: string;
  @Field({ description: "The treasury's associated token account for the mint: deposits go here." })
  treasuryTokenAccount: string;
  @Field({ description: 'Whether requestTestTokens mints here (the local cluster only).' })
  testTokens: boolean;
  @Field({ description: 'Provider earnings below this wait for a later payout (decimal string).' })
  payoutMinimum: string;
  @Field(() => Int, { description: 'Seconds between payout runs.' })
  payoutIntervalSec: number;
}

@ObjectType('TestTokens', {
  description: 'Test tokens (and SOL for fees) minted to a wallet on the local cluster.',
})
export class TestTokensDto {
  @Field()
  wallet: string;
  @Field({ description: "The wallet's token account that received the tokens." })
  tokenAccount: string;
  @Field({ description: 'Tokens minted, as an exact decimal string.' })
  amount: string;
  @Field(() => Float, { description: 'SOL airdropped for transaction fees.' })
  sol: number;
  @Field({ description: 'The minting transaction.' })
  signature: string;
}
