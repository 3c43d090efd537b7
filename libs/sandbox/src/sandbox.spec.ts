import { ContainerSpec } from '@tessera/protocol';
import { RunnerError } from './runner-error';
import { buildContainerOptions, SandboxRequest } from './sandbox';

const MIB = 1024 * 1024;

function request(overrides: Partial<SandboxRequest> = {}, spec: Partial<ContainerSpec> = {}): SandboxRequest {
  return {
    spec: {
      image: 'tessera/toolbox:1',
      command: ['bash', '-c', 'echo hi > /out/hi.txt'],
      env: { TESSERA_TASK_INDEX: '0', GREETING: 'a=b c' },
      inputs: [],
      limits: {
        cpus: 1.5,
        memoryBytes: 512 * MIB,
        pids: 256,
        timeoutSec: 600,
        tmpBytes: 64 * MIB,
        outputBytes: 256 * MIB,
        outputFiles: 10_000,
      },
      gpus: 0,
      ...spec,
    },
    name: 'tessera-attempt-1',
    inputDir: '/var/lib/tessera/work/a1/in',
    outputDir: '/var/lib/tessera/work/a1/out',
    gpuAvailable: false,
    ...overrides,
  };
}

function refusal(fn: () => unknown): RunnerError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RunnerError) return error;
    throw error;
  }
  throw new Error('expected a RunnerError');
}

describe('buildContainerOptions', () => {
  it('builds the full sandbox for a CPU task', () => {
    const sut = buildContainerOptions(request({ labels: { 'tessera.attempt': 'a1' } }));

    expect(sut).toEqual({
      name: 'tessera-attempt-1',
      Image: 'tessera/toolbox:1',
      Cmd: ['bash', '-c', 'echo hi > /out/hi.txt'],
      Env: ['TESSERA_TASK_INDEX=0', 'GREETING=a=b c'],
      User: '10001:10001',
      WorkingDir: '/tmp',
      Labels: { 'tessera.attempt': 'a1', 'tessera.managed': 'true' },
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: false,
      Tty: false,
      HostConfig: {
        NetworkMode: 'none',
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        ReadonlyRootfs: true,
        Privileged: false,
        IpcMode: 'private',
        Init: true,
        Tmpfs: { '/tmp': `rw,noexec,nosuid,nodev,size=${64 * MIB}` },
        Mounts: [
          { Type: 'bind', Source: '/var/lib/tessera/work/a1/in', Target: '/in', ReadOnly: true },
          { Type: 'bind', Source: '/var/lib/tessera/work/a1/out', Target: '/out', ReadOnly: false },
        ],
        Memory: 512 * MIB,
        MemorySwap: 512 * MIB,
        NanoCpus: 1_500_000_000,
        PidsLimit: 256,
        Ulimits: [
          { Name: 'nofile', Soft: 4096, Hard: 4096 },
          { Name: 'core', Soft: 0, Hard: 0 },
        ],
        OomScoreAdj: 500,
        RestartPolicy: { Name: 'no' },
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '1' } },
        AutoRemove: false,
      },
    });
  });

  it('passes GPUs through a DeviceRequest when the task asks for them and the host has them', () => {
    const sut = buildContainerOptions(request({ gpuAvailable: true }, { gpus: 2 }));

    expect(sut.HostConfig?.DeviceRequests).toEqual([{ Driver: 'nvidia', Count: 2, Capabilities: [['gpu']] }]);
    // The rest of the sandbox is unchanged for GPU work.
    expect(sut.HostConfig).toMatchObject({ NetworkMode: 'none', CapDrop: ['ALL'], ReadonlyRootfs: true });
  });

  it('passes no GPU to a CPU task even on a GPU host', () => {
    const sut = buildContainerOptions(request({ gpuAvailable: true }, { gpus: 0 }));
    expect(sut.HostConfig?.DeviceRequests).toBeUndefined();
  });

  it('refuses a GPU task on a host without a usable GPU', () => {
    const error = refusal(() => buildContainerOptions(request({ gpuAvailable: false }, { gpus: 1 })));

    expect(error.code).toBe('SANDBOX_REFUSED');
    expect(error.message).toMatch(/asks for 1 GPU\(s\) but this agent has no usable NVIDIA GPU/);
    expect(error.message).toMatch(/tessera-agent doctor/);
  });

  it('keeps the managed label even when the caller tries to override it', () => {
    const sut = buildContainerOptions(request({ labels: { 'tessera.managed': 'false' } }));
    expect(sut.Labels?.['tessera.managed']).toBe('true');
  });

  it('clamps a CPU request to the CPUs the Docker host has', () => {
    const base = request();
    const sut = buildContainerOptions({
      ...base,
      hostCpus: 2,
      spec: { ...base.spec, limits: { ...base.spec.limits, cpus: 8 } },
    });
    expect(sut.HostConfig?.NanoCpus).toBe(2_000_000_000);
  });

  it.each([
    ['memoryBytes', 0, /memoryBytes 0 is below Docker's minimum/],
    ['memoryBytes', 1 * MIB, /below Docker's minimum/],
    ['cpus', 0, /cpus 0 must be positive/],
    ['pids', 0, /pids 0 must be positive/],
    ['tmpBytes', 0, /tmpBytes 0 must be positive/],
    ['timeoutSec', 0, /timeoutSec 0 must be positive/],
  ] as const)('refuses %s = %d, which Docker would read as unlimited', (field, value, message) => {
    const base = request();
    const error = refusal(() =>
      buildContainerOptions({
        ...base,
        spec: { ...base.spec, limits: { ...base.spec.limits, [field]: value } },
      }),
    );
    expect(error.code).toBe('SANDBOX_REFUSED');
    expect(error.message).toMatch(message);
  });

  it('refuses relative mount directories', () => {
    const error = refusal(() => buildContainerOptions(request({ outputDir: 'work/out' })));
    expect(error.message).toMatch(/output directory must be absolute/);
  });
});
