/**
 * The customer side of `npm run demo`: opens an account, uploads an input, submits a two-task
 * container job over GraphQL, follows it over the subscription, downloads and verifies the outputs.
 * Talks only to the public HTTP/GraphQL API, as any customer script would.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env.TESSERA_URL ?? 'http://127.0.0.1:8080';
const outDir = resolve(process.env.TESSERA_DEMO_OUT ?? '.tessera/demo/outputs');

async function graphql<T>(query: string, variables: Record<string, unknown>, apiKey?: string): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length || !body.data)
    throw new Error(body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status}`);
  return body.data;
}

const POEM = `The woods are lovely, dark and deep,
But I have promises to keep,
And miles to go before I sleep,
And miles to go before I sleep.
`;

const SCRIPT = [
  'set -eu',
  'echo "task $TESSERA_TASK_INDEX of $TESSERA_TASK_COUNT, running as $(id -u) in a sandbox with no network"',
  'tr a-z A-Z < /in/poem.txt > /out/poem-upper.txt',
  'wc -w < /in/poem.txt | tr -d " " > /out/word-count.txt',
  'sha256sum /in/poem.txt | cut -d" " -f1 > /out/input.sha256',
].join('\n');

interface JobView {
  id: string;
  state: string;
  progress: { tasksDone: number; tasksTotal: number };
  error: { code: string; message: string } | null;
}

async function main(): Promise<void> {
  const { createAccount } = await graphql<{ createAccount: { apiKey: string } }>(
    `
      mutation {
        createAccount(input: { name: "demo artist" }) {
          apiKey
        }
      }
    `,
    {},
  );
  const apiKey = createAccount.apiKey;
  console.log(`account created (API key ${apiKey.slice(0, 10)}…)`);

  const poem = Buffer.from(POEM);
  const sha256 = createHash('sha256').update(poem).digest('hex');
  const put = await fetch(`${url}/v1/blobs/${sha256}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/octet-stream' },
    body: poem,
  });
  if (put.status !== 201) throw new Error(`upload failed: HTTP ${put.status} ${await put.text()}`);
  console.log(`uploaded poem.txt (${poem.length} bytes, sha256 ${sha256.slice(0, 12)}…)`);

  const { submitContainerJob: job } = await graphql<{ submitContainerJob: JobView }>(
    `
      mutation ($input: SubmitContainerJobInput!) {
        submitContainerJob(input: $input) {
          id
          state
          progress {
            tasksDone
            tasksTotal
          }
          error {
            code
            message
          }
        }
      }
    `,
    {
      input: {
        name: 'demo: shout a poem',
        image: 'tessera/toolbox:1',
        command: ['bash', '-c', SCRIPT],
        inputs: [{ sha256, path: 'poem.txt' }],
        tasks: 2,
        memoryMb: 128,
        timeoutSec: 120,
      },
    },
    apiKey,
  );
  console.log(`job ${job.id} queued: ${job.progress.tasksTotal} tasks`);

  const finished = await follow(job.id, apiKey);
  if (finished.state !== 'COMPLETED') {
    throw new Error(
      `job ended ${finished.state}: ${finished.error?.code ?? ''} ${finished.error?.message ?? ''}`,
    );
  }

  const { job: detail } = await graphql<{
    job: {
      outputs: { path: string; sha256: string; size: number }[];
      tasks: {
        index: number;
        attempts: {
          state: string;
          durationMs: number | null;
          logTail: string;
          provider: { name: string; address: string };
        }[];
      }[];
    };
  }>(
    `
      query ($id: ID!) {
        job(id: $id) {
          outputs {
            path
            sha256
            size
          }
          tasks {
            index
            attempts {
              state
              durationMs
              logTail
              provider {
                name
                address
              }
            }
          }
        }
      }
    `,
    { id: job.id },
    apiKey,
  );
  for (const task of detail.tasks) {
    const ok = task.attempts.find((a) => a.state === 'SUCCEEDED');
    if (ok) {
      console.log(
        `task ${task.index}: ran on ${ok.provider.name} (${ok.provider.address.slice(0, 8)}…) in ${ok.durationMs} ms: ${ok.logTail.trim()}`,
      );
    }
  }
  const dir = join(outDir, job.id);
  mkdirSync(dir, { recursive: true });
  for (const output of detail.outputs) {
    const res = await fetch(`${url}/v1/blobs/${output.sha256}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== output.sha256) throw new Error(`${output.path}: downloaded bytes do not match their hash`);
    const path = join(dir, output.path);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, bytes);
  }
  console.log(`\n${detail.outputs.length} output files verified (sha256) and saved in ${dir}:`);
  for (const output of detail.outputs) console.log(`  ${output.path}  (${output.size} bytes)`);
  console.log(
    `\n${join(dir, 'task-0', 'poem-upper.txt')}:\n${await (await fetch(`${url}/v1/blobs/${detail.outputs.find((o) => o.path === 'task-0/poem-upper.txt')?.sha256}`, { headers: { authorization: `Bearer ${apiKey}` } })).text()}`,
  );
}

/** Prints each state change pushed over the GraphQL subscription until the job ends. */
function follow(jobId: string, apiKey: string): Promise<JobView> {
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${apiKey}` },
  });
  return new Promise((resolvePromise, reject) => {
    let last = '';
    const timer = setTimeout(() => reject(new Error('the job did not finish within 5 minutes')), 300_000);
    const dispose = client.subscribe<{
      jobEvents: { job: JobView; task: { index: number; state: string } | null };
    }>(
      {
        query: `subscription($id: ID!) { jobEvents(jobId: $id) { job { id state progress { tasksDone tasksTotal } error { code message } } task { index state } } }`,
        variables: { id: jobId },
      },
      {
        next: ({ data, errors }) => {
          if (errors?.length || !data) return reject(new Error(JSON.stringify(errors)));
          const { job, task } = data.jobEvents;
          const progress = `${job.state.padEnd(9)} ${job.progress.tasksDone}/${job.progress.tasksTotal} tasks done`;
          // Task events say what moved; job-only events are worth a line only when progress changed.
          if (task) console.log(`  ${progress}   (task ${task.index}: ${task.state})`);
          else if (progress !== last) console.log(`  ${progress}`);
          last = progress;
          if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.state)) {
            clearTimeout(timer);
            dispose();
            void client.dispose();
            resolvePromise(job);
          }
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => undefined,
      },
    );
  });
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
