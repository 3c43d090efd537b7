import { CommandRunner, parseNvidiaSmiCsv, queryNvidiaGpus } from './nvidia-smi';

const MIB = 1024 * 1024;

describe('parseNvidiaSmiCsv', () => {
  it('parses two GPUs and skips malformed lines', () => {
    const output = [
      '0, NVIDIA GeForce RTX 4090, GPU-5b1c2d3e-1111-2222-3333-444455556666, 24564, 550.54.14, 8.9',
      '1, NVIDIA A100-SXM4-80GB, GPU-0f0e0d0c-aaaa-bbbb-cccc-ddddeeeeffff, 81920, 550.54.14, 8.0',
      'Unable to determine the device handle for GPU0000:65:00.0: Unknown Error',
      '2, Tesla K80, GPU-x, [N/A], 470.82.01, 3.7',
      'x, broken, GPU-y, 1024, 535.1, 7.5',
      '',
    ].join('\n');

    expect(parseNvidiaSmiCsv(output)).toEqual({
      gpus: [
        {
          index: 0,
          name: 'NVIDIA GeForce RTX 4090',
          uuid: 'GPU-5b1c2d3e-1111-2222-3333-444455556666',
          vramBytes: 24564 * MIB,
          driverVersion: '550.54.14',
          computeCapability: '8.9',
        },
        {
          index: 1,
          name: 'NVIDIA A100-SXM4-80GB',
          uuid: 'GPU-0f0e0d0c-aaaa-bbbb-cccc-ddddeeeeffff',
          vramBytes: 81920 * MIB,
          driverVersion: '550.54.14',
          computeCapability: '8.0',
        },
      ],
      skipped: [
        'Unable to determine the device handle for GPU0000:65:00.0: Unknown Error',
        '2, Tesla K80, GPU-x, [N/A], 470.82.01, 3.7',
        'x, broken, GPU-y, 1024, 535.1, 7.5',
      ],
    });
  });

  it('leaves out fields nvidia-smi reports as not available, and accepts output without compute_cap', () => {
    const output =
      '0, Quadro P2000, [N/A], 5120, 470.82.01\r\n1, Tesla T4, GPU-abc, 15360, 535.104.05, [N/A]\r\n';

    expect(parseNvidiaSmiCsv(output).gpus).toEqual([
      { index: 0, name: 'Quadro P2000', vramBytes: 5120 * MIB, driverVersion: '470.82.01' },
      { index: 1, name: 'Tesla T4', uuid: 'GPU-abc', vramBytes: 15360 * MIB, driverVersion: '535.104.05' },
    ]);
  });

  it('returns no GPUs for empty output', () => {
    expect(parseNvidiaSmiCsv('\n')).toEqual({ gpus: [], skipped: [] });
  });
});

describe('queryNvidiaGpus', () => {
  it('reports no GPU when nvidia-smi is not installed', async () => {
    const run: CommandRunner = async () =>
      Promise.reject(Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' }));
    await expect(queryNvidiaGpus(run)).resolves.toEqual({ found: false, gpus: [], skipped: [] });
  });

  it('reports why nvidia-smi failed when the driver is not loaded', async () => {
    const detail =
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.";
    const run: CommandRunner = async () =>
      Promise.reject(Object.assign(new Error('exit 9'), { code: 9, detail }));
    await expect(queryNvidiaGpus(run)).resolves.toEqual({
      found: true,
      gpus: [],
      error: detail,
      skipped: [],
    });
  });

  it('asks again without compute_cap on drivers that do not know it', async () => {
    const calls: string[][] = [];
    const run: CommandRunner = async (_file, args) => {
      calls.push(args);
      if (args[0].includes('compute_cap')) {
        return Promise.reject(
          Object.assign(new Error('exit 2'), {
            code: 2,
            detail: 'Field "compute_cap" is not a valid field to query.',
          }),
        );
      }
      return '0, Tesla K80, GPU-k80, 11441, 470.82.01\n';
    };

    const result = await queryNvidiaGpus(run);
    expect(result.gpus).toEqual([
      { index: 0, name: 'Tesla K80', uuid: 'GPU-k80', vramBytes: 11441 * MIB, driverVersion: '470.82.01' },
    ]);
    expect(calls.map((args) => args[0])).toEqual([
      '--query-gpu=index,name,uuid,memory.total,driver_version,compute_cap',
      '--query-gpu=index,name,uuid,memory.total,driver_version',
    ]);
  });
});
