/**
 * The GraphQL documents the dashboard sends and the shapes it reads back: public API fields only
 * (apps/coordinator/schema.gql; operations.spec.ts validates every document against that file).
 */

export type JobState = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
export const ACTIVE_STATES: readonly JobState[] = ['QUEUED', 'RUNNING'];
export const FINISHED_STATES: readonly JobState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export interface ErrorView {
  code: string;
  message: string;
}

export interface ProgressView {
  tasksDone: number;
  tasksTotal: number;
  fraction: number;
  itemsDone: number;
  itemsTotal: number;
  itemUnit: string;
  etaSeconds: number | null;
}

/** Exact decimal token strings. */
export interface CostView {
  reserved: string;
  charged: string;
  refunded: string;
  currency: string;
}

export interface JobSummary {
  id: string;
  name: string | null;
  kind: string;
  state: JobState;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: ProgressView;
  error: ErrorView | null;
  cost: CostView;
}

export interface FileView {
  path: string;
  sha256: string;
  size: number;
}

export interface FrameView extends FileView {
  number: number;
  thumbnail: { sha256: string } | null;
}

export interface ChecksView {
  total: number;
  passed: number;
  failed: number;
  pending: number;
  unresolved: number;
}

export interface ProviderRefView {
  id: string;
  name: string | null;
  address: string;
}

export interface AttemptView {
  id: string;
  number: number;
  state: string;
  providerId: string;
  provider: ProviderRefView;
  leasedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  exitCode: number | null;
  failureCode: string | null;
  failureMessage: string | null;
  logTail: string;
  commitment: { root: string; items: number } | null;
}

