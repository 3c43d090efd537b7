/**
 * Every error a user can cause, by feature. The message says what to fix; the code is stable for
 * scripts. Anything that is not an AppError is a bug: logged once with its stack and reported as
 * INTERNAL without details.
 */
export type AppErrorCode =
  // auth
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'SIGNUP_CLOSED'
  // accounts: API keys and wallet sign-in
  | 'API_KEY_NOT_FOUND'
  | 'TOO_MANY_API_KEYS'
  | 'LAST_API_KEY'
  | 'WALLET_CHALLENGE_NOT_FOUND'
  | 'WALLET_CHALLENGE_MISMATCH'
  | 'WALLET_CHALLENGE_EXPIRED'
  | 'WALLET_CHALLENGE_USED'
  | 'WALLET_SIGNATURE_INVALID'
  | 'WALLET_TAKEN'
  | 'ACCOUNT_HAS_WALLET'
  // input
  | 'BAD_INPUT'
  // jobs
  | 'JOB_NOT_FOUND'
  | 'JOB_ALREADY_FINISHED'
  | 'JOB_NOT_FINISHED'
  | 'UNKNOWN_JOB_KIND'
  | 'IMAGE_NOT_ALLOWED'
  | 'INPUT_NOT_FOUND'
  | 'TOO_MANY_TASKS'
  | 'LIMIT_EXCEEDED'
  | 'NOT_A_BLEND'
  | 'SCENE_INVALID'
  | 'FRAMES_OUT_OF_RANGE'
  | 'PRICE_TOO_LOW'
  | 'INVALID_ROWS'
  | 'UNAVAILABLE'
  // models
  | 'MODEL_NOT_FOUND'
  | 'NOT_ONNX'
  | 'SIGNATURE_MISMATCH'
  | 'MODEL_EXISTS'
  // blobs
  | 'BLOB_NOT_FOUND'
  | 'BLOB_TOO_LARGE'
  | 'BLOB_HASH_MISMATCH'
  | 'BLOB_BAD_DIGEST'
  // ledger
  | 'INSUFFICIENT_FUNDS'
  | 'IDEMPOTENCY_CONFLICT'
  | 'UNBALANCED_JOURNAL'
  | 'PAYOUT_NOT_FOUND'
  // providers
  | 'PROVIDER_NOT_FOUND'
  // chain (chain/, deposits/, payouts/)
  | 'CHAIN_UNAVAILABLE'
  | 'TEST_TOKENS_UNAVAILABLE'
  | 'DEPOSIT_NOT_FOUND'
  | 'DEPOSIT_NOT_FINAL'
  | 'DEPOSIT_FAILED'
  | 'DEPOSIT_NO_TRANSFER'
  | 'DEPOSIT_WRONG_MINT'
  | 'DEPOSIT_WRONG_DESTINATION'
  | 'DEPOSIT_AMOUNT_MISMATCH'
  | 'DEPOSIT_NO_MEMO'
  | 'DEPOSIT_MEMO_MISMATCH'
  | 'DEPOSIT_REPLAYED';

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    /** The input field at fault, when there is one. */
    readonly field?: string,
    /** The lines of an uploaded file at fault (a batch's rows), 1-based; sent as `extensions.lines`. */
    readonly lines?: readonly { line: number; message: string }[],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** HTTP status for each code; exhaustive, so a new code fails to compile until it is mapped. */
export function httpStatusOf(code: AppErrorCode): number {
  switch (code) {
    case 'UNAUTHENTICATED':
    case 'WALLET_CHALLENGE_EXPIRED':
    case 'WALLET_SIGNATURE_INVALID':
      return 401;
    case 'FORBIDDEN':
    case 'SIGNUP_CLOSED':
    case 'TEST_TOKENS_UNAVAILABLE':
    case 'DEPOSIT_MEMO_MISMATCH':
      return 403;
    case 'JOB_NOT_FOUND':
    case 'BLOB_NOT_FOUND':
    case 'PROVIDER_NOT_FOUND':
    case 'MODEL_NOT_FOUND':
    case 'PAYOUT_NOT_FOUND':
    case 'DEPOSIT_NOT_FOUND':
    case 'API_KEY_NOT_FOUND':
      return 404;
    case 'JOB_ALREADY_FINISHED':
    case 'JOB_NOT_FINISHED':
    case 'MODEL_EXISTS':
    case 'IDEMPOTENCY_CONFLICT':
    case 'DEPOSIT_NOT_FINAL':
    case 'DEPOSIT_REPLAYED':
    case 'TOO_MANY_API_KEYS':
    case 'LAST_API_KEY':
    case 'WALLET_CHALLENGE_USED':
    case 'WALLET_TAKEN':
    case 'ACCOUNT_HAS_WALLET':
      return 409;
    case 'INSUFFICIENT_FUNDS':
      return 402;
    case 'UNAVAILABLE':
    case 'CHAIN_UNAVAILABLE':
      return 503;
    case 'BLOB_TOO_LARGE':
      return 413;
    case 'BAD_INPUT':
    case 'UNKNOWN_JOB_KIND':
    case 'IMAGE_NOT_ALLOWED':
    case 'INPUT_NOT_FOUND':
    case 'TOO_MANY_TASKS':
    case 'LIMIT_EXCEEDED':
    case 'NOT_A_BLEND':
    case 'SCENE_INVALID':
    case 'FRAMES_OUT_OF_RANGE':
    case 'PRICE_TOO_LOW':
    case 'INVALID_ROWS':
    case 'NOT_ONNX':
    case 'SIGNATURE_MISMATCH':
    case 'BLOB_HASH_MISMATCH':
    case 'BLOB_BAD_DIGEST':
    case 'UNBALANCED_JOURNAL':
    case 'DEPOSIT_FAILED':
    case 'DEPOSIT_NO_TRANSFER':
    case 'DEPOSIT_WRONG_MINT':
    case 'DEPOSIT_WRONG_DESTINATION':
    case 'DEPOSIT_AMOUNT_MISMATCH':
    case 'DEPOSIT_NO_MEMO':
    case 'WALLET_CHALLENGE_NOT_FOUND':
    case 'WALLET_CHALLENGE_MISMATCH':
      return 400;
  }
}
