/**
 * The GraphQL documents the CLI sends and the shapes it reads back: only public API fields
 * (apps/coordinator/schema.gql). Tests run them against that schema file.
 */

export type JobState = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
export const JOB_STATES: readonly JobState[] = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];
export const FINISHED_STATES: readonly JobState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export interface ProgressView {
  tasksDone: number;
  tasksTotal: number;
  fraction: number;
  itemsDone: number;
  itemsTotal: number;
  itemUnit: string;
  etaSeconds: number | null;
}

export interface JobErrorView {
  code: string;
  message: string;
}

export interface JobSummary {
  id: string;
  name: string | null;
  kind: string;
  state: JobState;
  progress: ProgressView;
  error: JobErrorView | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface FrameView {
  number: number;
  path: string;
  sha256: string;
  size: number;
}

export interface OutputFileView {
  path: string;
  sha256: string;
  size: number;
}

/** What `download` needs: every accepted frame (render) or output (other kinds) with its digest. */
export interface JobFiles extends JobSummary {
  frames: FrameView[];
  outputs: OutputFileView[];
  archiveUrl: string | null;
}

export interface AttemptView {
  state: string;
  provider: { name: string | null; address: string };
}

export interface TaskView {
  index: number;
  state: string;
  error: JobErrorView | null;
  /** The task's result files; a render's include its frames, by the same paths as Job.frames. */
  outputs: { path: string }[] | null;
  attempts: AttemptView[];
}

export interface JobEventView {
  job: JobSummary & { frames: { number: number; path: string }[] };
  task: TaskView | null;
}

export interface AccountView {
  id: string;
  name: string;
  createdAt: string;
}

const SUMMARY = `
  id name kind state createdAt startedAt finishedAt
  progress { tasksDone tasksTotal fraction itemsDone itemsTotal itemUnit etaSeconds }
  error { code message }`;

export const ME = `query Me { me { id name createdAt } }`;

export const CREATE_ACCOUNT = `mutation CreateAccount($name: String!) {
  createAccount(input: { name: $name }) { apiKey account { id name createdAt } }
}`;

export const SUBMIT_RENDER_JOB = `mutation SubmitRenderJob($input: SubmitRenderJobInput!) {
  submitRenderJob(input: $input) { ${SUMMARY} params }
}`;

export const JOBS = `query Jobs($states: [JobState!], $limit: Int!) {
  jobs(states: $states, limit: $limit) { ${SUMMARY} }
}`;

export const JOB_FILES = `query JobFiles($id: ID!) {
  job(id: $id) { ${SUMMARY} archiveUrl frames { number path sha256 size } outputs { path sha256 size } }
}`;

export const CANCEL_JOB = `mutation CancelJob($id: ID!) { cancelJob(id: $id) { ${SUMMARY} } }`;

export const JOB_EVENTS = `subscription JobEvents($jobId: ID!) {
  jobEvents(jobId: $jobId) {
    job { ${SUMMARY} frames { number path } }
    task { index state error { code message } outputs { path } attempts { state provider { name address } } }
  }
}`;

/** SubmitRenderJobInput as the CLI fills it (everything but `blend` optional). */
export interface SubmitRenderJobInput {
  blend: string;
  name?: string;
  frames?: string;
  resolution?: string;
  resolutionPercentage?: number;
  samples?: number;
  format?: 'PNG' | 'EXR';
  seed?: number;
  device?: 'ANY' | 'CPU' | 'GPU';
  maxPrice?: string;
  chunkSize?: number;
}