export interface RegionView {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ComparisonView {
  key: string;
  verdict: string;
  psnrDb: number | null;
  ssim: number | null;
  identical: boolean;
  reason: string;
}

export interface CheckRoundView {
  round: number;
  purpose: string;
  verdict: string | null;
  reason: string | null;
  verifierProviderId: string | null;
  startedAt: string;
  finishedAt: string | null;
  comparisons: ComparisonView[];
}

export interface VerificationView {
  id: string;
  state: string;
  reason: string | null;
  attemptId: string;
  providerId: string;
  createdAt: string;
  finishedAt: string | null;
  proofDeadline: string | null;
  samples: { key: string; item: number; region: RegionView | null }[];
  rounds: CheckRoundView[];
}

export interface TaskView {
  id: string;
  index: number;
  /** `work`, or `check`: a spot-check re-running samples of the work task with the same index. */
  role: string;
  /** What the task covers: a render chunk's `frames`, an inference shard's `firstRow` and `rows`, a check's `check`. */
  params: Record<string, unknown>;
  state: string;
  attemptCount: number;
  maxAttempts: number;
  error: ErrorView | null;
  outputs: FileView[] | null;
  attempts: AttemptView[];
  verifications: VerificationView[];
}

export interface JobDetail extends JobSummary {
  params: Record<string, unknown>;
  priority: number;
  archiveUrl: string | null;
  outputsUrl: string | null;
  checks: ChecksView;
  frames: FrameView[];
  outputs: FileView[];
}

export interface JobWithTasks extends JobDetail {
  tasks: TaskView[];
}

export interface JobEventView {
  job: JobDetail;
  task: TaskView | null;
}

export interface BalanceView {
  available: string;
  reserved: string;
  currency: string;
}

export interface AccountView {
  id: string;
  name: string;
  /** The Solana wallet that signs in to the account; null when none is linked. */
  wallet: string | null;
  createdAt: string;
  balance: BalanceView;
}

export interface GpuView {
  name: string;
  vramBytes: number;
}

export interface RecordView {
  checksPassed: number;
  checksFailed: number;
  cleanStreak: number;
  reputation: number;
  checkRate: number;
  banReason: string | null;
}

export interface ProviderSummary {
  id: string;
  address: string;
  name: string | null;
  owner: string;
  online: boolean;
  banned: boolean;
  lastSeenAt: string;
  cpuCores: number;
  memoryBytes: number;
  slots: number;
  kinds: string[];
  gpus: GpuView[];
  record: RecordView;
  stats: { succeeded: number; failed: number; expired: number };
}

export interface ProviderDetail extends ProviderSummary {
  firstSeenAt: string;
  agentVersion: string;
  dockerVersion: string;
  diskFreeBytes: number;
  images: string[];
  gpus: (GpuView & { driverVersion: string; computeCapability: string | null })[];
}

export interface QueueDepthView {
  kind: string;
  queued: number;
  running: number;
}

export interface MarketPricesView {
  currency: string;
  renderPerMegapixelSample: number;
  inferencePerCpuSecond: number;
}

/** One job kind's work finished in the market's recent window (marketStats). */
export interface KindThroughputView {
  kind: string;
  itemUnit: string;
  tasksCompleted: number;
  itemsDone: number;
  averageTaskSeconds: number | null;
  busySeconds: number | null;
  pricedTasks: number;
  /** Exact decimal token string. */
  volume: string;
  medianPricePerItem: number | null;
  lastPricePerItem: number | null;
}

export interface MarketStatsView {
  windowMinutes: number;
  since: string;
  currency: string;
  kinds: KindThroughputView[];
}

/** A lease of a task by a provider as its public page shows it: kind and items, never whose. */
export interface ProviderTaskView {
  id: string;
  taskId: string;
  kind: string;
  /** `work`, or `check`: a spot-check re-executing samples of another provider's result. */
  role: string;
  state: string;
  itemUnit: string;
  items: number;
  firstItem: number | null;
  lastItem: number | null;
  leasedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  failureCode: string | null;
}

const JOB_SUMMARY = `
  id name kind state createdAt startedAt finishedAt
  progress { tasksDone tasksTotal fraction itemsDone itemsTotal itemUnit etaSeconds }
  error { code message }
  cost { reserved charged refunded currency }`;

const JOB_DETAIL = `${JOB_SUMMARY}
  params priority archiveUrl outputsUrl
  checks { total passed failed pending unresolved }
  frames { number path sha256 size thumbnail { sha256 } }
  outputs { path sha256 size }`;

const TASK = `
  id index role params state attemptCount maxAttempts
  error { code message }
  outputs { path sha256 size }
  attempts {
    id number state providerId provider { id name address }
    leasedAt startedAt finishedAt durationMs exitCode failureCode failureMessage logTail
    commitment { root items }
  }
  verifications {
    id state reason attemptId providerId createdAt finishedAt proofDeadline
    samples { key item region { x y width height } }
    rounds {
      round purpose verdict reason verifierProviderId startedAt finishedAt
      comparisons { key verdict psnrDb ssim identical reason }
    }
  }`;

const PROVIDER_SUMMARY = `
  id address name owner online banned lastSeenAt cpuCores memoryBytes slots kinds
  gpus { name vramBytes }
  record { checksPassed checksFailed cleanStreak reputation checkRate banReason }
  stats { succeeded failed expired }`;

export const ME = `query Me { me { id name wallet createdAt balance { available reserved currency } } }`;

export const CREATE_ACCOUNT = `mutation CreateAccount($name: String!) {
  createAccount(input: { name: $name }) { apiKey account { id name } }
}`;

export const JOBS = `query Jobs($states: [JobState!], $limit: Int!, $before: DateTime) {
  jobs(states: $states, limit: $limit, before: $before) { ${JOB_SUMMARY} }
}`;

export const JOB = `query Job($id: ID!) { job(id: $id) { ${JOB_DETAIL} tasks { ${TASK} } } }`;

export const JOB_EVENTS = `subscription JobEvents($jobId: ID!) {
  jobEvents(jobId: $jobId) { job { ${JOB_DETAIL} } task { ${TASK} } }
}`;

export const CANCEL_JOB = `mutation CancelJob($id: ID!) { cancelJob(id: $id) { ${JOB_SUMMARY} } }`;

export const SUBMIT_RENDER_JOB = `mutation SubmitRenderJob($input: SubmitRenderJobInput!) {
  submitRenderJob(input: $input) { id }
}`;

export const SUBMIT_INFERENCE_BATCH = `mutation SubmitInferenceBatch($input: SubmitInferenceBatchInput!) {
  submitInferenceBatch(input: $input) { id }
}`;

export const MODELS = `query Models {
  models {
    id name batchSize msPerRow createdAt onnxSize
    inputs { name type dims }
    outputs { name type dims }
    preprocess { input width height channels }
    postprocess { type output }
  }
}`;

export const MARKET_PRICES = `query MarketPrices {
  marketPrices { currency renderPerMegapixelSample inferencePerCpuSecond }
}`;

export const MARKET = `query Market($windowMinutes: Int!) {
  providers(limit: 1000) { ${PROVIDER_SUMMARY} }
  queueDepth { kind queued running }
  marketPrices { currency renderPerMegapixelSample inferencePerCpuSecond }
  marketStats(windowMinutes: $windowMinutes) {
    windowMinutes since currency
    kinds {
      kind itemUnit tasksCompleted itemsDone averageTaskSeconds busySeconds pricedTasks volume
      medianPricePerItem lastPricePerItem
    }
  }
}`;

export const PROVIDERS = `query Providers { providers(limit: 1000) { ${PROVIDER_SUMMARY} } }`;

export const PROVIDER = `query Provider($id: ID!) {
  provider(id: $id) {
    ${PROVIDER_SUMMARY}
    firstSeenAt agentVersion dockerVersion diskFreeBytes images
    gpus { name vramBytes driverVersion computeCapability }
  }
  providers(limit: 1000) { ${PROVIDER_SUMMARY} }
}`;

const PROVIDER_TASK = `
  id taskId kind role state itemUnit items firstItem lastItem leasedAt startedAt finishedAt failureCode`;

/** What a provider is running now and how its last attempts ended (public: kind and items only). */
export const PROVIDER_WORK = `query ProviderWork($id: ID!) {
  provider(id: $id) {
    currentTasks { ${PROVIDER_TASK} }
    recentAttempts(limit: 10) { ${PROVIDER_TASK} }
  }
}`;

/** A provider's earnings and payouts (public, as the transfers are on chain). */
export const PROVIDER_EARNINGS = `query ProviderEarnings($id: ID!) {
  provider(id: $id) {
    earnings { pending inFlight paid fromChecks currency }
    payouts(limit: 20) { id amount currency state signature explorerUrl createdAt finishedAt }
  }
}`;

export interface EarningsView {
  pending: string;
  inFlight: string;
  paid: string;
  /** Earned for re-executing other providers' spot checks; part of the three above. */
  fromChecks: string;
  currency: string;
}

export interface PayoutView {
  id: string;
  amount: string;
  currency: string;
  state: string;
  signature: string | null;
  explorerUrl: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface DepositView {
  id: string;
  amount: string;
  currency: string;
  wallet: string;
  signature: string;
  createdAt: string;
  explorerUrl: string | null;
}

// ── Account: money and keys (the coordinator has these now; no capability check) ──

export const DEPOSITS = `query Deposits {
  deposits(limit: 20) { id amount currency wallet signature createdAt explorerUrl }
}`;

export interface LedgerEntryView {
  id: string;
  kind: string;
  /** `available`, or `escrow` of a job. */
  account: string;
  /** Signed exact decimal: negative when taken. */
  amount: string;
  currency: string;
  jobId: string | null;
  taskId: string | null;
  signature: string | null;
  memo: string | null;
  createdAt: string;
}

export interface LedgerEntryPageView {
  items: LedgerEntryView[];
  nextCursor: string | null;
}

export const LEDGER_ENTRIES = `query LedgerEntries($limit: Int!, $before: String) {
  ledgerEntries(limit: $limit, before: $before) {
    items { id kind account amount currency jobId taskId signature memo createdAt }
    nextCursor
  }
}`;

export interface ApiKeyView {
  id: string;
  label: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** The key this browser is signed in with. */
  current: boolean;
  /** Handed out by a wallet sign-in: signing out revokes it. */
  session: boolean;
}

const API_KEY = `id label prefix createdAt lastUsedAt revokedAt current session`;

/** Ends a wallet sign-in's key (true); a key the customer made is kept (false). */
export const SIGN_OUT = `mutation SignOut { signOut }`;

export const API_KEYS = `query ApiKeys { apiKeys { ${API_KEY} } }`;

export const CREATE_API_KEY = `mutation CreateApiKey($label: String!) {
  createApiKey(label: $label) { apiKey key { ${API_KEY} } }
}`;

export const REVOKE_API_KEY = `mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { ${API_KEY} } }`;

export interface WalletChallengeView {
  wallet: string;
  message: string;
  nonce: string;
  expiresAt: string;
}

export interface WalletSignInView {
  apiKey: string;
  created: boolean;
  account: { id: string; name: string; wallet: string | null };
}

export const WALLET_CHALLENGE = `mutation WalletChallenge($wallet: String!, $link: Boolean! = false) {
  walletChallenge(wallet: $wallet, link: $link) { wallet message nonce expiresAt }
}`;

/** Links a wallet to the signed-in account (a walletChallenge with link: true, signed). */
export const LINK_WALLET = `mutation LinkWallet($wallet: String!, $message: String!, $signature: String!) {
  linkWallet(wallet: $wallet, message: $message, signature: $signature) { id wallet }
}`;

export const WALLET_SIGN_IN = `mutation WalletSignIn($wallet: String!, $message: String!, $signature: String!) {
  walletSignIn(wallet: $wallet, message: $message, signature: $signature) {
    apiKey created account { id name wallet }
  }
}`;

/** SubmitRenderJobInput as the form fills it (everything but `blend` optional). */
export interface SubmitRenderJobInput {
  blend: string;
  name?: string;
  frames?: string;
  resolution?: string;
  samples?: number;
  maxPrice?: string;
  chunkSize?: number;
  device?: 'ANY' | 'CPU' | 'GPU';
}

export interface TensorView {
  name: string;
  type: string;
  /** -1 where the model leaves a dimension open; the first is the batch. */
  dims: number[];
}

/** A registered ONNX model, as the inference form shows it. */
export interface ModelView {
  id: string;
  name: string;
  batchSize: number;
  msPerRow: number | null;
  createdAt: string;
  onnxSize: number;
  inputs: TensorView[];
  outputs: TensorView[];
  /** Set for image models: rows name an uploaded image instead of carrying tensors. */
  preprocess: { input: string; width: number; height: number; channels: number } | null;
  postprocess: { type: string; output: string } | null;
}

/** SubmitInferenceBatchInput as the form fills it. */
export interface SubmitInferenceBatchInput {
  model: string;
  rows: string;
  name?: string;
  shardRows?: number;
  maxPrice?: string;
  device?: 'ANY' | 'CPU' | 'GPU';
}

/** Which of these blobs the signed-in account still has to upload, and the per-blob size limit. */
export const BLOB_UPLOAD_PLAN = `query BlobUploadPlan($sha256: [String!]!) {
  blobUploadPlan(sha256: $sha256) { missing maxBytes }
}`;
