/** How a task's result became final. */
export type Verified = 'unchecked' | 'passed' | 'unresolved';

/**
 * Where money follows verification (the payments issue implements it on the ledger). A task is
 * payable only once its verification state is final, so these are called only then, after the
 * state change is committed, at least once per event: implementations must be idempotent (keyed
 * by task and attempt).
 */
export interface SettlementHooks {
  /** The task's result is final and accepted: its provider earns the task's price. */
  taskAccepted(event: {
    jobId: string;
    taskId: string;
    attemptId: string;
    providerId: string;
    verified: Verified;
  }): Promise<void>;
  /** A verifier re-executed a spot-check's samples: it earns `share` of the checked task's price. */
  checkRun(event: {
    jobId: string;
    checkTaskId: string;
    checkedTaskId: string;
    verifierProviderId: string;
    share: number;
  }): Promise<void>;
  /** A spot-check rejected the attempt: its provider is not paid for it and its bond is slashed. */
  attemptRejected(event: {
    jobId: string;
    taskId: string;
    attemptId: string;
    providerId: string;
    reason: string;
  }): Promise<void>;
}

export const SETTLEMENT_HOOKS = Symbol('SETTLEMENT_HOOKS');
