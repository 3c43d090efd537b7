import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { AccountsResolver } from '../accounts/accounts.resolver';
import { ApiKeysResolver } from '../accounts/api-keys.resolver';
import { WalletSignInResolver } from '../accounts/wallet-sign-in.resolver';
import { AttemptsResolver, JobsResolver, TasksResolver } from '../jobs/jobs.resolver';
import { InferenceJobResolver, ModelsResolver } from '../models/models.resolver';
import { ProvidersResolver } from '../providers/providers.resolver';
import { RenderResolver } from '../render/render.resolver';
import { JobChecksResolver, TaskVerificationsResolver } from '../verification/verification.resolver';
import { AccountBalanceResolver, JobCostResolver } from '../billing/billing.resolver';
import { ChainResolver } from '../chain/chain.resolver';
import { ChainDepositMemoResolver, DepositsResolver } from '../deposits/deposits.resolver';
import { ProviderPayoutsResolver } from '../payouts/payouts.resolver';
import { MarketResolver } from '../market/market.resolver';
import { BlobsResolver } from '../blobs/blobs.resolver';

/** Every resolver of the public API; schema.gql is generated from these. */
export const RESOLVERS = [
  AccountsResolver,
  ApiKeysResolver,
  WalletSignInResolver,
  JobsResolver,
  TasksResolver,
  AttemptsResolver,
  ProvidersResolver,
  RenderResolver,
  ModelsResolver,
  InferenceJobResolver,
  TaskVerificationsResolver,
  JobChecksResolver,
  AccountBalanceResolver,
  JobCostResolver,
  ChainResolver,
  ChainDepositMemoResolver,
  DepositsResolver,
  ProviderPayoutsResolver,
  MarketResolver,
  BlobsResolver,
];

const HEADER = `# Tessera coordinator GraphQL API. Generated from the code-first resolvers by \`npm run schema\`;
# do not edit by hand. A test fails when this file and the code disagree.
`;

/** The SDL of the API as the running coordinator serves it (sorted, like `sortSchema: true`). */
export async function generateSchemaSdl(): Promise<string> {
  const app = await NestFactory.create(GraphQLSchemaBuilderModule, { logger: false });
  await app.init();
  const schema = await app.get(GraphQLSchemaFactory).create(RESOLVERS);
  await app.close();
  return `${HEADER}\n${printSchema(lexicographicSortSchema(schema))}\n`;
}
