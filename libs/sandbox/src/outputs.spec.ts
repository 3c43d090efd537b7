import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutputs, formatBytes, outputsExceedLimits } from './outputs';

const limits = { outputBytes: 1024, outputFiles: 10 };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-outputs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('checkOutputs', () => {
  it('lists nested files sorted by path with their sizes and sha256, ignoring empty directories', async () => {
    await mkdir(join(dir, 'frames/empty'), { recursive: true });
    await writeFile(join(dir, 'frames/0002.png'), 'two');
    await writeFile(join(dir, 'frames/0001.png'), 'one!');
    await writeFile(join(dir, 'log.txt'), '');

    await expect(checkOutputs(dir, limits)).resolves.toEqual([
      { path: 'frames/0001.png', size: 4, sha256: sha256('one!') },
      { path: 'frames/0002.png', size: 3, sha256: sha256('two') },
      { path: 'log.txt', size: 0, sha256: sha256('') },
    ]);
  });

  it('returns nothing for an empty output directory', async () => {
    await expect(checkOutputs(dir, limits)).resolves.toEqual([]);
  });

  it('refuses a symlink to a host file', async () => {
    await symlink('/etc/passwd', join(dir, 'passwd'));
    await expect(checkOutputs(dir, limits)).rejects.toMatchObject({
      code: 'OUTPUT_INVALID',
      message: 'passwd is a symbolic link; write regular files to /out',
    });
  });

  it('refuses a symlink to a directory without walking into it', async () => {
    await mkdir(join(dir, 'sub'));
    await symlink('/etc', join(dir, 'sub/etc'));
    await expect(checkOutputs(dir, limits)).rejects.toMatchObject({ message: /sub\/etc is a symbolic link/ });
  });

  it('refuses special files such as named pipes', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    await expect(checkOutputs(dir, limits)).rejects.toMatchObject({
      code: 'OUTPUT_INVALID',
      message: 'pipe is a named pipe, not a regular file',
    });
  });

  it('refuses more files than the limit', async () => {
    for (let i = 0; i < 4; i++) await writeFile(join(dir, `f${i}`), 'x');
    await expect(checkOutputs(dir, { outputBytes: 1024, outputFiles: 3 })).rejects.toMatchObject({
      code: 'OUTPUT_INVALID',
      message: 'more than 3 output files (the limit for this task)',
    });
  });

  it('refuses more bytes than the limit before hashing anything', async () => {
    await writeFile(join(dir, 'big.bin'), Buffer.alloc(2048));
    await expect(checkOutputs(dir, limits)).rejects.toMatchObject({
      code: 'OUTPUT_INVALID',
      message: 'outputs exceed the limit of 1 KiB (reached 2 KiB at big.bin)',
    });
  });

  it('refuses names with control characters', async () => {
    await writeFile(join(dir, 'evil\nname'), 'x');
    await expect(checkOutputs(dir, limits)).rejects.toMatchObject({ message: /contains control characters/ });
  });

  it('refuses names that are not valid UTF-8', async () => {
    await writeFile(Buffer.concat([Buffer.from(`${dir}/bad-`), Buffer.from([0xff])]), 'x');
    await expect(checkOutputs(dir, limits)).rejects.toMatchObject({
      message: 'a file name in /out is not valid UTF-8',
    });
  });

  it('refuses paths longer than the protocol allows', async () => {
    const deep = join(dir, 'a'.repeat(200), 'b'.repeat(100));
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, 'f'), 'x');
    await expect(checkOutputs(dir, limits)).rejects.toMatchObject({ message: /is not a safe relative path/ });
  });
});

describe('outputsExceedLimits', () => {
  it('says nothing while the outputs are within the limits', async () => {
    await writeFile(join(dir, 'a'), 'x');
    await expect(outputsExceedLimits(dir, limits)).resolves.toBeNull();
  });

  it('reports outputs that outgrew the byte limit', async () => {
    await writeFile(join(dir, 'a'), Buffer.alloc(2000));
    await expect(outputsExceedLimits(dir, limits)).resolves.toBe('more than 1 KiB written to /out');
  });

  it('tolerates a directory that vanished', async () => {
    await expect(outputsExceedLimits(join(dir, 'gone'), limits)).resolves.toBeNull();
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 bytes'],
    [1023, '1023 bytes'],
    [1536, '1.5 KiB'],
    [256 * 1024 * 1024, '256 MiB'],
    [10 * 1024 ** 3, '10 GiB'],
  ])('formats %d as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
