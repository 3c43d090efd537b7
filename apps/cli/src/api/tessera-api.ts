import type { CliConfig } from '../config/cli-config';
import { BlobClient } from './blob-client';
import { GraphQLClient } from './graphql-client';
import { jobEvents } from './job-events';
import {
  AccountView,
  BALANCE,
  BalanceView,
  CANCEL_JOB,
  CHAIN,
  ChainView,
  CONFIRM_DEPOSIT,
  CREATE_ACCOUNT,
  DEPOSITS,
  DepositView,
  JOB_FILES,
  JobEventView,
  JobFiles,
  JOBS,
  JobState,
  JobSummary,
  ME,
  MODELS,
  ModelView,
  REGISTER_MODEL,
  RegisterModelInput,
  REQUEST_TEST_TOKENS,
  SUBMIT_INFERENCE_BATCH,
  SUBMIT_RENDER_JOB,
  SubmitInferenceBatchInput,
  SubmitRenderJobInput,
  TestTokensView,
} from './operations';

/** The public coordinator API as the CLI uses it: GraphQL over HTTP and WebSocket, and blobs. */
export class TesseraApi {
  readonly blobs: BlobClient;
  private readonly graphql: GraphQLClient;

  constructor(readonly config: CliConfig) {
    this.graphql = new GraphQLClient(config);
    this.blobs = new BlobClient(config);
  }

  async me(): Promise<AccountView> {
    return (await this.graphql.request<{ me: AccountView }>(ME)).me;
  }

  async createAccount(name: string): Promise<{ apiKey: string; account: AccountView }> {
    return (
      await this.graphql.request<{ createAccount: { apiKey: string; account: AccountView } }>(
        CREATE_ACCOUNT,
        {
          name,
        },
      )
    ).createAccount;
  }

  async submitRenderJob(input: SubmitRenderJobInput): Promise<JobSummary & { params: unknown }> {
    return (
      await this.graphql.request<{ submitRenderJob: JobSummary & { params: unknown } }>(SUBMIT_RENDER_JOB, {
        input,
      })
    ).submitRenderJob;
  }

  /** Your registered models, newest first. */
  async models(): Promise<ModelView[]> {
    return (await this.graphql.request<{ models: ModelView[] }>(MODELS)).models;
  }

  /** Registers a model whose .onnx (and labels) are uploaded; the same name, file and settings again returns it. */
  async registerModel(input: RegisterModelInput): Promise<ModelView> {
    return (await this.graphql.request<{ registerModel: ModelView }>(REGISTER_MODEL, { input }))
      .registerModel;
  }

  async submitInferenceBatch(input: SubmitInferenceBatchInput): Promise<JobSummary & { params: unknown }> {
    return (
      await this.graphql.request<{ submitInferenceBatch: JobSummary & { params: unknown } }>(
        SUBMIT_INFERENCE_BATCH,
        { input },
      )
    ).submitInferenceBatch;
  }

  async jobs(states: JobState[] | undefined, limit: number): Promise<JobSummary[]> {
    return (await this.graphql.request<{ jobs: JobSummary[] }>(JOBS, { states: states ?? null, limit })).jobs;
  }

  async jobFiles(id: string): Promise<JobFiles> {
    return (await this.graphql.request<{ job: JobFiles }>(JOB_FILES, { id })).job;
  }

  async cancelJob(id: string): Promise<JobSummary> {
    return (await this.graphql.request<{ cancelJob: JobSummary }>(CANCEL_JOB, { id })).cancelJob;
  }

  /** The cluster, token and treasury deposits go to (and the memo naming this account). */
  async chain(): Promise<ChainView> {
    return (await this.graphql.request<{ chain: ChainView }>(CHAIN)).chain;
  }

  /** Local cluster only: test tokens and SOL for fees, minted to `wallet`. */
  async requestTestTokens(wallet: string, amount: string): Promise<TestTokensView> {
    return (
      await this.graphql.request<{ requestTestTokens: TestTokensView }>(REQUEST_TEST_TOKENS, {
        wallet,
        amount,
      })
    ).requestTestTokens;
  }

  async confirmDeposit(signature: string): Promise<DepositView> {
    return (await this.graphql.request<{ confirmDeposit: DepositView }>(CONFIRM_DEPOSIT, { signature }))
      .confirmDeposit;
  }

  async deposits(limit: number): Promise<DepositView[]> {
    return (await this.graphql.request<{ deposits: DepositView[] }>(DEPOSITS, { limit })).deposits;
  }

  async balance(): Promise<BalanceView> {
    return (await this.graphql.request<{ me: { balance: BalanceView } }>(BALANCE)).me.balance;
  }

  jobEvents(jobId: string, signal?: AbortSignal): AsyncGenerator<JobEventView> {
    return jobEvents(this.config, jobId, signal);
  }
}
