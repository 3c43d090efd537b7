export enum JobState {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}

/**
 * Task life cycle (DESIGN.md §3). A completed task is ACCEPTED at once unless it is spot-checked:
 * then it is VERIFYING until its verification ends (verification/), ACCEPTED when it passes and
 * QUEUED again (its attempt REJECTED) when it fails. SUBMITTED and REJECTED are not used as task states.
 */
export enum TaskState {
  QUEUED = 'QUEUED',
  LEASED = 'LEASED',
  RUNNING = 'RUNNING',
  SUBMITTED = 'SUBMITTED',
  VERIFYING = 'VERIFYING',
  ACCEPTED = 'ACCEPTED',
  REJECTED = 'REJECTED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}

export enum AttemptState {
  LEASED = 'LEASED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  /** The lease ran out without a heartbeat (agent died or lost its connection for too long). */
  EXPIRED = 'EXPIRED',
  CANCELLED = 'CANCELLED',
  /** It succeeded, but a spot-check showed its result is not the work asked for: not paid, not used. */
  REJECTED = 'REJECTED',
}

export type TaskRole = 'work' | 'check';

export const TERMINAL_JOB_STATES: readonly JobState[] = [
  JobState.COMPLETED,
  JobState.FAILED,
  JobState.CANCELLED,
];
export const ACTIVE_ATTEMPT_STATES: readonly AttemptState[] = [AttemptState.LEASED, AttemptState.RUNNING];
