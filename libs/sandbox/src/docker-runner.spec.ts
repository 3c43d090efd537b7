import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { ContainerSpec } from '@tessera/protocol';
import { DockerRunner, RunRequest } from './docker-runner';
import { RunnerError } from './runner-error';

// Small tests: the engine is faked, to check what real Docker cannot easily be made to do (fail
// half-way) and that cleanup still happens. The real behaviour is in docker-runner.int-spec.ts.

function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });
}

function fakeDocker() {
  const attach = new PassThrough();
  const waitBody = new PassThrough();
  const container = {
    id: 'c0ffee',
    attach: jest.fn(async () => attach),
    start: jest.fn(async () => undefined),
    inspect: jest.fn(async () => ({ State: { OOMKilled: false } })),
    kill: jest.fn(async () => undefined),
    remove: jest.fn(async (_opts?: unknown) => undefined),
  };
  const mocks = {
    container,
    exit(code: number) {
      attach.end();
      waitBody.end(JSON.stringify({ StatusCode: code, Error: null }));
    },
    loseWait() {
      waitBody.destroy(new Error('socket hang up'));
    },
    docker: {
      modem: {
        dial: jest.fn((_opts: unknown, callback: (err: Error | null, res: unknown) => void) =>
          callback(null, waitBody),
        ),
        demuxStream: jest.fn((stream: PassThrough) => stream.resume()),
        followProgress: jest.fn(),
      },
      info: jest.fn(async () => ({ NCPU: 4 })),
      createContainer: jest.fn(async () => container),
      getContainer: jest.fn(() => container),
      getImage: jest.fn(() => ({
        inspect: jest.fn(async () => Promise.reject(httpError(404, 'No such image'))),
      })),
      pull: jest.fn(async () =>
        Promise.reject(httpError(500, 'dial tcp: lookup registry-1.docker.io: no such host')),
      ),
      listContainers: jest.fn(async () => [{ Id: 'old1', Names: ['/tessera-old'] }]),
    },
  };
  return mocks;
}

