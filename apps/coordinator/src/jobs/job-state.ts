export enum JobState {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}

/**
 * Task life cycle (DESIGN.md §3). SUBMITTED, VERIFYING and REJECTED belong to spot-checks; until
 * they exist a completed task goes straight from RUNNING to ACCEPTED.
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
}

export const TERMINAL_JOB_STATES: readonly JobState[] = [
  JobState.COMPLETED,
  JobState.FAILED,
  JobState.CANCELLED,
];
export const ACTIVE_ATTEMPT_STATES: readonly AttemptState[] = [AttemptState.LEASED, AttemptState.RUNNING];