const spec: ContainerSpec = {
  image: 'tessera/toolbox:1',
  command: ['true'],
  env: {},
  inputs: [],
  limits: {
    cpus: 1,
    memoryBytes: 64 << 20,
    pids: 64,
    timeoutSec: 60,
    tmpBytes: 1 << 20,
    outputBytes: 1 << 20,
    outputFiles: 10,
  },
  gpus: 0,
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-runner-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(overrides: Partial<RunRequest> = {}): RunRequest {
  return {
    spec,
    name: 'tessera-a1',
    inputDir: dir,
    outputDir: dir,
    gpuAvailable: false,
    onLog: () => undefined,
    ...overrides,
  };
}

describe('DockerRunner.run', () => {
  it('reports oom when Docker says the container was OOM-killed', async () => {
    const mocks = fakeDocker();
    mocks.container.inspect.mockResolvedValue({ State: { OOMKilled: true } });
    mocks.container.start.mockImplementation(async () => void setImmediate(() => mocks.exit(137)));
    const sut = new DockerRunner(mocks.docker as unknown as Docker, { outputWatchMs: 0 });

    await expect(sut.run(request())).resolves.toMatchObject({ exitCode: 137, outcome: 'oom' });
    expect(mocks.container.remove).toHaveBeenCalledWith({ force: true, v: true });
  });

  it('removes the container when starting it fails', async () => {
    const mocks = fakeDocker();
    mocks.container.start.mockRejectedValue(httpError(500, 'OCI runtime create failed'));
    const sut = new DockerRunner(mocks.docker as unknown as Docker);

    const error = await sut.run(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunnerError);
    expect(error).toMatchObject({
      code: 'AGENT_ERROR',
      message: 'the container runtime failed: OCI runtime create failed',
    });
    expect(mocks.container.remove).toHaveBeenCalledWith({ force: true, v: true });
  });

  it('removes the container when the wait for its exit breaks off', async () => {
    const mocks = fakeDocker();
    mocks.container.start.mockImplementation(async () => void setImmediate(() => mocks.loseWait()));
    const sut = new DockerRunner(mocks.docker as unknown as Docker, { outputWatchMs: 0 });

    await expect(sut.run(request())).rejects.toMatchObject({ code: 'AGENT_ERROR' });
    expect(mocks.container.remove).toHaveBeenCalledTimes(1);
  });

  it('retries the removal after a transient daemon error', async () => {
    const mocks = fakeDocker();
    mocks.container.remove.mockRejectedValueOnce(httpError(500, 'device or resource busy'));
    mocks.container.start.mockImplementation(async () => void setImmediate(() => mocks.exit(0)));
    const sut = new DockerRunner(mocks.docker as unknown as Docker, { outputWatchMs: 0 });

    await expect(sut.run(request())).resolves.toMatchObject({ exitCode: 0, outcome: 'exited' });
    expect(mocks.container.remove).toHaveBeenCalledTimes(2);
  });

  it('reports a missing image as IMAGE_UNAVAILABLE when creating the container', async () => {
    const mocks = fakeDocker();
    mocks.docker.createContainer.mockRejectedValue(httpError(404, 'No such image: tessera/toolbox:1'));
    const sut = new DockerRunner(mocks.docker as unknown as Docker);

    await expect(sut.run(request())).rejects.toMatchObject({ code: 'IMAGE_UNAVAILABLE' });
  });
});

describe('DockerRunner.ensureImage', () => {
  it('says how to build a missing Tessera image when the pull fails', async () => {
    const mocks = fakeDocker();
    const sut = new DockerRunner(mocks.docker as unknown as Docker);

    await expect(sut.ensureImage('tessera/toolbox:1')).rejects.toMatchObject({
      code: 'IMAGE_UNAVAILABLE',
      message:
        'image tessera/toolbox:1 is not on this host and could not be pulled ' +
        '(dial tcp: lookup registry-1.docker.io: no such host); build it with docker/build-images.sh',
    });
  });

  it('gives up on a pull that stalls', async () => {
    const mocks = fakeDocker();
    const stalled = new PassThrough();
    mocks.docker.pull.mockResolvedValue(stalled as never);
    const sut = new DockerRunner(mocks.docker as unknown as Docker);

    await expect(sut.ensureImage('blender/blender:4.2', { timeoutMs: 50 })).rejects.toMatchObject({
      code: 'IMAGE_UNAVAILABLE',
      message: expect.stringMatching(/could not be pulled \(the pull did not finish within 0.05 s\)/),
    });
    expect(stalled.destroyed).toBe(true);
  });

  it('does not pull when told not to', async () => {
    const mocks = fakeDocker();
    const sut = new DockerRunner(mocks.docker as unknown as Docker);

    await expect(sut.ensureImage('blender/blender:4.2', { pull: false })).rejects.toMatchObject({
      code: 'IMAGE_UNAVAILABLE',
      message:
        'image blender/blender:4.2 is not on this host; pull it with `docker pull blender/blender:4.2` or build it locally',
    });
    expect(mocks.docker.pull).not.toHaveBeenCalled();
  });
});

describe('DockerRunner.removeStale', () => {
  it("removes only managed containers carrying this runner's labels", async () => {
    const mocks = fakeDocker();
    const sut = new DockerRunner(mocks.docker as unknown as Docker, { labels: { 'tessera.agent': 'abc' } });

    await expect(sut.removeStale()).resolves.toEqual(['tessera-old']);
    expect(mocks.docker.listContainers).toHaveBeenCalledWith({
      all: true,
      filters: { label: ['tessera.managed=true', 'tessera.agent=abc'] },
    });
    expect(mocks.container.remove).toHaveBeenCalledWith({ force: true, v: true });
  });
});
